import Benchmark
import Foundation
import Hummingbird
import JWTKit
import Logging
import SesameCore
import SesameHTTP
import SesameSQLite

/// The pieces of a refresh and a `userInfo` call, one at a time: JWT sign and verify (ES256),
/// refresh-token hashing and successor derivation, one rotation against a real SQLite store
/// (WAL, synchronous=FULL: every iteration is fsync'd), 64 concurrent rotations (group
/// commit), and the enduser envelopes' JSON encoding (Foundation's encoder, as the server
/// answers).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 10,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )

    Benchmark("ES256 sign (SigningKeyRing.sign)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try await fixture.service.keys.sign(fixture.claims))
        }
    } setup: {
        try await Fixture.prepare()
    }

    Benchmark("ES256 verify, uncached (jwt-kit)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try await fixture.jwtKeys.verify(fixture.accessToken, as: AccessTokenClaims.self))
        }
    } setup: {
        try await Fixture.prepare()
    }

    Benchmark("ES256 verify, memoized (SigningKeyRing.verifySignature)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try await fixture.service.keys.verifySignature(fixture.accessToken))
        }
    } setup: {
        try await Fixture.prepare()
    }

    Benchmark("refresh-token hash (SHA-256)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(RandomToken.hash(fixture.refreshToken))
        }
    } setup: {
        try await Fixture.prepare()
    }

    Benchmark("successor derivation (binding + successor + hash)") { benchmark in
        for _ in benchmark.scaledIterations {
            let successor = fixture.service.deriver.successor(ofBinding: fixture.service.deriver.binding(of: fixture.refreshToken))
            blackHole(RandomToken.hash(successor))
        }
    } setup: {
        try await Fixture.prepare()
    }

    Benchmark("one rotation, store only (SQLiteStore.rotate, fsync'd)") { benchmark in
        for _ in benchmark.scaledIterations {
            try await fixture.rotateInStore()
        }
    } setup: {
        try await Fixture.prepare()
    }

    Benchmark("one refresh (TokenService.refresh: rotation + ES256 sign)") { benchmark in
        for _ in benchmark.scaledIterations {
            try await fixture.refreshOnce()
        }
    } setup: {
        try await Fixture.prepare()
    }

    Benchmark(
        "64 concurrent refreshes (group commit)",
        configuration: .init(metrics: [.wallClock, .throughput], maxDuration: .seconds(3), maxIterations: 10_000)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            try await fixture.refreshConcurrently()
        }
    } setup: {
        try await Fixture.prepare()
    }

    Benchmark("enduser envelope encoding (JSONResponse.make)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(JSONResponse.make(fixture.envelope))
        }
    } setup: {
        try await Fixture.prepare()
    }

    Benchmark("userInfo envelope, Foundation JSONEncoder (sortedKeys)") { benchmark in
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        let envelope = EnvelopeShape<UserInfoShape>.sample
        for _ in benchmark.scaledIterations {
            blackHole(try encoder.encode(envelope))
        }
    }
}

/// The shape of enduser's envelope (`EnduserEnvelope<Payload>`, internal to SesameEnduser): it
/// writes `data` and `extMsg` itself, `extMsg` as `null`.
struct EnvelopeShape<Payload: Encodable & Sendable>: Encodable, Sendable {
    var code = 200
    var msg = ""
    var data: Payload

    enum CodingKeys: String, CodingKey { case code, msg, data, extMsg }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(msg, forKey: .msg)
        try c.encode(data, forKey: .data)
        try c.encodeNil(forKey: .extMsg)
    }
}

/// The shape of enduser's `userInfo` payload (`EnduserUserInfo`).
struct UserInfoShape: Encodable, Sendable {
    var uid = "u_8Kq2ZxR4mWc7TnYb3LpQ"
    var email = "bench@example.com"
    var phone = "13800138000"
    var nikeName = "bench"
    var status = 1
    var registerTime: Int64 = 1_763_760_000_000
    var registerTimeTs: Int64 = 1_763_760_000
    var lastLoginTime: Int64 = 1_763_766_123_000
    var lastLoginTimeTs: Int64 = 1_763_766_123
    var lang = ""
    var timezone = ""
    var nationality = ""
    var headimg = ""
    var sex = ""
    var signature = ""
    var remark = ""
    var address = ""
    var city = ""
    var province = ""
    var logonMode = 0
    var appleUserId = ""
    var alipayUserId = ""
    var facebookUserId = ""
    var qqUserId = ""
    var twitterUserId = ""
    var wechatUnionId = ""
    var wechatMiniprogramUserId = ""
    var wechatOffiaccountUserId = ""
}

extension EnvelopeShape where Payload == UserInfoShape {
    static var sample: Self { EnvelopeShape(data: UserInfoShape()) }
}

