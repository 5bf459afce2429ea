/// A registered OAuth 2.0 client (RFC 6749 §2): it logs users of one domain in through the
/// oauth dialect, and owns the sessions it creates.
///
/// A *confidential* client has a secret and must present it (HTTP Basic or `client_secret`);
/// a *public* client has none and only names itself with `client_id`.
public struct OAuthClient: Sendable, Equatable {
    /// The `client_id`, unique across the store. Matches `^[A-Za-z0-9._~-]{1,128}$`.
    public var id: String
    /// The user domain whose users this client logs in.
    public var domainID: Int64
    /// The secret's hash (see ``ClientSecretHasher``); `nil` for a public client.
    /// - Warning: Never log it.
    public var secretHash: String?
    /// Unix seconds.
    public var createdAt: Int64

    public init(id: String, domainID: Int64, secretHash: String?, createdAt: Int64) {
        self.id = id
        self.domainID = domainID
        self.secretHash = secretHash
        self.createdAt = createdAt
    }

    /// Whether the client has a secret to present.
    public var isConfidential: Bool { secretHash != nil }

    /// Whether `id` is a valid `client_id`: 1 to 128 of `A-Z a-z 0-9 . _ ~ -` (URL-unreserved
    /// characters, so that it needs no escaping in HTTP Basic or a form).
    public static func isValidID(_ id: String) -> Bool {
        let bytes = id.utf8
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x2E || b == 0x5F || b == 0x7E || b == 0x2D
        }
    }

    /// Whether `secret` is acceptable as a client secret: 6 to 256 bytes without control
    /// characters. (Six is Ory Hydra's floor; generate secrets with 32 random bytes instead.)
    public static func isValidSecret(_ secret: String) -> Bool {
        (6...256).contains(secret.utf8.count) && !secret.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
