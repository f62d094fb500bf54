print("swvpnd")
