import Hummingbird
import SesameCore
import SesameHTTP

/// The parameters of an oauth POST, read strictly (RFC 6749 §3.1, §3.2):
///
/// - only from an `application/x-www-form-urlencoded` body: a JSON or other body, or any
///   parameter in the URL's query (where a password or secret would end up in access logs),
///   is `invalid_request`;
/// - a parameter given twice is `invalid_request`, whatever its values;
/// - a value that is not valid percent-encoded UTF-8 is `invalid_request`;
/// - a parameter sent without a value counts as omitted.
///
/// Reading never consumes anything, so a refused request changes nothing.
struct OAuthForm: Sendable {
    private var values: [String: String] = [:]

    /// The non-empty value of `name`; `nil` when absent or empty.
    subscript(_ name: String) -> String? { values[name] }

    /// Reads `request`'s body, at most `bodyLimit` bytes.
    ///
    /// - Throws: ``OAuthError`` (`invalid_request`, with 413 for a body over the limit).
    static func read(from request: Request, bodyLimit: Int) async throws(OAuthError) -> OAuthForm {
        if let query = request.uri.query, !query.isEmpty {
            throw .invalidRequest("parameters belong in the form-encoded body, not in the URL")
        }
        if let announced = request.headers[.contentLength].flatMap({ Int($0) }), announced > bodyLimit {
            throw tooLarge
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: bodyLimit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        } catch {
            throw .invalidRequest("the request body could not be read")
        }
        var form = OAuthForm()
        guard body.readableBytes > 0 else { return form }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { String($0).trimmingWhitespace() } ?? ""
        guard mediaType == "application/x-www-form-urlencoded" else {
            throw .invalidRequest("the body must be application/x-www-form-urlencoded")
        }
        guard let pairs = FormDecoder.decodeStrictly(Array(body.readableBytesView)) else {
            throw .invalidRequest("a parameter name is not valid percent-encoded UTF-8")
        }
        var seen: Set<String> = []
        for (name, value) in pairs {
            guard seen.insert(name).inserted else { throw .invalidRequest("parameter \(Self.shown(name)) is given more than once") }
            guard case .text(let text) = value else {
                throw .invalidRequest("parameter \(Self.shown(name)) is not valid percent-encoded UTF-8")
            }
            if !text.isEmpty { form.values[name] = text }
        }
        return form
    }

    static let tooLarge = OAuthError(code: "invalid_request", description: "the request body is too large", status: .contentTooLarge)

    /// Parameter names are echoed in error descriptions only when they are short and plain,
    /// never anything that could be a secret pasted into the wrong place.
    static func shown(_ name: String) -> String {
        let plain = name.utf8.count <= 32 && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
        return plain ? name : "(unnamed)"
    }
}
