/// An application's user domain (family A's `userDomain`): its users, and the secret that
/// signs its login requests.
public struct UserDomain: Sendable, Equatable {
    /// Store-assigned identifier.
    public var id: Int64
    /// The name clients send, e.g. `C.DM.10271.5`. Matches `^[A-Za-z0-9._-]{1,64}$`.
    public var name: String
    /// The secret that request signatures are computed with.
    /// - Warning: Never log it, never return it from an API.
    public var secret: String
    public var enabled: Bool
    /// Unix seconds.
    public var createdAt: Int64

    public init(id: Int64, name: String, secret: String, enabled: Bool, createdAt: Int64) {
        self.id = id
        self.name = name
        self.secret = secret
        self.enabled = enabled
        self.createdAt = createdAt
    }

    /// Whether `name` is a valid domain name: `^[A-Za-z0-9._-]{1,64}$`.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == 0x2E || b == 0x5F || b == 0x2D
        }
    }
}
