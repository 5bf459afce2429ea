import Foundation
import NIOCore
import SesameCore
@testable import SesameEnduser
import SesameHTTP
@testable import SesameKanfang
@testable import SesameOAuth
import Testing

/// `SortedKeysJSONEncoder` writes exactly Foundation's bytes: for every answer the dialects
/// encode, filled with awkward values, and for thousands of generated nested values. The direct
/// writer must handle all of them itself (no fallback); the cases it hands to Foundation are
/// checked to come out as Foundation's.
@Suite struct SortedKeysJSONEncoderTests {
    /// Foundation's encoder, configured as `JSONResponse` configured it.
    static func foundation<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return Array(try encoder.encode(value))
    }

    /// The direct writer's bytes; `nil` when it handed `value` to Foundation.
    static func direct<T: Encodable>(_ value: T) -> [UInt8]? {
        SortedKeysJSONEncoder().encodeWithoutFallback(value).map { Array($0.readableBytesView) }
    }

    /// The direct writer handles `value` itself, and its bytes are Foundation's.
    static func expectSame<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try foundation(value)
        let written = try #require(direct(value), "handed to Foundation: \(value)", sourceLocation: sourceLocation)
        if written != expected {
            Issue.record(
                "bytes differ:\n\(String(decoding: written, as: UTF8.self))\n\(String(decoding: expected, as: UTF8.self)) (Foundation)",
                sourceLocation: sourceLocation)
        }
    }

    static let awkward: [String] = [
        "", "plain", "quote\"d\"", "back\\slash\\", "sl/ash https://sesame.example/v2/x?y=/z", "\u{0}\u{1}\u{7}\u{b}\u{e}\u{f}\u{10}\u{1f}",
        "\u{8}\u{c}\n\r\t", "\u{7f}\u{80}\u{9f}", "emoji 😀 👩‍👩‍👧 🇨🇳", "é 中文 Ω", "\u{2028}\u{2029}\u{feff}", "</script><!--", "\\u0000 \\n",
        "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_", " spaced ", "\"", "\\", "/",
    ]

    static let integers: [Int64] = [0, 1, -1, 9, 10, -10, 1_700_000_000, 1_700_000_000_000, Int64.min, Int64.max, Int64.min + 1]

    static func user(_ text: String, _ number: Int64, optionalsPresent: Bool) -> User {
        User(
            uid: text, domainID: number, email: optionalsPresent ? text + "@x" : nil, phone: optionalsPresent ? text : nil,
            internationalCode: optionalsPresent ? "86" : nil, username: optionalsPresent ? text : nil,
            nickname: optionalsPresent ? text : nil, passwordHash: "never encoded", enabled: number % 2 == 0,
            registeredAt: number / 1000, lastLoginAt: optionalsPresent ? number / 1000 : nil)
    }

    // MARK: What the dialects answer

    @Test func enduserEnvelopes() throws {
        for (i, text) in Self.awkward.enumerated() {
            let number = Self.integers[i % Self.integers.count]
            var info = EnduserUserInfo(Self.user(text, number, optionalsPresent: i % 3 != 0))
            info.lang = text
            info.headimg = text + "/" + text
            info.wechatMiniprogramUserId = text
            info.logonMode = Int(number)
            info.registerTime = number
            info.lastLoginTimeTs = Int64.max - Int64(i)
            try Self.expectSame(EnduserEnvelope(code: EnduserCode.success.code, msg: "", data: info))
            try Self.expectSame(EnduserEnvelope(code: Int(number), msg: text, data: info))

            let pair = EnduserTokenPair(
                accessToken: EnduserToken(token: "Bearer " + text, expirationTime: number),
                refreshToken: EnduserToken(token: text, expirationTime: ~number))
            try Self.expectSame(EnduserEnvelope(code: 200, msg: text, data: pair))
            try Self.expectSame(EnduserEnvelope(code: 200, msg: "", data: JSONEmptyObject()))
            try Self.expectSame(EnduserEnvelope<JSONNull>(code: Int(truncatingIfNeeded: number), msg: text, data: nil))
            try Self.expectSame(EnduserEnvelope<EnduserTokenPair>(code: 0, msg: text, data: nil))
        }
        for code in [EnduserCode.success, .tokenInvalid, .serviceError, .passwordFormat, .frozen] {
            try Self.expectSame(EnduserEnvelope<JSONNull>(code: code.code, msg: code.message, data: nil))
        }
    }

    @Test func kanfangEnvelopes() throws {
        for (i, text) in Self.awkward.enumerated() {
            let number = Self.integers[i % Self.integers.count]
            let pair = KanfangTokenPair(token: text, tokenExpireIn: number, refreshToken: text + text, refreshTokenExpireIn: ~number)
            try Self.expectSame(KanfangEnvelope(state: 200, payload: pair))
            try Self.expectSame(KanfangEnvelope(state: KanfangState.tokenRefreshFailed.rawValue, payload: text))
        }
    }

    @Test func oauthAnswers() throws {
        for (i, text) in Self.awkward.enumerated() {
            let number = Self.integers[i % Self.integers.count]
            let present = i % 2 == 0
            try Self.expectSame(OAuthTokenResponse(access_token: text, expires_in: number, refresh_token: text))
            try Self.expectSame(
                OAuthIntrospectionResponse(
                    client_id: text, sub: text, iss: text, jti: text, iat: number, exp: Int64.max, nbf: present ? number : nil,
                    aud: present ? text : nil, token_type: text))
            try Self.expectSame(OAuthInactive())
            try Self.expectSame(
                OAuthUserInfo(
                    sub: text, email: present ? text : nil, phone_number: present ? nil : text, preferred_username: text,
                    nickname: present ? nil : text))
            try Self.expectSame(AuthorizationServerMetadata(issuer: "https://" + text + "/"))
            try Self.expectSame(OAuthErrorBody(error: text, error_description: text + "\n" + text))
            try Self.expectSame(
                JSONWebKeySet(keys: [
                    JSONWebKey(kty: "EC", kid: text, alg: "ES256", crv: "P-256", x: text, y: text),
                    JSONWebKey(kty: "RSA", kid: text + "2", alg: "RS256", n: text, e: "AQAB"),
                    JSONWebKey(kty: "OKP", kid: "", alg: "EdDSA", use: text, crv: "Ed25519", x: text),
                ]))
            try Self.expectSame(JSONWebKeySet(keys: []))
            try Self.expectSame(["status": text])
        }
    }

    // MARK: Every kind of value

    @Test func scalarsAtTheTopAndInsideContainers() throws {
        for text in Self.awkward { try Self.expectSame(text) }
        for number in Self.integers {
            try Self.expectSame(number)
            try Self.expectSame([Int(number)])
        }
        try Self.expectSame([Int8.min, Int8.max])
        try Self.expectSame([Int16.min, Int16.max])
        try Self.expectSame([Int32.min, Int32.max])
        try Self.expectSame([UInt.max, 0])
        try Self.expectSame([UInt8.max])
        try Self.expectSame([UInt16.max])
        try Self.expectSame([UInt32.max])
        try Self.expectSame([UInt64.max])
        try Self.expectSame([Int128.min, Int128.max])
        try Self.expectSame([UInt128.max])
        try Self.expectSame([true, false])
        try Self.expectSame(Bool?.none)
        try Self.expectSame([nil, 1] as [Int?])
        try Self.expectSame([
            0.0, -0.0, 0.1, 1, -1.5, 1e20, 1e21, 1e-7, 123_456_789.123, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 2.5e-308, 1 / 3,
        ])
        try Self.expectSame([Float(0.1), 1, -0, 3.4e38, 1e-7, Float.leastNonzeroMagnitude, 16_777_216])
        try Self.expectSame(["d": Date(timeIntervalSinceReferenceDate: 1.5), "e": Date(timeIntervalSince1970: 1_700_000_000.25)])
        try Self.expectSame(["data": Data([0, 1, 2, 255, 254]), "empty": Data()])
        try Self.expectSame([URL(string: "https://x.example/a/b?c=d&e=%2F#f")!, URL(string: "rel/path", relativeTo: URL(string: "http://h/")!)!])
        try Self.expectSame([Decimal(string: "1.2300")!, Decimal(-5), Decimal(string: "0.000001")!])
        try Self.expectSame([[Int]]())
        try Self.expectSame([String: Int]())
        try Self.expectSame([10: "ten", 9: "nine", -1: "minus"])
        try Self.expectSame([Nothing()])
        try Self.expectSame(["n": [Nothing()]])
    }

    /// A value whose `encode(to:)` writes nothing: `{}` inside a container.
    struct Nothing: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    @Test func keysSortByTheirRawBytes() throws {
        // Escapes must not change the order: `"` (0x22) sorts before `#` (0x23), its escape `\"` would not.
        let keys = [
            "", "\u{0}", "\"", "#", "\\", "]", "a\"", "a#", "a", "aa", "aaaaaaaa", "aaaaaaaa\u{0}", "aaaaaaaab", "aaaaaaaaa", "B", "b",
            "é", "e\u{301}", "😀", "\u{7f}", "\u{1f}", "10", "9", "/", "key\nline",
            // Equal first eight bytes: the order is decided on the raw bytes after them.
            "aaaaaaaa\"", "aaaaaaaa#", "aaaaaaaa\\", "aaaaaaaa]", "aaaaaaaa\u{1}", "aaaaaaaa\u{0}\u{0}", "aaaaaaaa\n\"", "aaaaaaaa\n!",
        ]
        var dictionary: [String: Int] = [:]
        for (i, key) in keys.enumerated() { dictionary[key] = i }
        try Self.expectSame(dictionary)
        try Self.expectSame(["outer": dictionary, "\"": dictionary])
    }

    @Test func containersNestedByHandAndAClassHierarchy() throws {
        try Self.expectSame(Derived())
        try Self.expectSame([Derived(), Derived()])
        try Self.expectSame(Nesting(members: [("z", .integer(1)), ("a", .string("x"))], inner: [("y", .null), ("b", .bool(true))], list: [.integer(2)]))
    }

    class Base: Encodable {
        enum Keys: String, CodingKey { case zulu, base, alpha }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode("base", forKey: .base)
            try c.encode(1, forKey: .zulu)
        }
    }

    /// Asks for the same keyed container as its superclass: Foundation merges the two.
    final class Derived: Base {
        override func encode(to encoder: any Encoder) throws {
            try super.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode([3, 1], forKey: .alpha)
        }
    }

    // MARK: Generated values

    @Test func thousandsOfGeneratedValues() throws {
        var generator = ValueGenerator(seed: 0x5E5A_3E00)
        var mismatches: [String] = []
        var fallbacks = 0
        for _ in 0..<4000 {
            let value = generator.node(depth: 0)
            let expected = try Self.foundation(value)
            guard let written = Self.direct(value) else {
                fallbacks += 1
                continue
            }
            if written != expected && mismatches.count < 5 {
                mismatches.append("\(String(decoding: written, as: UTF8.self))\n\(String(decoding: expected, as: UTF8.self))")
            }
        }
        #expect(fallbacks == 0)
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n\n"))")
    }

    // MARK: What goes to Foundation

    @Test func whatTheDirectWriterCannotDoGoesToFoundation() throws {
        let cases: [any Encodable] = [
            SuperEncoding(), DuplicateKey(), LateNestedWrite(), Deep(depth: SortedKeysJSONEncoder.maximumDepth + 10),
            MixedContainers(), SwallowedError(), SwallowedDuplicate(),
        ]
        for value in cases {
            #expect(Self.direct(value) == nil, "\(type(of: value))")
            let encoded = try SortedKeysJSONEncoder().encode(value)
            #expect(Array(encoded.readableBytesView) == (try Self.foundation(value)), "\(type(of: value))")
        }
        try Self.expectSame(Deep(depth: SortedKeysJSONEncoder.maximumDepth - 1))
    }

    @Test func whatFoundationRefusesIsRefused() {
        #expect(throws: EncodingError.self) { try SortedKeysJSONEncoder().encode(Double.nan) }
        #expect(throws: EncodingError.self) { try SortedKeysJSONEncoder().encode(["x": Float.infinity]) }
        #expect(throws: EncodingError.self) { try SortedKeysJSONEncoder().encode(Nothing()) }
        #expect(Self.direct(["x": -Double.infinity]) == nil)
    }

    /// Encodes its superclass's members through `superEncoder()`.
    final class SuperEncoding: Base {
        override func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try super.encode(to: c.superEncoder())
            try c.encode(2, forKey: .alpha)
        }
    }

    /// Writes one key twice: Foundation keeps the last value.
    struct DuplicateKey: Encodable {
        enum Keys: String, CodingKey { case a, b }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(1, forKey: .a)
            try c.encode(2, forKey: .b)
            try c.encode(3, forKey: .a)
        }
    }

    /// Writes into a nested container after its parent moved on.
    struct LateNestedWrite: Encodable {
        enum Keys: String, CodingKey { case a, b, c }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            var nested = c.nestedUnkeyedContainer(forKey: .a)
            try nested.encode(1)
            try c.encode(2, forKey: .b)
            try nested.encode(3)
        }
    }

    /// Catches the error the direct writer raises for a nested value's duplicate key.
    struct SwallowedDuplicate: Encodable {
        enum Keys: String, CodingKey { case a, b }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try? c.encode(DuplicateKey(), forKey: .a)
            try c.encode(1, forKey: .b)
        }
    }

    /// An array inside an array, `depth` times.
    struct Deep: Encodable {
        var depth: Int
        func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            for _ in 1..<depth { c = c.nestedUnkeyedContainer() }
            try c.encode(true)
        }
    }

    /// A single value, then a keyed container on the same value: Foundation turns the value
    /// into the container's start.
    struct MixedContainers: Encodable {
        enum Keys: String, CodingKey { case a }
        func encode(to encoder: any Encoder) throws {
            var single = encoder.singleValueContainer()
            try single.encode(["b": 1])
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(2, forKey: .a)
        }
    }

    /// Catches a member's error and goes on: Foundation leaves the member out.
    struct SwallowedError: Encodable {
        enum Keys: String, CodingKey { case a, b }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try? c.encode(Double.nan, forKey: .a)
            try c.encode(1, forKey: .b)
        }
    }
}

