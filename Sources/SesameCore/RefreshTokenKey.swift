/// A presented refresh token in the form a store looks it up by: its SHA-256 hash, and, when
/// the token names it, the row it belongs to.
///
/// Two token formats are in use, both opaque Base64URL to clients:
/// - **Located** (issued since schema v5): 86 characters, the Base64URL of 64 bytes: the
///   session's id (16 bytes), the token's id (16 bytes; the `jti` of the access tokens issued
///   beside it) and 32 secret bytes. The store finds the row by its primary key
///   `(session_id, id)` and compares the hash there, so no index over the hashes is written
///   when such a token is issued. The two ids are not secrets (access tokens carry them as
///   `sid` and `jti`); the 256 secret bits are what authenticates, as before.
/// - **Legacy**: 43 characters, 32 secret bytes and nothing else. The store finds those by
///   their hash, through an index that covers legacy rows only.
///
/// The hash is always taken over the whole token text, so knowing a token's ids without its
/// secret finds nothing.
public struct RefreshTokenKey: Sendable, Equatable {
    /// SHA-256 of the whole token text, the only form in which the store keeps it.
    public var hash: [UInt8]
    /// The token's row, when known: from a located token's own text, or from a lookup.
    public var location: Location?

    /// The primary key of a refresh token's row.
    public struct Location: Sendable, Hashable {
        public var sessionID: String
        public var id: String
        public init(sessionID: String, id: String) {
            self.sessionID = sessionID
            self.id = id
        }
    }

    public init(hash: [UInt8], location: Location? = nil) {
        self.hash = hash
        self.location = location
    }

    /// The key of a token Sesame could have issued; `nil` for anything of another shape
    /// (cheap, and rejects absurd strings before any store work).
    public init?(token: String) {
        let count = token.utf8.count
        guard count == Self.legacyLength || count == Self.locatedLength, token.utf8.allSatisfy(RandomToken.isBase64URL) else {
            return nil
        }
        hash = RandomToken.hash(token)
        if count == Self.locatedLength {
            guard let bytes = RandomToken.decodeBase64URL(token), bytes.count == 64 else { return nil }
            location = Location(sessionID: RandomToken.base64URL(bytes[0..<16]), id: RandomToken.base64URL(bytes[16..<32]))
        }
    }

    /// Whether the token's own text names its row (the located format).
    public static func isLocated(_ token: String) -> Bool { token.utf8.count == locatedLength }

    /// A located token for the row `(sessionID, id)` with `secret` (32 bytes); `nil` when either
    /// id is not the Base64URL of 16 bytes (ids Sesame did not make), which then get a legacy token.
    public static func token(sessionID: String, id: String, secret: some Collection<UInt8>) -> String? {
        guard secret.count == 32, let session = idBytes(sessionID), let token = idBytes(id) else { return nil }
        return RandomToken.base64URL(session + token + Array(secret))
    }

    /// The 16 bytes an id made by `RandomToken.make(byteCount: 16)` stands for; `nil` for any
    /// other text (including non-canonical Base64URL, which would not round-trip).
    static func idBytes(_ id: String) -> [UInt8]? {
        guard id.utf8.count == 22, let bytes = RandomToken.decodeBase64URL(id), bytes.count == 16,
            RandomToken.base64URL(bytes) == id
        else { return nil }
        return bytes
    }

    /// Characters of a legacy token (32 bytes).
    public static let legacyLength = 43
    /// Characters of a located token (64 bytes).
    public static let locatedLength = 86
}
