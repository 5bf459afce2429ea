import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SesameCore
import SesameServer
import SesameTelemetry
import SesameTestSupport
import Synchronization
import Testing

/// `/metrics`, request ids and JSON logs, through real requests.
@Suite struct TelemetryTests {
    static let requestID = HTTPField.Name("X-Request-Id")!

    /// The value of the sample `name{labels}` in a Prometheus exposition; `nil` when absent.
    /// Labels may come in any order.
    static func sample(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            let head = line.split(separator: " ").dropLast().joined(separator: " ")
            guard head.hasPrefix(name) else { continue }
            let labelText = head.dropFirst(name.count)
            if !labels.isEmpty {
                guard labels.allSatisfy({ labelText.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
            } else if !labelText.isEmpty {
                continue
            }
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    @Test func metricsCountRequestsLoginsRefreshesReuseLockoutsAndStoreLatency() async throws {
        let h = try await TestHarness.make { $0.lockoutThreshold = 2 }
        defer { h.cleanUp() }
        let app = Application(router: h.router())
        try await app.test(.router) { client in
            let c = DialectClient(client)
            let form = try Enduser.emailLogin(email: h.email, password: h.password, domain: h.domain.name, secret: TestHarness.domainSecret)
            let login = try await c.send(.post, Enduser.base + "emailPwdLogin", form: form)
            let refresh = try #require((login.data?["refreshToken"] as? [String: Any])?["token"] as? String)
            #expect(try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", refresh)]).code == 200)
            #expect(try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", refresh)]).code == 200)  // grace replay
            h.clock.advance(by: 60)
            #expect(try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", refresh)]).code != 200)  // reuse
            #expect(try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", "x")]).code != 200)  // rejected
            for _ in 0..<2 {
                _ = try await c.send(
                    .get, "/v2/Authorization/GetAccessToken", query: [("authKey", h.username), ("authValue", "wrong-pass-1")])
            }
            _ = try await c.send(.get, "/nowhere/\(UUID().uuidString)")

            let metrics = try await c.send(.get, "/metrics")
            #expect(metrics.status == .ok && metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = metrics.text
            #expect(Self.sample(text, "sesame_logins_total", ["dialect": "enduser", "outcome": "success"]) == 1)
            #expect(Self.sample(text, "sesame_logins_total", ["dialect": "kanfang", "outcome": "invalid-credentials"]) == 1)
            #expect(Self.sample(text, "sesame_logins_total", ["dialect": "kanfang", "outcome": "frozen"]) == 1)
            #expect(Self.sample(text, "sesame_lockouts_total", ["dialect": "kanfang"]) == 1)
            #expect(Self.sample(text, "sesame_refreshes_total", ["dialect": "enduser", "outcome": "rotated"]) == 1)
            #expect(Self.sample(text, "sesame_refreshes_total", ["dialect": "enduser", "outcome": "replayed"]) == 1)
            #expect(Self.sample(text, "sesame_refreshes_total", ["dialect": "enduser", "outcome": "reuse-revoked"]) == 1)
            #expect(Self.sample(text, "sesame_refreshes_total", ["dialect": "enduser", "outcome": "rejected"]) == 1)
            #expect(Self.sample(text, "sesame_refresh_reuse_detections_total", ["dialect": "enduser"]) == 1)
            #expect(
                Self.sample(text, "sesame_http_requests_total", ["route": "/v2/enduser/enduserapi/refreshToken", "status": "2xx"]) == 4)
            #expect(Self.sample(text, "sesame_http_requests_total", ["route": "unmatched", "status": "4xx"]) == 1)
            #expect(Self.sample(text, "sesame_http_request_duration_seconds_count", ["route": "/v2/Authorization/GetAccessToken"]) == 2)
            #expect((Self.sample(text, "sesame_store_operation_duration_seconds_count", ["operation": "rotate"]) ?? 0) == 3)
            #expect((Self.sample(text, "sesame_store_operation_duration_seconds_count", ["operation": "create_session"]) ?? 0) == 1)
            // No unmatched path ever becomes a label.
            #expect(!text.contains("/nowhere"))
        }
    }

    @Test func everyResponseCarriesARequestIDAndEveryLogLineOfItsRequestNamesIt() async throws {
        let capture = LogCapture()
        let h = try await TestHarness.make(logger: capture.logger(level: .debug))
        defer { h.cleanUp() }
        let app = Application(router: h.router())
        try await app.test(.router) { client in
            let c = DialectClient(client)
            let mine = try await c.send(.get, "/health", headers: [Self.requestID: "edge-42.a:b_c"])
            #expect(mine.headers[Self.requestID] == "edge-42.a:b_c")
            for hostile in ["has space", String(repeating: "a", count: 129), "line\u{1}break", "{\"json\":1}"] {
                let reply = try await c.send(.get, "/health", headers: [Self.requestID: hostile])
                let id = try #require(reply.headers[Self.requestID])
                #expect(id != hostile && RequestID.isAcceptable(id))
            }
            let generated = try await c.send(.get, "/nowhere")
            #expect(generated.status == .notFound && generated.headers[Self.requestID].map(RequestID.isAcceptable) == true)
            // The fallback envelopes and the dialects carry it too.
            let kanfang = try await c.send(
                .get, "/v2/Authorization/GetAccessToken", query: [("authKey", h.username), ("authValue", "wrong-pass-2")],
                headers: [Self.requestID: "trace-me"])
            #expect(kanfang.state == 401 && kanfang.headers[Self.requestID] == "trace-me")
        }
        // The debug request line, and the core's own lines, of that request name it.
        let traced = capture.all.filter { $0.contains("trace-me") }
        #expect(traced.contains { $0.contains("request") && $0.contains("/v2/Authorization/GetAccessToken") })
        #expect(!capture.all.filter { $0.contains("request_id") }.isEmpty)
    }

    @Test func jsonLogLinesAreOneObjectEach() throws {
        let lines = LockedLines()
        var logger = Logger(label: "sesame") { label in
            JSONLogHandler(label: label, metadataProvider: RequestID.metadataProvider) { lines.append($0) }
        }
        logger.logLevel = .debug
        RequestID.$current.withValue("req-1") {
            logger.info("hello \"world\"\nsecond line", metadata: ["n": "\(3)", "nested": .dictionary(["a": .array(["x"])])])
        }
        logger.debug("outside")
        logger.trace("dropped")
        let all = lines.all
        #expect(all.count == 2 && all.allSatisfy { !$0.contains("\n") })
        let first = try #require(try JSONSerialization.jsonObject(with: Data(all[0].utf8)) as? [String: Any])
        #expect(first["level"] as? String == "info" && first["label"] as? String == "sesame")
        #expect(first["message"] as? String == "hello \"world\"\nsecond line")
        #expect((first["ts"] as? String)?.hasSuffix("Z") == true)
        let metadata = try #require(first["metadata"] as? [String: Any])
        #expect(metadata["request_id"] as? String == "req-1" && metadata["n"] as? String == "3")
        #expect(((metadata["nested"] as? [String: Any])?["a"] as? [String]) == ["x"])
        let second = try #require(try JSONSerialization.jsonObject(with: Data(all[1].utf8)) as? [String: Any])
        #expect((second["metadata"] as? [String: Any])?["request_id"] == nil)
    }
}

/// Lines collected from a handler's sink.
final class LockedLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
