import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore

/// Calls routes through any Hummingbird test client and parses the JSON envelope.
public struct DialectClient: Sendable {
    public let client: any TestClientProtocol

    public init(_ client: any TestClientProtocol) { self.client = client }

    /// A parsed response: status, headers, raw text and JSON object.
    public struct Reply: @unchecked Sendable {  // [String: Any] holds only JSONSerialization's immutable values
        public let status: HTTPResponse.Status
        public let headers: HTTPFields
        public let text: String
        public let json: [String: Any]

        /// family A's `code`.
        public var code: Int? { json["code"] as? Int }
        /// family B's `state`.
        public var state: Int? { json["state"] as? Int }
        /// `data` (family A) as an object.
        public var data: [String: Any]? { json["data"] as? [String: Any] }
        /// `payload` (family B) as an object.
        public var payload: [String: Any]? { json["payload"] as? [String: Any] }
    }

    /// Sends a request. `form` goes in a form body, `query` in the URL, `json` as a JSON body.
    public func send(
        _ method: HTTPRequest.Method, _ path: String, query: [(String, String)] = [], form: [(String, String)]? = nil,
        json: String? = nil, rawBody: [UInt8]? = nil, contentType: String? = nil, headers: HTTPFields = [:]
    ) async throws -> Reply {
        var uri = path
        if !query.isEmpty { uri += "?" + FormBody.encode(query) }
        var fields = headers
        var body: ByteBuffer?
        if let form {
            body = FormBody.buffer(form)
            fields[.contentType] = "application/x-www-form-urlencoded"
        } else if let json {
            body = ByteBuffer(string: json)
            fields[.contentType] = "application/json"
        } else if let rawBody {
            body = ByteBuffer(bytes: rawBody)
        }
        if let contentType { fields[.contentType] = contentType }
        let response = try await client.executeRequest(uri: uri, method: method, headers: fields, body: body)
        return Reply(
            status: response.status, headers: response.headers, text: String(buffer: response.body),
            json: JSONBody.object(response.body))
    }
}

/// Family A request helpers.
public enum Enduser {
    public static let base = "/v2/enduser/enduserapi/"

    /// The form of an e-mail login, signed with `secret` (plain `pwd` unless `random` is given,
    /// in which case `pwd` is encrypted as the family does).
    public static func emailLogin(
        email: String, password: String, domain: String, secret: String, random: String? = nil
    ) throws -> [(String, String)] {
        let pwd = try random.map { try LegacyPasswordCipher.encrypt(password, random: $0) } ?? password
        let signature = RequestSignature.expected([email, pwd, random ?? ""], secret: secret)
        var form = [("email", email), ("pwd", pwd), ("userDomain", domain), ("signature", signature)]
        if let random { form.append(("random", random)) }
        return form
    }

    /// The form of a phone login, signed with `secret`.
    public static func phoneLogin(
        phone: String, code: String? = "86", password: String, domain: String, secret: String, random: String? = nil
    ) throws -> [(String, String)] {
        let pwd = try random.map { try LegacyPasswordCipher.encrypt(password, random: $0) } ?? password
        let signature = RequestSignature.expected([code ?? "", phone, pwd, random ?? ""], secret: secret)
        var form = [("phone", phone), ("pwd", pwd), ("userDomain", domain), ("signature", signature)]
        if let code { form.append(("internationalCode", code)) }
        if let random { form.append(("random", random)) }
        return form
    }
}
