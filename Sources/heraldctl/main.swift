print("heraldctl")
