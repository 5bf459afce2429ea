import Hummingbird
import SesameHTTP

/// Family B's envelope: HTTP 200, `{"state": S, "payload": P}`; on error `payload` is a
/// message string.
struct KanfangEnvelope<Payload: Encodable>: Encodable {
    var state: Int
    var payload: Payload

    /// - Throws: `EncodingError` when `payload` cannot be encoded (the controller answers 500 then).
    static func success(_ payload: Payload) throws -> Response {
        try JSONResponse.make(KanfangEnvelope(state: 200, payload: payload))
    }
}

extension KanfangEnvelope where Payload == String {
    static func failure(_ state: KanfangState, _ message: String) -> Response {
        JSONResponse.fixed(KanfangEnvelope(state: state.rawValue, payload: message), status: .ok)
    }
}

/// Family B's `state` values (`APIResponseState.md`).
enum KanfangState: Int {
    case success = 200
    case authenticationFailed = 401
    case tokenRefreshFailed = 4011
    case rejected = 403
    case internalError = 500
}

/// `{"token", "tokenExpireIn", "refreshToken", "refreshTokenExpireIn"}`, lifetimes relative.
struct KanfangTokenPair: Encodable {
    var token: String
    var tokenExpireIn: Int64
    var refreshToken: String
    var refreshTokenExpireIn: Int64
}
