//! CloudFormation loader.

// Entry point placeholder so the crate builds while the loader is written; the loader's own
// mod.rs replaces this whole file.
#[allow(unused_variables)]
pub fn extract(
    ctx: &crate::source::Context,
    files: &[std::path::PathBuf],
) -> crate::source::Extraction {
    crate::source::Extraction::default()
}
