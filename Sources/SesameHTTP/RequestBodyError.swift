/// A request body that could not be read: over the size limit, or not valid HTTP framing
/// (a broken chunked encoding, a body shorter than announced).
public struct RequestBodyError: Error, Sendable, Equatable {
    public struct Reason: Hashable, Sendable {
        let name: String
        public static let tooLarge = Reason(name: "tooLarge")
        public static let malformed = Reason(name: "malformed")
    }

    public let reason: Reason

    public init(_ reason: Reason) { self.reason = reason }
}
