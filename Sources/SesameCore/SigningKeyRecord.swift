/// A JWT signing key as the store keeps it.
public struct SigningKeyRecord: Sendable, Equatable {
    /// The JWT `kid`.
    public var kid: String
    /// The JWS `alg`, e.g. `ES256`.
    public var algorithm: String
    /// PEM of the private key.
    /// - Warning: Never log it.
    public var privateKeyPEM: String
    /// Unix seconds.
    public var createdAt: Int64
    /// `nil` while the key signs new tokens; once set, it only verifies.
    public var retiredAt: Int64?

    public init(kid: String, algorithm: String, privateKeyPEM: String, createdAt: Int64, retiredAt: Int64? = nil) {
        self.kid = kid
        self.algorithm = algorithm
        self.privateKeyPEM = privateKeyPEM
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}
