// SwvpnLinux
