/// An error of the token core. Dialects turn it into their own envelope; it never carries a
/// token, a password or a secret in its message.
///
/// Equatable on ``code`` only, so that new codes can be added without breaking callers
/// that switch on the ones they know.
public struct SesameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a stable identifier.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Credentials did not match (unknown account or wrong password: the same answer).
        public static let invalidCredentials = Code("invalidCredentials")
        /// The identifier is frozen after too many failures.
        public static let frozen = Code("frozen")
        /// The account does not exist (only surfaced when configuration asks for it).
        public static let unknownAccount = Code("unknownAccount")
        /// The user domain is disabled.
        public static let domainDisabled = Code("domainDisabled")
        /// The user is disabled.
        public static let userDisabled = Code("userDisabled")
        /// A token was invalid, expired, revoked, reused or of another dialect.
        public static let invalidToken = Code("invalidToken")
        /// A request parameter or administrative input was malformed.
        public static let invalidInput = Code("invalidInput")
        /// A uniqueness rule was violated (domain name, e-mail, phone or user name taken).
        public static let conflict = Code("conflict")
        /// The thing named does not exist (administration).
        public static let notFound = Code("notFound")
        /// The store did not answer in time (database down or unreachable); worth retrying later.
        public static let unavailable = Code("unavailable")
        /// The client's address used up a per-address limit (see ``ClientLimits``).
        public static let rateLimited = Code("rateLimited")
        /// An oauth client is unknown, or its secret is missing or wrong.
        public static let invalidClient = Code("invalidClient")
    }

    public let code: Code
    /// A human-readable message, safe to show to a client.
    public let message: String
    /// For ``Code/invalidCredentials``: how many attempts remain before the identifier freezes.
    public var attemptsLeft: Int?
    /// For ``Code/frozen``: when the freeze ends (Unix seconds).
    public var frozenUntil: Int64?
    /// For ``Code/rateLimited``: seconds until the client may try again.
    public var retryAfter: Int64?

    public init(_ code: Code, _ message: String, attemptsLeft: Int? = nil, frozenUntil: Int64? = nil, retryAfter: Int64? = nil) {
        self.code = code
        self.message = message
        self.attemptsLeft = attemptsLeft
        self.frozenUntil = frozenUntil
        self.retryAfter = retryAfter
    }

    public static func == (lhs: SesameError, rhs: SesameError) -> Bool { lhs.code == rhs.code }

    public var description: String { "SesameError(\(code): \(message))" }

    static func invalidToken(_ why: String = "token is invalid or expired") -> SesameError {
        SesameError(.invalidToken, why)
    }
}
