//! iamlint: an offline linter for AWS IAM roles in Terraform and CloudFormation.
//!
//! The pipeline (see DESIGN.md): discover → load → resolve → extract → check → filter → report.

pub mod discover;
pub mod iam;
pub mod source;
pub mod span;
pub mod value;
pub mod config;
pub mod rules;
pub mod baseline;
pub mod cli;
pub mod report;
pub mod run;
pub mod suppress;
