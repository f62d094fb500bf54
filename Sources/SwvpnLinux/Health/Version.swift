/// The daemon's version (`--version`, management `version`, the snapshot's `version`).
package let swvpndVersion = "0.1.0"
