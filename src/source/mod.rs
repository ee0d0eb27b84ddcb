//! Loaders for each source format. Each one parses its files (keeping spans), resolves what can
//! be known offline, and hands on the IAM model: [`Extraction`] with roles, errors and notices.

pub mod cloudformation;
pub mod json;
pub mod read;
pub mod terraform;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::iam::model::Role;
use crate::span::{FileId, LoadError, SourceMap, Span};

/// Values given on the command line or in the config that the resolvers use.
#[derive(Clone, Debug, Default)]
pub struct ResolveOptions {
    /// `--var name=value` and `--var-file FILE` (Terraform), in command-line order: a later one
    /// wins, as with terraform's own `-var` and `-var-file`.
    pub tf_var_args: Vec<TfVarArg>,
    /// `TF_VAR_name` values from the environment, read once by the CLI.
    pub tf_env_vars: BTreeMap<String, String>,
    /// `--parameter KEY=VALUE` (CloudFormation).
    pub cfn_parameters: Vec<(String, String)>,
    /// `--parameters FILE` (CloudFormation).
    pub cfn_parameter_files: Vec<PathBuf>,
}

/// One Terraform variable argument of the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TfVarArg {
    /// `--var-file FILE`
    File(PathBuf),
    /// `--var NAME=VALUE`
    Value(String, String),
}

/// What a loader needs: the files, the root that `file()` and nested templates may read under,
/// and the user's values.
pub struct Context<'a> {
    pub sources: &'a SourceMap,
    /// Reads of other files (modules, file(), templatefile(), nested stacks, parameter files)
    /// must stay under this directory. A path outside it is an error, not a read.
    pub root: PathBuf,
    pub options: &'a ResolveOptions,
}

impl Context<'_> {
    /// The path relative to the current directory with `/` separators, for display.
    pub fn display_path(&self, path: &std::path::Path) -> String {
        crate::discover::display_path(path)
    }

    /// Loads a file through the guarded door ([`read::read`]): a file the user named
    /// (`--var-file`, `--parameters`) is read from anywhere; any other must be a regular file
    /// under the root, symlinks resolved.
    pub fn load(
        &self,
        path: &std::path::Path,
        display: String,
    ) -> Result<(FileId, std::sync::Arc<crate::span::SourceFile>), LoadError> {
        let named = self.options.cfn_parameter_files.iter().any(|p| p == path)
            || self
                .options
                .tf_var_args
                .iter()
                .any(|a| matches!(a, TfVarArg::File(p) if p == path));
        let access = if named {
            read::Access::Named
        } else {
            read::Access::Inside(&self.root)
        };
        self.sources.load(path, display, access)
    }

    /// True when `path` (made absolute) is under the root. Symlinks are resolved first, so a
    /// link pointing outside the root is outside.
    pub fn inside_root(&self, path: &std::path::Path) -> bool {
        match (path.canonicalize(), self.root.canonicalize()) {
            (Ok(p), Ok(r)) => p.starts_with(r),
            _ => false,
        }
    }
}

/// An error tied to a place in a file (a parse error, a cycle, a read outside the root). Errors
/// make the run exit with 2; the other files are still checked.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceError {
    pub file: FileId,
    /// The place; `None` means the whole file (line 1, column 1).
    pub span: Option<Span>,
    /// Used when the error comes with a line and column but no span (some parsers report only
    /// those). 1-based.
    pub line_col: Option<(usize, usize)>,
    pub message: String,
}

impl SourceError {
    pub fn at(span: Span, message: impl Into<String>) -> SourceError {
        SourceError {
            file: span.file,
            span: Some(span),
            line_col: None,
            message: message.into(),
        }
    }

    pub fn whole_file(file: FileId, message: impl Into<String>) -> SourceError {
        SourceError {
            file,
            span: None,
            line_col: None,
            message: message.into(),
        }
    }

    pub fn at_line(
        file: FileId,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> SourceError {
        SourceError {
            file,
            span: None,
            line_col: Some((line, column)),
            message: message.into(),
        }
    }
}

/// An error for a file that could not even be loaded. `display` is the path as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadFailure {
    pub display: String,
    pub error: LoadError,
}

/// Something a loader wants the user to know that is not a role, such as a module whose source
/// is not on disk. The `notice` rules report these.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// A stable kind the rules match on: `module-not-found`, `cross-stack-import`, ...
    pub kind: String,
    pub span: Span,
    /// The resource or module address it belongs to.
    pub address: String,
    pub message: String,
}

/// The output of a loader.
#[derive(Debug, Default)]
pub struct Extraction {
    pub roles: Vec<Role>,
    pub errors: Vec<SourceError>,
    pub load_failures: Vec<LoadFailure>,
    pub notices: Vec<Notice>,
    /// Inline suppressions, gathered once per file (see [`crate::suppress`]).
    pub suppressions: Vec<crate::suppress::Suppression>,
    /// How many Terraform modules, plans and CloudFormation templates were read (zero: the run
    /// saw nothing to check, which is not the same as clean).
    pub sources_read: usize,
}

impl Extraction {
    pub fn merge(&mut self, other: Extraction) {
        self.roles.extend(other.roles);
        self.errors.extend(other.errors);
        self.load_failures.extend(other.load_failures);
        self.notices.extend(other.notices);
        self.suppressions.extend(other.suppressions);
        self.sources_read += other.sources_read;
    }
}
