//! Everything that knows how IAM behaves: the model, principal classification, action matching,
//! condition semantics and AWS managed policies. Rules call into this module.

pub mod model;
pub mod policy;
pub mod conditions;
pub mod federation;
pub mod principals;
pub mod trust;
pub mod actions;
pub mod managed;
pub mod escalation;
pub mod permissions;
pub mod services;
