import Hummingbird
import NIOCore

/// Builds JSON responses.
public enum JSONResponse {
    /// Foundation's `JSONEncoder` output with `[.withoutEscapingSlashes, .sortedKeys]`, written
    /// straight into the body's buffer.
    private static let encoder = SortedKeysJSONEncoder()

    /// A response with `value` encoded as JSON.
    ///
    /// - Parameter cacheControl: `no-store` unless the answer holds nothing private (public
    ///   keys, metadata).
    public static func make(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], cacheControl: String = "no-store"
    ) -> Response {
        let body = (try? encoder.encode(value)) ?? ByteBuffer(string: "{}")
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        // Answers carry tokens and account data: no cache may keep them (RFC 6749 §5.1).
        fields[.cacheControl] = cacheControl
        return Response(status: status, headers: fields, body: .init(byteBuffer: body))
    }
}

extension JSONResponse {
    /// A response whose body is `json`, already encoded.
    public static func raw(_ json: String, status: HTTPResponse.Status = .ok, cacheControl: String = "no-store") -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: cacheControl],
            body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}

/// Encodes as JSON `null`.
public struct JSONNull: Encodable, Sendable {
    public init() {}
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encodeNil()
    }
}

/// Encodes as the empty object `{}`.
public struct JSONEmptyObject: Encodable, Sendable {
    public init() {}
    public func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: EmptyKey.self)
    }
    private enum EmptyKey: CodingKey {}
}
