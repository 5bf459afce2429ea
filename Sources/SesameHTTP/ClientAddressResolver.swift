import HTTPTypes
import Hummingbird
import SesameCore

/// Finds the client's IP address for the per-address limits: the TCP peer, unless the peer is
/// a trusted proxy, in which case the right-most address of `X-Forwarded-For` that is not
/// itself a trusted proxy. `X-Forwarded-For` from anyone else is ignored, so a client cannot
/// pick the address it is counted under.
public struct ClientAddressResolver: Sendable, Equatable {
    /// Proxies whose `X-Forwarded-For` is believed (`SESAME_TRUSTED_PROXIES`).
    public var trustedProxies: [IPAddressRange]

    public init(trustedProxies: [IPAddressRange] = []) {
        self.trustedProxies = trustedProxies
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// The client address of `request` arriving in `context`; `nil` when the context does not
    /// know its peer (in-process tests).
    public func clientAddress(_ request: Request, _ context: some RequestContext) -> String? {
        guard let peer = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress else { return nil }
        return resolve(peer: peer, forwardedFor: request.headers[values: Self.forwardedFor])
    }

    /// The client address given the TCP peer and the `X-Forwarded-For` header values.
    public func resolve(peer: String, forwardedFor: [String]) -> String {
        guard isTrusted(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { String($0).trimmingWhitespace() }
        var client = peer
        for hop in hops.reversed() {
            // A malformed hop ends the walk: everything to its left may be forged.
            guard IPAddressRange.bytes(of: hop) != nil else { break }
            client = hop
            if !isTrusted(hop) { break }
        }
        return client
    }

    func isTrusted(_ address: String) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }
}
