import Foundation
import Hummingbird

/// The load benchmark's ceiling: the fastest answer this machine's Hummingbird can give, a
/// fixed JSON body of about 300 bytes (the size of a token-pair envelope) with the same
/// headers Sesame sends, on one route and no middleware.
///
/// Every Sesame scenario in `Benchmarks/run-load.sh` is reported as a ratio to this server's
/// requests/s under identical `wrk` settings, so that drift of the shared machine cancels out.
///
/// Usage: `sesame-ceiling [PORT]` (default 0: a free port); prints
/// `sesame-ceiling listening on http://127.0.0.1:PORT` once it accepts connections.
@main
struct CeilingServer {
    /// 300 bytes, shaped like a refresh answer.
    static let body: String = {
        let token = String(repeating: "x", count: 43)
        let jwt = String(repeating: "y", count: 150)
        return #"{"code":200,"data":{"accessToken":{"expirationTime":1700007200,"token":"Bearer \#(jwt)"},"#
            + #""refreshToken":{"expirationTime":1702592000,"token":"Bearer \#(token)"}},"extMsg":null,"msg":""}"#
    }()

    static func main() async throws {
        let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
        let bytes = ByteBuffer(string: body)
        let router = Router()
        router.get("ceiling") { _, _ -> Response in
            Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: bytes))
        }
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "Sesame"),
            onServerRunning: { channel in
                print("sesame-ceiling listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)")
                fflush(nil)
            })
        try await app.runService()
    }
}
