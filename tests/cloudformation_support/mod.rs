//! Shared helpers of the CloudFormation integration tests: run the loader over testdata
//! directories and look roles, principals and lines up.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use iamlint::iam::model::Role;
use iamlint::source::{Context, Extraction, ResolveOptions};
use iamlint::span::{SourceMap, Span};

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cloudformation")
}

/// Every YAML, JSON and .template file under `dir` (hidden directories skipped).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                todo.push(p);
            } else if [".yaml", ".yml", ".json", ".template"]
                .iter()
                .any(|x| name.ends_with(x))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub struct Run {
    pub sources: SourceMap,
    pub out: Extraction,
}

pub fn run_with(dirs: &[&str], options: ResolveOptions) -> Run {
    let sources = SourceMap::default();
    let root = testdata();
    let files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| files_under(&root.join(d)))
        .collect();
    let out = {
        let ctx = Context {
            sources: &sources,
            root: root.clone(),
            options: &options,
        };
        iamlint::source::cloudformation::extract(&ctx, &files)
    };
    Run { sources, out }
}

pub fn run(dirs: &[&str]) -> Run {
    run_with(dirs, ResolveOptions::default())
}

impl Run {
    pub fn roles(&self, address: &str) -> Vec<&Role> {
        self.out
            .roles
            .iter()
            .filter(|r| r.address == address)
            .collect()
    }

    pub fn role(&self, address: &str) -> &Role {
        let found = self.roles(address);
        assert_eq!(
            found.len(),
            1,
            "expected one role {address}, found {}: {:?}",
            found.len(),
            self.out
                .roles
                .iter()
                .map(|r| &r.address)
                .collect::<Vec<_>>()
        );
        found[0]
    }

    pub fn line(&self, span: Span) -> usize {
        self.sources.range(span).map(|(s, _)| s.line).unwrap_or(0)
    }

    pub fn text(&self, span: Span) -> String {
        self.sources
            .get(span.file)
            .map(|f| f.slice(span).to_string())
            .unwrap_or_default()
    }
}

/// The trust principals of a role as (type, value as rendered).
pub fn principals(role: &Role) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(doc) = &role.trust {
        for st in &doc.statements {
            for set in [&st.principal, &st.not_principal].into_iter().flatten() {
                for p in &set.entries {
                    out.push((p.type_name.clone(), p.value.render()));
                }
            }
        }
    }
    out
}

pub fn managed_arns(role: &Role) -> Vec<String> {
    role.managed_policies
        .iter()
        .map(|m| m.arn.render())
        .collect()
}
