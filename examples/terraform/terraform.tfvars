partner_account_id = "210987654321"
