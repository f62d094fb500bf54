// SwvpnConfig
