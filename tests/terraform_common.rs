//! Shared helpers for the Terraform integration tests (included with `mod`).
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use iamlint::iam::model::{PrincipalType, Role};
use iamlint::source::{Context, Extraction, ResolveOptions};
use iamlint::span::{SourceMap, Span};

pub fn testdata(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/terraform")
        .join(case)
}

/// Every directory under `root` holding .tf / .tf.json files, skipping hidden ones (as
/// discovery does).
pub fn tf_dirs(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() {
                if !name.starts_with('.') {
                    stack.push(p);
                }
            } else if name.ends_with(".tf") || name.ends_with(".tf.json") {
                out.insert(d.clone());
            }
        }
    }
    out
}

pub struct Run {
    pub sources: SourceMap,
    pub ex: Extraction,
}

pub fn run_with(case: &str, options: ResolveOptions, plans: &[PathBuf]) -> Run {
    let root = testdata(case);
    let sources = SourceMap::default();
    let dirs = tf_dirs(&root);
    let ex = {
        let ctx = Context {
            sources: &sources,
            root: root.clone(),
            options: &options,
        };
        iamlint::source::terraform::extract(&ctx, &dirs, plans)
    };
    Run { sources, ex }
}

pub fn run(case: &str) -> Run {
    run_with(case, ResolveOptions::default(), &[])
}

impl Run {
    pub fn role(&self, address: &str) -> &Role {
        self.ex
            .roles
            .iter()
            .find(|r| r.address == address)
            .unwrap_or_else(|| panic!("no role {address}; roles: {:?}", self.addresses()))
    }

    pub fn addresses(&self) -> Vec<String> {
        self.ex.roles.iter().map(|r| r.address.clone()).collect()
    }

    pub fn line(&self, span: Span) -> usize {
        self.sources
            .range(span)
            .expect("span in a loaded file")
            .0
            .line
    }

    pub fn file(&self, span: Span) -> String {
        self.sources.display(span.file)
    }

    /// (type, value, line) of every trust principal of a role; unknowns render as `${expr}`.
    pub fn principals(&self, address: &str) -> Vec<(PrincipalType, String, usize)> {
        let role = self.role(address);
        let mut out = Vec::new();
        for st in role.trust.iter().flat_map(|d| &d.statements) {
            for set in [&st.principal, &st.not_principal].into_iter().flatten() {
                for p in &set.entries {
                    out.push((p.ty, p.value.render(), self.line(p.value.span)));
                }
            }
        }
        out
    }

    pub fn values(&self, address: &str) -> Vec<String> {
        self.principals(address)
            .into_iter()
            .map(|(_, v, _)| v)
            .collect()
    }
}
