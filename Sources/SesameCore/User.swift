/// An account in one user domain.
public struct User: Sendable, Equatable {
    /// Stable identifier, returned as `uid` and the JWT `sub`.
    public var uid: String
    public var domainID: Int64
    /// Lower-cased e-mail, unique within the domain.
    public var email: String?
    /// Digits only; unique with ``internationalCode`` within the domain.
    public var phone: String?
    /// Digits only, e.g. `86`.
    public var internationalCode: String?
    /// Unique within the domain.
    public var username: String?
    public var nickname: String?
    /// bcrypt hash.
    /// - Warning: Never log it.
    public var passwordHash: String
    public var enabled: Bool
    /// Unix seconds.
    public var registeredAt: Int64
    /// Unix seconds; `nil` before the first login.
    public var lastLoginAt: Int64?

    public init(
        uid: String, domainID: Int64, email: String?, phone: String?, internationalCode: String?,
        username: String?, nickname: String?, passwordHash: String, enabled: Bool, registeredAt: Int64,
        lastLoginAt: Int64?
    ) {
        self.uid = uid
        self.domainID = domainID
        self.email = email
        self.phone = phone
        self.internationalCode = internationalCode
        self.username = username
        self.nickname = nickname
        self.passwordHash = passwordHash
        self.enabled = enabled
        self.registeredAt = registeredAt
        self.lastLoginAt = lastLoginAt
    }
}

/// How a login names its account.
public enum AccountIdentifier: Sendable, Hashable {
    /// A lower-cased e-mail address.
    case email(String)
    /// A phone number with its international code, both digits only.
    case phone(internationalCode: String, number: String)
    /// A user name.
    case username(String)
    /// kanfang's `authKey`: a user name, e-mail or phone number, tried in that order.
    case anyOf(String)

    /// The key failed logins are counted under (the same whether or not the account exists).
    public var lockoutKey: String {
        switch self {
        case .email(let e): "email:\(e)"
        case .phone(let c, let n): "phone:\(c):\(n)"
        case .username(let u): "username:\(u)"
        case .anyOf(let k): "key:\(k.lowercased())"
        }
    }
}
