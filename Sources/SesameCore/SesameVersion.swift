/// Sesame's release, as `sesame --version` prints it and the OpenAPI document's `info.version`
/// states it. Released versions are listed in CHANGELOG.md.
public enum SesameVersion {
    /// The current release (semantic versioning).
    public static let current = "0.1.0"
}
