import Foundation

/// Decodes a JSON object body into parameters: strings as they are, integers as their
/// decimal text (apps send phone numbers as numbers), `null` as absent; booleans, fractions,
/// objects and arrays as ``ParameterValue/invalid``. Anything that is not a JSON object
/// yields no parameters.
public enum JSONObjectDecoder {
    public static func decode(_ bytes: [UInt8]) -> [(String, ParameterValue)] {
        guard let object = try? JSONDecoder().decode([String: Scalar].self, from: Data(bytes)) else { return [] }
        return object.compactMap { name, scalar in scalar.value.map { (name, $0) } }
    }

    struct Scalar: Decodable {
        var value: ParameterValue?

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                value = nil
            } else if let s = try? container.decode(String.self) {
                value = .text(s)
            } else if let b = try? container.decode(Bool.self) {
                _ = b
                value = .invalid
            } else if let i = try? container.decode(Int64.self) {
                value = .text(String(i))
            } else {
                value = .invalid
            }
        }
    }
}
