//! Terraform loader (placeholder module path, filled in by its own change).

// Entry point placeholder so the crate builds while the loader is written; the loader's own
// mod.rs replaces this whole file.
#[allow(unused_variables)]
pub fn extract(
    ctx: &crate::source::Context,
    dirs: &std::collections::BTreeSet<std::path::PathBuf>,
    plans: &[std::path::PathBuf],
) -> crate::source::Extraction {
    crate::source::Extraction::default()
}
