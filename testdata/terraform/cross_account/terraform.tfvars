trusted_accounts = {
  security = "123456789012"
  logging  = "210987654321"
}
external_id = "s3cr3t-ext"
