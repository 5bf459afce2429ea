import Hummingbird
import SesameHTTP

/// Family A's envelope: always HTTP 200, `{"code", "msg", "data", "extMsg"}` with `data` and
/// `extMsg` written as `null` when absent.
struct EnduserEnvelope<Payload: Encodable>: Encodable {
    var code: Int
    var msg: String
    var data: Payload?

    enum CodingKeys: String, CodingKey { case code, msg, data, extMsg }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(code, forKey: .code)
        try c.encode(msg, forKey: .msg)
        if let data { try c.encode(data, forKey: .data) } else { try c.encodeNil(forKey: .data) }
        try c.encodeNil(forKey: .extMsg)
    }

    /// - Throws: `EncodingError` when `data` cannot be encoded (the controller answers 5000 then).
    static func success(_ data: Payload) throws -> Response {
        try JSONResponse.make(EnduserEnvelope(code: EnduserCode.success.code, msg: "", data: data))
    }
}

extension EnduserEnvelope where Payload == JSONNull {
    static func failure(_ code: EnduserCode) -> Response {
        JSONResponse.fixed(EnduserEnvelope(code: code.code, msg: code.message, data: nil), status: .ok)
    }
}

/// `{"token": "Bearer ...", "expirationTime": N}`.
struct EnduserToken: Encodable {
    var token: String
    var expirationTime: Int64
}

/// The token pair of login and refresh.
struct EnduserTokenPair: Encodable {
    var accessToken: EnduserToken
    var refreshToken: EnduserToken
}
