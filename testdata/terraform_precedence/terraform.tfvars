tfvars      = "222222222222"
tfvars_json = "999999999999"
auto        = "999999999999"
auto_order  = "999999999999"
