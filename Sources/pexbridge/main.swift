print("pexbridge")
