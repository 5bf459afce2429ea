/// Size limits applied to every request before it reaches the core.
public struct HTTPLimits: Sendable, Equatable {
    /// The largest body read, in bytes (`SESAME_MAX_BODY_BYTES`, default 65,536).
    public var maxBodyBytes: Int

    public init(maxBodyBytes: Int = 65_536) {
        self.maxBodyBytes = maxBodyBytes
    }
}
