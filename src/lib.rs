//! iamlint: an offline linter for AWS IAM roles in Terraform and CloudFormation.
//!
//! The pipeline (see DESIGN.md): discover → load → resolve → extract → check → filter → report.

pub mod baseline;
pub mod cli;
pub mod config;
pub mod diff;
pub mod discover;
pub mod iam;
pub mod report;
pub mod rules;
pub mod run;
pub mod source;
pub mod span;
pub mod suppress;
pub mod trusts;
pub mod value;
