/// The daemon's version (`--version`, management `version`, the snapshot's `version`).
public let swvpndVersion = "0.1.0"