// MARK: - Generated values

/// A JSON-shaped value built from a seeded generator: scalars, arrays, string- and int-keyed
/// dictionaries, optionals, synthesized `Codable` records and hand-nested containers.
private indirect enum Node: Encodable {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case small(Int8)
    case double(Double)
    case float(Float)
    case bool(Bool)
    case null
    case array([Node])
    case object([String: Node])
    case intKeyed([Int: Node])
    case optional(Node?)
    case record(Record)
    case nesting(Nesting)

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let value): try value.encode(to: encoder)
        case .integer(let value): try value.encode(to: encoder)
        case .unsigned(let value): try value.encode(to: encoder)
        case .small(let value): try value.encode(to: encoder)
        case .double(let value): try value.encode(to: encoder)
        case .float(let value): try value.encode(to: encoder)
        case .bool(let value): try value.encode(to: encoder)
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .array(let value): try value.encode(to: encoder)
        case .object(let value): try value.encode(to: encoder)
        case .intKeyed(let value): try value.encode(to: encoder)
        case .optional(let value):
            var c = encoder.singleValueContainer()
            try c.encode(value)
        case .record(let value): try value.encode(to: encoder)
        case .nesting(let value): try value.encode(to: encoder)
        }
    }
}

/// Synthesized `Encodable`: optionals left out when `nil` (`encodeIfPresent`).
private struct Record: Encodable {
    var name: String
    var count: Int
    var note: String?
    var flag: Bool?
    var children: [Node]
    var map: [String: Node]
    var zeta: Int64
    var alpha: UInt16
    var nested: Node?
    var ratio: Double?
    var names: [String]
    var numbers: [Int32]
}

