admin_account = "999988887777"
