import Foundation

/// What a store uses to keep secrets sealed at rest: seals values with the KEK on write and
/// opens them on read. A row records the ``KeyEncryptionKey/id`` it was sealed with, or `NULL`
/// when it is in clear (written without a KEK, or before one was configured).
///
/// Without a KEK the sealer writes clear values and refuses to read sealed ones: a store whose
/// secrets are sealed cannot be used, nor silently downgraded, without its KEK.
public struct SecretSealer: Sendable {
    /// `nil`: secrets are written in clear.
    public let kek: KeyEncryptionKey?

    public init(kek: KeyEncryptionKey?) { self.kek = kek }

    /// `value` as stored for the row `context`, and the KEK id to store beside it.
    public func seal(_ value: [UInt8], context: String) throws -> (stored: [UInt8], kekID: String?) {
        guard let kek else { return (value, nil) }
        return (try kek.seal(value, context: context), kek.id)
    }

    /// Text sealed as Base64 of the sealed bytes (text columns), or left as is without a KEK.
    public func seal(text: String, context: String) throws -> (stored: String, kekID: String?) {
        guard kek != nil else { return (text, nil) }
        let (sealed, id) = try seal(Array(text.utf8), context: context)
        return (Data(sealed).base64EncodedString(), id)
    }

    /// The clear value of a stored one.
    /// - Throws: ``SesameError/Code/invalidInput`` when the row is sealed and this sealer has no
    ///   KEK or another one, or when it does not open.
    public func open(_ stored: [UInt8], kekID: String?, context: String) throws -> [UInt8] {
        guard let kekID else { return stored }
        return try kek(for: kekID, context: context).open(stored, context: context)
    }

    /// The clear text of a stored text value.
    public func open(text stored: String, kekID: String?, context: String) throws -> String {
        guard let kekID else { return stored }
        guard let bytes = Data(base64Encoded: stored) else {
            throw SesameError(.invalidInput, "the sealed value of \(context) is damaged")
        }
        let clear = try kek(for: kekID, context: context).open(Array(bytes), context: context)
        guard let text = String(validating: clear, as: UTF8.self) else {
            throw SesameError(.invalidInput, "the sealed value of \(context) is damaged")
        }
        return text
    }

    /// Checks, when a store opens, that its sealed rows (whose KEK ids are `storedIDs`) can be opened.
    public func check(storedIDs: Set<String>) throws {
        for id in storedIDs.sorted() { _ = try kek(for: id, context: "the store") }
    }

    private func kek(for id: String, context: String) throws -> KeyEncryptionKey {
        guard let kek else {
            throw SesameError(
                .invalidInput,
                "\(context) holds secrets sealed with KEK \(id): give that KEK (SESAME_KEK_FILE, --kek-file or SESAME_KEK)")
        }
        guard kek.id == id else {
            throw SesameError(.invalidInput, "\(context) holds secrets sealed with KEK \(id), not with the KEK given (\(kek.id))")
        }
        return kek
    }
}

/// A store that seals its secrets with a KEK, reporting what it sealed when it opened.
public protocol SealsSecrets {
    /// How many rows in clear were sealed when the store opened with a KEK.
    var rowsSealedAtOpen: Int { get }
}
