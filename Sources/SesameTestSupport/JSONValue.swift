import Foundation
import Hummingbird

/// Parses a response body as JSON for field-by-field assertions.
public enum JSONBody {
    /// The body as a dictionary; empty when it is not a JSON object.
    public static func object(_ buffer: ByteBuffer) -> [String: Any] {
        let data = Data(buffer.readableBytesView)
        return (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) as? [String: Any] ?? [:]
    }

}
