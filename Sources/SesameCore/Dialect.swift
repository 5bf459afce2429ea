/// The wire format a session was created through. A session refreshes only through its own
/// dialect, and its lifetimes are that dialect's.
public enum Dialect: String, Sendable, Hashable, CaseIterable, Codable {
    /// Family A, `/v2/enduser/enduserapi/`.
    case enduser
    /// Family B, `/v2/Authorization/`.
    case kanfang
    /// Standard OAuth 2.0, `/oauth/`.
    case oauth
}