/// Hand-written containers: a nested object filled first, then the parent's members, a nested
/// array holding an object, and a nil.
private struct Nesting: Encodable {
    var members: [(String, Node)]
    var inner: [(String, Node)]
    var list: [Node]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        var nested = c.nestedContainer(keyedBy: Key.self, forKey: Key("nested"))
        for (key, value) in inner { try nested.encode(value, forKey: Key(key)) }
        for (key, value) in members { try c.encode(value, forKey: Key(key)) }
        var list = c.nestedUnkeyedContainer(forKey: Key("list"))
        for value in self.list { try list.encode(value) }
        var last = list.nestedContainer(keyedBy: Key.self)
        try last.encodeNil(forKey: Key("x"))
        try last.encode(list.count, forKey: Key("count"))
        try c.encodeNil(forKey: Key("nil"))
    }
}

/// SplitMix64: a small seeded generator, so that a failure reproduces.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private struct ValueGenerator {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(state: seed) }

    static let characters: [String] = [
        "a", "b", "z", "A", "Z", "0", "9", " ", "\"", "\\", "/", "\u{0}", "\u{1}", "\u{8}", "\t", "\n", "\u{b}", "\u{c}", "\r",
        "\u{1f}", "\u{7f}", "é", "e\u{301}", "中", "😀", "👩‍👩‍👧", "\u{2028}", "#", "{", "}", ":", ",", "[", "~",
    ]
    static let doubles: [Double] = [0, -0.0, 0.1, 0.5, 1, -1, 100, 1e15, 1e16, 1e20, 1e21, 1e-5, 1e-7, Double.leastNonzeroMagnitude, 1.7976931348623157e308]

    mutating func string(maxLength: Int = 6) -> String {
        let length = Int.random(in: 0...maxLength, using: &rng)
        var text = ""
        for _ in 0..<length { text += Self.characters.randomElement(using: &rng)! }
        return text
    }

    /// Keys that share long prefixes now and then, so that sorting looks past the eighth byte.
    mutating func key() -> String {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: "aaaaaaaa" + string(maxLength: 2)
        case 1: "k" + String(Int.random(in: 0..<20, using: &rng))
        default: string(maxLength: 4)
        }
    }

    mutating func integer() -> Int64 {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: [Int64.min, Int64.max, 0, -1, 10].randomElement(using: &rng)!
        case 1: Int64.random(in: -1000...1000, using: &rng)
        default: Int64(bitPattern: rng.next())
        }
    }

    mutating func double() -> Double {
        if Bool.random(using: &rng) { return Self.doubles.randomElement(using: &rng)! * (Bool.random(using: &rng) ? 1 : -1) }
        var value: Double
        repeat { value = Double(bitPattern: rng.next()) } while !value.isFinite
        return value
    }

    mutating func float() -> Float {
        var value: Float
        repeat { value = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) } while !value.isFinite
        return value
    }

    mutating func nodes(depth: Int) -> [Node] {
        (0..<Int.random(in: 0...4, using: &rng)).map { _ in node(depth: depth) }
    }

    mutating func members(depth: Int, avoiding reserved: Set<String> = []) -> [(String, Node)] {
        var seen = reserved
        var result: [(String, Node)] = []
        for _ in 0..<Int.random(in: 0...6, using: &rng) {
            let key = key()
            guard seen.insert(key).inserted else { continue }
            result.append((key, node(depth: depth)))
        }
        return result
    }

    mutating func node(depth: Int) -> Node {
        let kinds = depth >= 4 ? 8 : 14
        switch Int.random(in: 0..<kinds, using: &rng) {
        case 0: return .string(string())
        case 1: return .integer(integer())
        case 2: return .unsigned(rng.next())
        case 3: return .small(Int8.random(in: Int8.min...Int8.max, using: &rng))
        case 4: return .double(double())
        case 5: return .float(float())
        case 6: return .bool(Bool.random(using: &rng))
        case 7: return .null
        case 8: return .array(nodes(depth: depth + 1))
        case 9: return .object(Dictionary(members(depth: depth + 1), uniquingKeysWith: { a, _ in a }))
        case 10:
            var dictionary: [Int: Node] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &rng) { dictionary[Int(integer() % 100)] = node(depth: depth + 1) }
            return .intKeyed(dictionary)
        case 11: return .optional(Bool.random(using: &rng) ? node(depth: depth + 1) : nil)
        case 12:
            return .record(
                Record(
                    name: string(), count: Int(integer()), note: Bool.random(using: &rng) ? string() : nil,
                    flag: Bool.random(using: &rng) ? Bool.random(using: &rng) : nil, children: nodes(depth: depth + 1),
                    map: Dictionary(members(depth: depth + 1), uniquingKeysWith: { a, _ in a }), zeta: integer(),
                    alpha: UInt16.random(in: 0...UInt16.max, using: &rng), nested: Bool.random(using: &rng) ? node(depth: depth + 1) : nil,
                    ratio: Bool.random(using: &rng) ? double() : nil, names: (0..<Int.random(in: 0...3, using: &rng)).map { _ in string() },
                    numbers: (0..<Int.random(in: 0...3, using: &rng)).map { _ in Int32(truncatingIfNeeded: integer()) }))
        default:
            return .nesting(
                Nesting(
                    members: members(depth: depth + 1, avoiding: ["nested", "list", "nil"]), inner: members(depth: depth + 1),
                    list: nodes(depth: depth + 1)))
        }
    }
}
