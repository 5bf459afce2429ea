import Hummingbird
import SesameHTTP

/// Family B's envelope: HTTP 200, `{"state": S, "payload": P}`; on error `payload` is a
/// message string.
struct KanfangEnvelope<Payload: Encodable>: Encodable {
    var state: Int
    var payload: Payload

    static func success(_ payload: Payload) -> Response {
        JSONResponse.make(KanfangEnvelope(state: 200, payload: payload))
    }
}

extension KanfangEnvelope where Payload == String {
    static func failure(_ state: KanfangState, _ message: String) -> Response {
        JSONResponse.make(KanfangEnvelope(state: state.rawValue, payload: message))
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
