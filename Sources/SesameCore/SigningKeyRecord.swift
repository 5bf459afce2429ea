/// A JWT signing key as the store keeps it.
public struct SigningKeyRecord: Sendable, Equatable {
    /// The JWT `kid`.
    public var kid: String
    /// The JWS `alg`: `ES256`, `RS256` or `EdDSA`.
    public var algorithm: String
    /// PEM of the private key, in clear: stores seal it with their key-encryption key at rest.
    /// - Warning: Never log it.
    public var privateKeyPEM: String
    /// Unix seconds.
    public var createdAt: Int64
    /// `nil` while the key signs new tokens; once set, it only verifies, until
    /// ``verifiesUntil(verificationWindow:)``.
    public var retiredAt: Int64?

    public init(kid: String, algorithm: String, privateKeyPEM: String, createdAt: Int64, retiredAt: Int64? = nil) {
        self.kid = kid
        self.algorithm = algorithm
        self.privateKeyPEM = privateKeyPEM
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }

    /// A new record with a fresh random `kid` and a new private key of `algorithm`.
    public static func generate(_ algorithm: SigningAlgorithm, at now: Int64) throws -> SigningKeyRecord {
        SigningKeyRecord(
            kid: RandomToken.bytes(12).hexString(), algorithm: algorithm.rawValue, privateKeyPEM: try algorithm.generatePrivateKeyPEM(),
            createdAt: now)
    }

    /// The time from which the key no longer verifies: `retiredAt + verificationWindow`
    /// (``SesameConfiguration/signingKeyVerificationWindow``), when no token it signed can be
    /// unexpired any more; `nil` while the key is not retired.
    public func verifiesUntil(verificationWindow: Int64) -> Int64? {
        retiredAt.map { $0 + verificationWindow }
    }

    /// Where the key is in its life at `now`.
    public func state(at now: Int64, verificationWindow: Int64) -> SigningKeyState {
        guard let until = verifiesUntil(verificationWindow: verificationWindow) else { return .active }
        return now < until ? .verifyingOnly(until: until) : .expired
    }
}

/// The life of a signing key: it signs while active; once retired it still verifies (and stays
/// in the JWKS) until every token it could have signed has expired; then it is dropped.
public enum SigningKeyState: Sendable, Equatable, CustomStringConvertible {
    case active
    case verifyingOnly(until: Int64)
    case expired

    public var description: String {
        switch self {
        case .active: "active"
        case .verifyingOnly: "verifying-only"
        case .expired: "expired"
        }
    }
}
