//! Everything that knows how IAM behaves: the model, principal classification, action matching,
//! condition semantics and AWS managed policies. Rules call into this module.

pub mod actions;
pub mod conditions;
pub mod dangerous;
pub mod escalation;
pub mod federation;
pub mod managed;
pub mod model;
pub mod permissions;
pub mod policy;
pub mod principals;
pub mod services;
pub mod trust;
