//! Embeds the built-in rule files and the registry module interfaces: writes `BUILTIN_RULES`
//! (rules/*.yaml) and `BUILTIN_MODULES` (data/modules/*.yaml), each a list of (file name,
//! contents) with `include_str!`, and asks cargo to rebuild when a folder or a file changes.

use std::fmt::Write as _;
use std::path::Path;

fn embed(dir: &str, name: &str, doc: &str, out_file: &str) {
    let dir = Path::new(dir);
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut out =
        format!("/// {doc}: (file name, contents).\npub static {name}: &[(&str, &str)] = &[\n");
    for n in &names {
        println!("cargo:rerun-if-changed={}/{n}", dir.display());
        let abs = std::fs::canonicalize(dir.join(n)).unwrap_or_else(|_| dir.join(n));
        let _ = writeln!(
            out,
            "    ({n:?}, include_str!({:?})),",
            abs.display().to_string()
        );
    }
    out.push_str("];\n");
    let path = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join(out_file);
    if let Err(e) = std::fs::write(&path, out) {
        println!("cargo:warning=cannot write {}: {e}", path.display());
    }
}

fn main() {
    embed(
        "rules",
        "BUILTIN_RULES",
        "Built-in rule files",
        "builtin_rules.rs",
    );
    embed(
        "data/modules",
        "BUILTIN_MODULES",
        "Interfaces of registry modules that create roles",
        "builtin_modules.rs",
    );
}
