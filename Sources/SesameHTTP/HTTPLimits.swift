/// What every request is checked against before it reaches the core: size limits, and how the
/// client's address is found (for the per-address limits).
public struct HTTPLimits: Sendable, Equatable {
    /// The largest body read, in bytes (`SESAME_MAX_BODY_BYTES`, default 65,536).
    public var maxBodyBytes: Int
    /// Finds the client address behind trusted proxies (`SESAME_TRUSTED_PROXIES`).
    public var clientAddresses: ClientAddressResolver

    public init(maxBodyBytes: Int = 65_536, clientAddresses: ClientAddressResolver = ClientAddressResolver()) {
        self.maxBodyBytes = maxBodyBytes
        self.clientAddresses = clientAddresses
    }
}
