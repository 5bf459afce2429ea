import Foundation
import Hummingbird

/// The parameters of a request, read from the query string, an
/// `application/x-www-form-urlencoded` body or a JSON object body, in that order of
/// precedence (CONTRACT.md §4).
///
/// Reading never throws on malformed input: a body that is not what its content type says
/// contributes nothing, and a value that cannot be decoded is ``ParameterValue/invalid``,
/// so every dialect can answer in its own envelope.
public struct RequestParameters: Sendable {
    private var values: [String: ParameterValue] = [:]

    public init() {}

    /// The value of `name`, or `nil` when absent.
    public subscript(_ name: String) -> ParameterValue? { values[name] }

    /// The text of `name`, or `nil` when absent, empty or invalid.
    public func text(_ name: String) -> String? {
        if case .text(let s) = values[name], !s.isEmpty { return s }
        return nil
    }

    /// Reads `request`'s query string and body (at most `bodyLimit` bytes).
    ///
    /// - Throws: ``RequestBodyError`` when the body is over `bodyLimit` (announced or sent) or
    ///   its framing is broken.
    public static func read(from request: Request, bodyLimit: Int) async throws -> RequestParameters {
        var params = RequestParameters()
        if let query = request.uri.query, !query.isEmpty {
            params.merge(FormDecoder.decode(Array(query.utf8)))
        }
        // An announced length over the limit is refused at once, without waiting for the body.
        if let announced = request.headers[.contentLength].flatMap({ Int($0) }), announced > bodyLimit {
            throw RequestBodyError(.tooLarge)
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: bodyLimit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw RequestBodyError(.tooLarge)
        } catch {
            throw RequestBodyError(.malformed)
        }
        guard body.readableBytes > 0 else { return params }
        let bytes = Array(body.readableBytesView)
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("application/json") || (contentType.isEmpty && bytes.first == UInt8(ascii: "{")) {
            params.merge(JSONObjectDecoder.decode(bytes))
        } else if contentType.hasPrefix("application/x-www-form-urlencoded") || contentType.isEmpty {
            params.merge(FormDecoder.decode(bytes))
        }
        return params
    }

    /// Adds `pairs` from a source of lower precedence than those already merged.
    /// The first value of a name wins: within a source, and over later sources.
    mutating func merge(_ pairs: [(String, ParameterValue)]) {
        for (name, value) in pairs where values[name] == nil {
            values[name] = value
        }
    }
}
