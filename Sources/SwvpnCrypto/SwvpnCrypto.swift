// SwvpnCrypto
