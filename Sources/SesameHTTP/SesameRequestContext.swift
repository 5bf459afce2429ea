import Hummingbird
import NIOCore

/// The request context of Sesame's router: Hummingbird's basic context plus the peer's
/// address, from which ``ClientAddressResolver`` derives the client's.
public struct SesameRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer: the client, or the proxy in front of Sesame.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
