import Foundation
import SesameTestSupport
import Testing

/// Requests no well-behaved client sends, over a real socket to the real binary.
@Suite(.serialized) struct RawSocketTests {
    static func withServer(_ body: (Int) async throws -> Void) async throws {
        let directory = try TemporaryDirectory("sesame-raw")
        defer { directory.remove() }
        let (server, port) = try await SesameProcess.serve(database: directory.sqliteURL)
        defer { server.send(SIGKILL) }
        try await body(port)
        server.send(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        #expect(!server.stderr.contains("error"), "\(server.stderr)")
    }

    /// Answers on a connection that will carry no further request say `Connection: close`: the
    /// client asked to close, or asked to upgrade (SwiftNIO stops reading such a connection, so
    /// a client reusing it would wait for the idle timeout; found by the fuzz campaign).
    @Test func answersThatEndTheConnectionSaySo() async throws {
        try await Self.withServer { port in
            let upgrade = try RawHTTP.exchange(
                port: port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n",
                timeout: .seconds(2))
            #expect(upgrade.hasPrefix("HTTP/1.1 200"), "\(upgrade)")
            #expect(upgrade.lowercased().contains("connection: close"), "\(upgrade)")
            let close = try RawHTTP.exchange(port: port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(close.lowercased().contains("connection: close"), "\(close)")
        }
    }

    @Test func brokenChunkedBodiesAreBadRequestsNotServerErrors() async throws {
        try await Self.withServer { port in
            for (path, key) in [("/v2/enduser/enduserapi/refreshToken", "code"), ("/v2/Authorization/RefreshToken", "state")] {
                let method = key == "code" ? "PUT" : "GET"
                let r = try RawHTTP.exchange(
                    port: port, "\(method) \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                let json = RawHTTP.json(r)
                if r.hasPrefix("HTTP/1.1 200") {
                    let value = json[key] as? Int
                    #expect(value == 400 || value == 403, "\(r)")
                } else {
                    #expect(r.hasPrefix("HTTP/1.1 4"), "\(r)")
                }
                #expect(!r.contains("5000") && !r.contains("\"state\":500"))
            }
        }
    }

    @Test func anAnnouncedBodyOverTheLimitIsRefusedAtOnce() async throws {
        try await Self.withServer { port in
            let start = ContinuousClock.now
            let r = try RawHTTP.exchange(
                port: port,
                "PUT /v2/enduser/enduserapi/refreshToken HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 99999999999\r\n\r\n")
            #expect(ContinuousClock.now - start < .seconds(4))
            #expect(RawHTTP.json(r)["code"] as? Int == 413, "\(r)")
        }
    }

    @Test(arguments: ["TRACE", "PROPFIND", "PATCH", "OPTIONS"])
    func anyMethodOnADialectPathGetsTheEnvelope(method: String) async throws {
        try await Self.withServer { port in
            let e = try RawHTTP.exchange(port: port, "\(method) /v2/enduser/enduserapi/userInfo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(RawHTTP.json(e)["code"] as? Int == 405, "\(e)")
            let k = try RawHTTP.exchange(port: port, "\(method) /v2/Authorization/GetAccessToken HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(RawHTTP.json(k)["state"] as? Int == 403, "\(k)")
            let bare = try RawHTTP.exchange(port: port, "\(method) /v2/enduser/enduserapi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(RawHTTP.json(bare)["code"] as? Int == 404, "\(bare)")
        }
    }
}
