import Foundation
import Hummingbird
import NIOCore

/// Builds JSON responses with Foundation's `JSONEncoder` (`[.sortedKeys, .withoutEscapingSlashes]`,
/// so that every answer's bytes are stable).
///
/// An answer that cannot be encoded is never sent as a success: ``make(_:status:headers:cacheControl:)``
/// throws, and each dialect turns that into its own internal-error answer.
public enum JSONResponse {
    /// Configured once; `JSONEncoder` may be used from many tasks at once.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The JSON bytes of `value`.
    /// - Throws: `EncodingError` when `value` cannot be encoded (a non-finite number, an
    ///   `Encodable` that encodes nothing).
    public static func encode(_ value: some Encodable) throws -> ByteBuffer {
        ByteBuffer(bytes: try encoder.encode(value))
    }

    /// A response with `value` encoded as JSON.
    ///
    /// - Parameter cacheControl: `no-store` unless the answer holds nothing private (public
    ///   keys, metadata).
    /// - Throws: `EncodingError` when `value` cannot be encoded: nothing is answered then.
    public static func make(
        _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], cacheControl: String = "no-store"
    ) throws -> Response {
        let body = try encode(value)
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        // Answers carry tokens and account data: no cache may keep them (RFC 6749 §5.1).
        fields[.cacheControl] = cacheControl
        return Response(status: status, headers: fields, body: .init(byteBuffer: body))
    }

    /// An answer of fixed shape: `value` as JSON with `status`, for the error envelopes of the
    /// dialects and `/health` (codes and messages only). Should even that fail to encode, the answer is a
    /// bare `500 Internal Server Error` with an empty body, never a success.
    public static func fixed(
        _ value: some Encodable, status: HTTPResponse.Status, headers: HTTPFields = [:]
    ) -> Response {
        (try? make(value, status: status, headers: headers)) ?? Response(status: .internalServerError, headers: [.cacheControl: "no-store"])
    }
}

extension JSONResponse {
    /// A response whose body is `json`, already encoded.
    public static func raw(_ json: [UInt8], status: HTTPResponse.Status = .ok, cacheControl: String = "no-store") -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: cacheControl],
            body: .init(byteBuffer: ByteBuffer(bytes: json)))
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
