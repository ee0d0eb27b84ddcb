enable_ci_role = false
