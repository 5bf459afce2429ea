import Foundation
import Hummingbird
import HummingbirdTesting
import SesameHTTP
import Testing

/// Answers are Foundation's JSON with sorted keys and unescaped slashes, and an answer that
/// cannot be encoded never goes out as a success.
@Suite struct JSONResponseTests {
    struct Answer: Encodable {
        var zeta = 1
        var alpha = "https://example.com/a"
        var middle: Double
    }

    /// The body `response` sends, read back through a router.
    static func body(_ response: Response) async throws -> String {
        let router = Router()
        router.get("answer") { _, _ in response }
        return try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/answer", method: .get) { String(buffer: $0.body) }
        }
    }

    @Test func keysAreSortedAndSlashesUnescaped() async throws {
        let response = try JSONResponse.make(Answer(middle: 0.5))
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json; charset=utf-8")
        #expect(response.headers[.cacheControl] == "no-store")
        #expect(try await Self.body(response) == #"{"alpha":"https://example.com/a","middle":0.5,"zeta":1}"#)
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func anAnswerThatCannotBeEncodedIsNotSent(_ value: Double) async throws {
        #expect(throws: EncodingError.self) { try JSONResponse.make(Answer(middle: value)) }
        // The fixed-shape path: a bare 500, never a 200 with `{}`.
        let fixed = JSONResponse.fixed(Answer(middle: value), status: .ok)
        #expect(fixed.status == .internalServerError)
        #expect(try await Self.body(fixed).isEmpty)
    }
}
