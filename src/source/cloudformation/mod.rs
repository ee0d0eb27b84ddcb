//! CloudFormation loader.
