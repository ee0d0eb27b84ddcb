//! Terraform loader (placeholder module path, filled in by its own change).