/// The shape of enduser's token pair (`EnduserTokenPair`), the payload of its refresh answer.
struct TokenPairShape: Encodable, Sendable {
    struct Token: Encodable, Sendable {
        var token: String
        var expirationTime: Int64
    }
    var accessToken: Token
    var refreshToken: Token
}

/// One store and token core for every benchmark, built by the first setup hook.
///
/// Benchmarks run one after another, never concurrently, so the chains of refresh tokens are
/// only ever advanced by one benchmark at a time.
final class Fixture: @unchecked Sendable {
    let directory: URL
    let store: SQLiteStore
    let service: TokenService
    let claims: AccessTokenClaims
    let accessToken: String
    let refreshToken: String
    let jwtKeys: JWTKeyCollection
    let envelope: EnvelopeShape<TokenPairShape>
    /// The current refresh token of the session that `rotateInStore` and `refreshOnce` advance.
    var chain: String
    /// The current refresh tokens of 64 sessions, for `refreshConcurrently`.
    var chains: [String]

    nonisolated(unsafe) static var shared: Fixture?

    static func prepare() async throws {
        guard shared == nil else { return }
        shared = try await Fixture()
        // The fixture lives as long as the benchmark process: its store goes when the process does.
        atexit {
            if let directory = Fixture.shared?.directory { try? FileManager.default.removeItem(at: directory) }
        }
    }

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sesame-micro-\(UUID().uuidString)")
        store = try SQLiteStore(path: directory.appendingPathComponent("sesame.sqlite").path)
        var configuration = SesameConfiguration()
        configuration.bcryptCost = 4
        var logger = Logger(label: "sesame-micro")
        logger.logLevel = .critical
        service = try await TokenService.start(store: store, configuration: configuration, issuer: "http://bench", logger: logger)
        let admin = Administration(store: store, hasher: service.hasher)
        let domain = try await admin.addDomain(name: "default", secret: RandomToken.make(byteCount: 24))
        _ = try await admin.addUser(.init(domain: "default", email: "bench@example.com", username: "bench", password: "bench-pass-1"))
        let login = { [service] in
            try await service.login(domain: domain, identifier: .email("bench@example.com"), password: "bench-pass-1", dialect: .enduser)
        }
        let first = try await login()
        accessToken = first.accessToken
        refreshToken = first.refreshToken
        claims = try await service.keys.verifySignature(first.accessToken)
        chain = try await login().refreshToken
        var chains: [String] = []
        for _ in 0..<64 { chains.append(try await login().refreshToken) }
        self.chains = chains
        let record = try require(try await store.signingKeys().first)
        jwtKeys = JWTKeyCollection()
        await jwtKeys.add(ecdsa: try ES256PrivateKey(pem: record.privateKeyPEM), kid: JWKIdentifier(string: record.kid))
        envelope = EnvelopeShape(
            data: TokenPairShape(
                accessToken: .init(token: "Bearer " + first.accessToken, expirationTime: first.accessExpiresAt),
                refreshToken: .init(token: "Bearer " + first.refreshToken, expirationTime: first.refreshExpiresAt)))
    }

    /// One rotation straight against the store, with the policy's verdict, as TokenService does.
    func rotateInStore() async throws {
        let deriver = service.deriver
        let binding = deriver.binding(of: chain)
        let key = try require(RefreshTokenKey(token: chain))
        let successorID = deriver.successorID(ofBinding: binding)
        let location = try require(key.location)
        let successor = try require(
            RefreshTokenKey.token(sessionID: location.sessionID, id: successorID, secret: deriver.successorSecret(ofBinding: binding)))
        let successorHash = RandomToken.hash(successor)
        let now = service.clock.unixNow()
        let policy = RefreshPolicy(
            dialect: .enduser, clientID: nil, kind: .refreshToken, refreshLifetime: 2_592_000, grace: 10,
            successorHash: successorHash, now: now)
        let result = try await store.rotate(
            RotationRequest(
                token: key, successorHash: successorHash, successorID: successorID, successorIsLocated: true, now: now)
        ) { policy.decide($0) }
        guard case .rotated = result else { fatalError("rotation failed: \(result)") }
        chain = successor
    }

    func refreshOnce() async throws {
        chain = try await service.refresh(.refreshToken(chain), dialect: .enduser).refreshToken
    }

    func refreshConcurrently() async throws {
        let service = self.service
        chains = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for (i, token) in chains.enumerated() {
                group.addTask { (i, try await service.refresh(.refreshToken(token), dialect: .enduser).refreshToken) }
            }
            var next = chains
            for try await (i, token) in group { next[i] = token }
            return next
        }
    }
}

/// The fixture, once a setup hook made it.
var fixture: Fixture { Fixture.shared! }

/// `#require` without Testing: the value or a crash with a message.
func require<T>(_ value: T?, _ message: String = "missing value") throws -> T {
    guard let value else { fatalError(message) }
    return value
}
