import Foundation
import NIOCore

/// Encodes `Encodable` values as JSON, byte for byte as Foundation's `JSONEncoder` does with
/// `outputFormatting = [.withoutEscapingSlashes, .sortedKeys]` and its default strategies, but
/// written straight into one run of bytes (copied once into the `ByteBuffer` it returns): no
/// tree of values, no dictionaries, no second pass.
///
/// What it writes, as Foundation does:
/// - object members sorted by the UTF-8 bytes of their keys (`utf8.lexicographicallyPrecedes`);
/// - strings with `"` and `\` escaped, `\b \f \n \r \t` for those control characters, `\u00xx`
///   (lower-case hex) for the other ones below U+0020, and everything else as raw UTF-8, `/`
///   and U+007F included;
/// - integers of every width in decimal; `Double` and `Float` as their `description` without a
///   trailing `.0`;
/// - `Data` as Base64, `URL` as its `absoluteString`, `Decimal` as its `description`, `Date` as
///   seconds since 2001 (Foundation's default strategies);
/// - a nested value that encodes nothing as `{}`.
///
/// Objects are written in the order their members arrive; when an object closes, its members
/// are put in key order in place. Anything the direct writer cannot reproduce with certainty is
/// handed to Foundation's encoder instead, so the answer is always Foundation's: `superEncoder`,
/// a container used again after a later one was started, a key written twice, a value that
/// throws (a non-finite float, say), a value asking for two kinds of container, nesting deeper
/// than ``maximumDepth``.
///
/// ```swift
/// let body = try SortedKeysJSONEncoder().encode(["b": 1, "a": 2])  // {"a":2,"b":1}
/// ```
public struct SortedKeysJSONEncoder: Sendable {
    /// Containers nested deeper than this go to Foundation's encoder.
    public static let maximumDepth = 256

    public init() {}

    /// `value` as JSON, the bytes Foundation's encoder writes for it.
    ///
    /// - Throws: what Foundation's encoder throws for `value`: `EncodingError.invalidValue` for a
    ///   non-finite float or a top-level value that encodes nothing, or the value's own error.
    public func encode<T: Encodable>(_ value: T) throws -> ByteBuffer {
        if let buffer = encodeWithoutFallback(value) { return buffer }
        return ByteBuffer(bytes: try Self.foundation.encode(value))
    }

    /// The direct writer alone: `value` as JSON, or `nil` when it needs Foundation's encoder
    /// (see the type's description) or throws.
    public func encodeWithoutFallback<T: Encodable>(_ value: T) -> ByteBuffer? {
        let writer = Writer(capacity: 1024)
        do {
            try writer.encodeTopLevel(value)
        } catch {
            return nil
        }
        return writer.buffer
    }

    /// The configuration reproduced here, used for what the direct writer leaves alone.
    private static let foundation: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()
}

/// Raised inside the direct writer when Foundation's encoder has to take over.
private struct NeedsFoundation: Error {}

/// One step of the coding path, kept cheap: the key as given, or an array index.
private enum PathComponent {
    case key(any CodingKey)
    case index(Int)

    var codingKey: any CodingKey {
        switch self {
        case .key(let key): key
        case .index(let index): IndexKey(index: index)
        }
    }
}

/// An array position in a coding path, named as Foundation names it.
private struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }

    init?(stringValue: String) {
        self.stringValue = stringValue
        intValue = nil
    }

    init?(intValue: Int) { self.init(index: intValue) }
}

/// An open object or array.
private struct Frame {
    var id: Int
    var isObject: Bool
    /// Writer index just after `{` or `[`.
    var contentStart: Int
    /// Members or elements written so far.
    var count: Int
    /// Where this object's members start in `WriterState.entries`.
    var entriesStart: Int
    /// Where this object's escaped keys start in `WriterState.rawKeys`.
    var rawKeysStart: Int
    /// The coding path's length while this container is open.
    var pathDepth: Int
    /// Whether opening this container added its key or index to the path.
    var pushedPath: Bool
}

/// One member of an open object: where it starts in the output and its key's raw bytes.
private struct Entry {
    /// The key's first eight bytes, big-endian, zero-padded: most comparisons end here.
    var prefix: UInt64
    /// The key's raw UTF-8: in the output itself, or in `WriterState.rawKeys` when it was escaped
    /// (escapes do not sort like the characters they stand for).
    var keyStart: Int
    var keyCount: Int
    var keyIsAside: Bool
    /// Writer index of the member's opening quote.
    var start: Int
    /// Writer index just past the member's value (set when the object closes).
    var end: Int
}

/// The value being encoded now: what it asked for, and which containers are its own.
private struct Context {
    enum State { case empty, single, object, array }

    var id: Int
    /// `frames.count` when the value started: frames at and above it are its own.
    var floor: Int
    var pathDepth: Int
    var state: State
    /// The value's own container, when it asked for one.
    var frameID: Int
}

/// The direct writer: one per top-level value, the `Encoder` of every value under it.
///
/// Its mutable state lives behind a pointer: a class's stored properties would pay a dynamic
/// exclusivity check at every access, several per byte written. No method of ``WriterState``
/// calls out to a value's `encode(to:)`, so no two accesses to the state ever overlap.
private final class Writer: Encoder {
    let state: UnsafeMutablePointer<WriterState>

    init(capacity: Int) {
        state = .allocate(capacity: 1)
        state.initialize(to: WriterState(capacity: capacity))
    }

    deinit {
        state.pointee.bytes.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// The bytes written, in a buffer of their own.
    var buffer: ByteBuffer {
        let output = UnsafeRawBufferPointer(start: state.pointee.bytes.base, count: state.pointee.bytes.count)
        var buffer = ByteBufferAllocator().buffer(capacity: output.count)
        buffer.writeBytes(output)
        return buffer
    }

    // MARK: Encoder

    var codingPath: [any CodingKey] { state.pointee.codingPath }

    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(ObjectContainer<Key>(writer: self, frameID: state.pointee.ownContainer(object: true)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        ArrayContainer(writer: self, frameID: state.pointee.ownContainer(object: false))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(writer: self, contextID: state.pointee.context.id)
    }

    // MARK: Values

    func encodeTopLevel<T: Encodable>(_ value: T) throws {
        // Foundation refuses a top-level value that encodes nothing.
        guard try encodeValue(value, at: nil) else { throw state.pointee.needsFoundation() }
        guard !state.pointee.poisoned, state.pointee.frames.isEmpty else { throw state.pointee.needsFoundation() }
    }

    /// Writes `value` where the caller put it (after a key, a comma, or nothing); `{}` when it
    /// encodes nothing, as Foundation does.
    func encodeNested<T: Encodable>(_ value: T, at component: @autoclosure () -> PathComponent?) throws {
        if try !encodeValue(value, at: component()) { state.pointee.bytes.append("{}") }
    }

    /// Writes `value`; `false` when it wrote nothing at all. `component` is only evaluated
    /// for values that encode themselves (boxing a large key costs an allocation).
    func encodeValue<T: Encodable>(_ value: T, at component: @autoclosure () -> PathComponent?) throws -> Bool {
        if try writeScalar(value) { return true }
        let component = component()
        let outer = state.pointee.enter(component)
        do {
            try value.encode(to: self)
        } catch {
            // The caller may catch it and go on; what was written for the value is then wrong.
            state.pointee.poisoned = true
            throw error
        }
        return try state.pointee.leave(restoring: outer, popping: component != nil)
    }

    /// Writes the values Foundation writes without asking them to encode themselves, and the
    /// common scalars directly; `false` for anything else. (Each `unsafeBitCast` is to `T` itself.)
    func writeScalar<T: Encodable>(_ value: T) throws -> Bool {
        if T.self == String.self {
            state.pointee.writeString(unsafeBitCast(value, to: String.self))
        } else if T.self == Int.self {
            state.pointee.writeInteger(Int64(unsafeBitCast(value, to: Int.self)))
        } else if T.self == Int64.self {
            state.pointee.writeInteger(unsafeBitCast(value, to: Int64.self))
        } else if T.self == Bool.self {
            state.pointee.writeBool(unsafeBitCast(value, to: Bool.self))
        } else if T.self == Double.self {
            try state.pointee.writeFloat(unsafeBitCast(value, to: Double.self))
        } else if T.self == Float.self {
            try state.pointee.writeFloat(unsafeBitCast(value, to: Float.self))
        } else if T.self == Int8.self {
            state.pointee.writeInteger(Int64(unsafeBitCast(value, to: Int8.self)))
        } else if T.self == Int16.self {
            state.pointee.writeInteger(Int64(unsafeBitCast(value, to: Int16.self)))
        } else if T.self == Int32.self {
            state.pointee.writeInteger(Int64(unsafeBitCast(value, to: Int32.self)))
        } else if T.self == UInt.self {
            state.pointee.writeInteger(UInt64(unsafeBitCast(value, to: UInt.self)))
        } else if T.self == UInt8.self {
            state.pointee.writeInteger(UInt64(unsafeBitCast(value, to: UInt8.self)))
        } else if T.self == UInt16.self {
            state.pointee.writeInteger(UInt64(unsafeBitCast(value, to: UInt16.self)))
        } else if T.self == UInt32.self {
            state.pointee.writeInteger(UInt64(unsafeBitCast(value, to: UInt32.self)))
        } else if T.self == UInt64.self {
            state.pointee.writeInteger(unsafeBitCast(value, to: UInt64.self))
        } else if T.self == Int128.self {
            state.pointee.writeInteger(unsafeBitCast(value, to: Int128.self))
        } else if T.self == UInt128.self {
            state.pointee.writeInteger(unsafeBitCast(value, to: UInt128.self))
        } else if T.self == Data.self {
            // Foundation's default data strategy, not Data's own encode(to:) (an array of bytes).
            state.pointee.writeString(unsafeBitCast(value, to: Data.self).base64EncodedString())
        } else if T.self == URL.self {
            // Foundation writes URLs as one string, not URL's own keyed form.
            state.pointee.writeString(unsafeBitCast(value, to: URL.self).absoluteString)
        } else if T.self == Decimal.self {
            state.pointee.writeRaw(unsafeBitCast(value, to: Decimal.self).description)
        } else {
            return false
        }
        return true
    }
}

/// A growable run of bytes in memory of its own (freed by ``Writer``).
private struct OutputBytes {
    var base: UnsafeMutablePointer<UInt8>
    var count = 0
    var capacity: Int

    init(capacity: Int) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    func deallocate() { base.deallocate() }

    @inline(__always)
    mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    @inline(never)
    mutating func grow(to needed: Int) {
        let newCapacity = max(capacity * 2, needed)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.initialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).initialize(from: source, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

private let quote = UInt8(ascii: "\"")
private let comma = UInt8(ascii: ",")
private let colon = UInt8(ascii: ":")
private let backslash = UInt8(ascii: "\\")
private let hexDigits: StaticString = "0123456789abcdef"

/// Everything ``Writer`` changes while it writes.
private struct WriterState {
    var bytes: OutputBytes
    /// Open containers, innermost last.
    var frames: [Frame] = []
    /// Members of the open objects, in the order they were written.
    var entries: [Entry] = []
    /// Raw bytes of keys that needed escapes.
    var rawKeys: [UInt8] = []
    var path: [PathComponent] = []
    var context = Context(id: 0, floor: 0, pathDepth: 0, state: .empty, frameID: -1)
    var lastFrameID = 0
    var lastContextID = 0
    /// Set once Foundation's encoder has to take over; the output is then thrown away.
    var poisoned = false

    init(capacity: Int) {
        bytes = OutputBytes(capacity: capacity)
        frames.reserveCapacity(4)
        entries.reserveCapacity(32)
    }

    var codingPath: [any CodingKey] { path.prefix(context.pathDepth).map(\.codingKey) }

    mutating func needsFoundation() -> NeedsFoundation {
        poisoned = true
        return NeedsFoundation()
    }

    // MARK: Values

    /// Starts a value that encodes itself; the context to restore when it is done.
    mutating func enter(_ component: PathComponent?) -> Context {
        let outer = context
        if let component { path.append(component) }
        lastContextID += 1
        context = Context(id: lastContextID, floor: frames.count, pathDepth: path.count, state: .empty, frameID: -1)
        return outer
    }

    /// Ends the current value: closes its containers; whether it wrote anything.
    mutating func leave(restoring outer: Context, popping: Bool) throws -> Bool {
        guard !poisoned, frames.count >= context.floor else { throw needsFoundation() }
        try closeFrames(downTo: context.floor)
        let wrote = context.state != .empty
        context = outer
        if popping { path.removeLast() }
        return wrote
    }

    // MARK: Containers

    /// The container the current value asks for: a new one, or the one it already has (a
    /// subclass after its superclass), as Foundation does; `-1` (and Foundation) otherwise.
    mutating func ownContainer(object: Bool) -> Int {
        guard !poisoned else { return -1 }
        switch context.state {
        case .empty:
            let id = openFrame(object: object, at: nil)
            context.state = object ? .object : .array
            context.frameID = id
            return id
        case .object where object, .array where !object:
            if frames.count > context.floor && frames[context.floor].id == context.frameID { return context.frameID }
        default:
            break
        }
        poisoned = true
        return -1
    }

    mutating func openFrame(object: Bool, at component: PathComponent?) -> Int {
        guard frames.count < SortedKeysJSONEncoder.maximumDepth else {
            poisoned = true
            return -1
        }
        if let component { path.append(component) }
        bytes.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        lastFrameID += 1
        frames.append(
            Frame(
                id: lastFrameID, isObject: object, contentStart: bytes.count, count: 0, entriesStart: entries.count,
                rawKeysStart: rawKeys.count, pathDepth: path.count, pushedPath: component != nil))
        return lastFrameID
    }

    /// A container nested in the object `frameID` under `key`.
    mutating func openNested(object: Bool, inObject frameID: Int, key: any CodingKey) -> Int {
        do {
            try beginMember(of: frameID, key: key.stringValue)
        } catch {
            return -1
        }
        return openFrame(object: object, at: .key(key))
    }

    /// A container appended to the array `frameID`.
    mutating func openNested(object: Bool, inArray frameID: Int) -> Int {
        do {
            let index = try beginElement(of: frameID)
            return openFrame(object: object, at: .index(index))
        } catch {
            return -1
        }
    }

    /// Makes `frameID` the innermost open container, closing the ones nested in it (they are
    /// finished once their parent is written to). Throws when it is closed, or belongs to a value
    /// further out than the one being encoded.
    @inline(__always)
    mutating func focus(_ frameID: Int) throws {
        guard !poisoned else { throw NeedsFoundation() }
        let top = frames.count - 1
        if top >= context.floor && frames[top].id == frameID { return }
        try refocus(frameID)
    }

    mutating func refocus(_ frameID: Int) throws {
        var index = frames.count - 2
        while index >= context.floor {
            if frames[index].id == frameID {
                try closeFrames(downTo: index + 1)
                return
            }
            index -= 1
        }
        throw needsFoundation()
    }

    /// Writes the comma and key of a new member of the object `frameID`.
    mutating func beginMember(of frameID: Int, key: String) throws {
        try focus(frameID)
        let top = frames.count - 1
        if frames[top].count > 0 { bytes.append(comma) }
        frames[top].count += 1
        writeKey(key)
    }

    /// Writes the comma before a new element of the array `frameID`; its index.
    mutating func beginElement(of frameID: Int) throws -> Int {
        try focus(frameID)
        let top = frames.count - 1
        let index = frames[top].count
        if index > 0 { bytes.append(comma) }
        frames[top].count = index + 1
        return index
    }

    /// Claims the current value for one single value.
    mutating func beginSingleValue(of contextID: Int) throws {
        guard !poisoned, context.id == contextID, context.state == .empty else { throw needsFoundation() }
        context.state = .single
    }

    mutating func elementCount(of frameID: Int) -> Int {
        for frame in frames.reversed() where frame.id == frameID { return frame.count }
        poisoned = true
        return 0
    }

    func codingPath(of frameID: Int) -> [any CodingKey] {
        for frame in frames.reversed() where frame.id == frameID {
            return path.prefix(frame.pathDepth).map(\.codingKey)
        }
        return codingPath
    }

    mutating func closeFrames(downTo count: Int) throws {
        while frames.count > count {
            let frame = frames.removeLast()
            if frame.isObject {
                if frame.count > 1 {
                    do {
                        try sortMembers(from: frame.entriesStart, contentStart: frame.contentStart)
                    } catch {
                        poisoned = true  // a value may catch the error and go on
                        throw error
                    }
                }
                entries.removeSubrange(frame.entriesStart...)
                rawKeys.removeSubrange(frame.rawKeysStart...)
                bytes.append(UInt8(ascii: "}"))
            } else {
                bytes.append(UInt8(ascii: "]"))
            }
            if frame.pushedPath { path.removeLast() }
        }
    }

    /// Puts the members of the innermost object, `entries[first...]`, in key order in place.
    mutating func sortMembers(from first: Int, contentStart: Int) throws {
        let output = bytes.base
        let end = bytes.count
        let count = entries.count - first
        // Each member runs from its opening quote to the comma before the next one.
        for i in first..<entries.count {
            entries[i].end = i + 1 < entries.count ? entries[i + 1].start - 1 : end
        }
        let aside = rawKeys
        try aside.withUnsafeBufferPointer { aside in
            try entries.withUnsafeBufferPointer { all in
                let members = UnsafeBufferPointer(rebasing: all[first...])
                var inOrder = true
                for i in 1..<count {
                    let order = Self.compareKeys(members[i - 1], members[i], output, aside)
                    if order == 0 { throw NeedsFoundation() }  // Foundation keeps the last one.
                    if order > 0 {
                        inOrder = false
                        break
                    }
                }
                if inOrder { return }
                // Sorts (prefix, position) pairs, not the members themselves, then moves the
                // bytes once. An insertion sort: objects are small, most comparisons end at the prefix.
                try withUnsafeTemporaryAllocation(of: (prefix: UInt64, index: Int).self, capacity: count) { order in
                    func precedes(_ a: (prefix: UInt64, index: Int), _ b: (prefix: UInt64, index: Int)) -> Bool {
                        a.prefix != b.prefix ? a.prefix < b.prefix : Self.compareKeys(members[a.index], members[b.index], output, aside) < 0
                    }
                    for i in 0..<count { order.initializeElement(at: i, to: (members[i].prefix, i)) }
                    for i in 1..<count {
                        let item = order[i]
                        var j = i
                        while j > 0 && precedes(item, order[j - 1]) {
                            order[j] = order[j - 1]
                            j -= 1
                        }
                        order[j] = item
                    }
                    for i in 1..<count where !precedes(order[i - 1], order[i]) {
                        throw NeedsFoundation()  // the same key twice
                    }
                    let length = end - contentStart
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length) { copy in
                        let copy = copy.baseAddress!
                        copy.initialize(from: output + contentStart, count: length)
                        var at = contentStart
                        for i in 0..<count {
                            let member = members[order[i].index]
                            if i > 0 {
                                output[at] = comma
                                at += 1
                            }
                            let memberLength = member.end - member.start
                            (output + at).update(from: copy + (member.start - contentStart), count: memberLength)
                            at += memberLength
                        }
                    }
                }
            }
        }
    }

    /// The order of two keys' raw UTF-8 bytes, as `utf8.lexicographicallyPrecedes`: negative,
    /// zero (equal) or positive.
    @inline(__always)
    static func compareKeys(
        _ a: Entry, _ b: Entry, _ output: UnsafeMutablePointer<UInt8>, _ aside: UnsafeBufferPointer<UInt8>
    ) -> Int {
        if a.prefix != b.prefix { return a.prefix < b.prefix ? -1 : 1 }
        let common = min(a.keyCount, b.keyCount)
        // Equal zero-padded prefixes: the first min(8, common) bytes are equal.
        var i = min(8, common)
        if i < common {
            let pa = a.keyIsAside ? aside.baseAddress! + a.keyStart : UnsafePointer(output) + a.keyStart
            let pb = b.keyIsAside ? aside.baseAddress! + b.keyStart : UnsafePointer(output) + b.keyStart
            while i < common {
                if pa[i] != pb[i] { return pa[i] < pb[i] ? -1 : 1 }
                i += 1
            }
        }
        return a.keyCount - b.keyCount
    }

    // MARK: Bytes

    mutating func writeKey(_ key: String) {
        var key = key
        key.withUTF8 { raw in
            let start = bytes.count
            bytes.append(quote)
            var entry = Entry(
                prefix: Self.prefix(of: raw), keyStart: bytes.count, keyCount: raw.count, keyIsAside: false, start: start,
                end: start)
            if writeEscaped(raw) {
                entry.keyStart = rawKeys.count
                entry.keyIsAside = true
                rawKeys.append(contentsOf: raw)
            }
            bytes.append(quote)
            bytes.append(colon)
            entries.append(entry)
        }
    }

    @inline(__always)
    static func prefix(of raw: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var prefix: UInt64 = 0
        let count = min(raw.count, 8)
        for i in 0..<count { prefix |= UInt64(raw[i]) << (56 - 8 * UInt64(i)) }
        return prefix
    }

    mutating func writeString(_ string: String) {
        var string = string
        string.withUTF8 { raw in
            bytes.reserve(raw.count + 2)
            bytes.append(quote)
            writeEscaped(raw)
            bytes.append(quote)
        }
    }

    /// Writes `raw` escaped as Foundation escapes it; whether any byte needed it.
    @discardableResult
    mutating func writeEscaped(_ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = raw.baseAddress else { return false }
        let count = raw.count
        var mark = 0
        var index = 0
        while index < count {
            // Eight bytes at a time while none of them needs an escape.
            if index + 8 <= count && !Self.mayNeedEscape(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) {
                index += 8
                continue
            }
            let end = min(index + 8, count)
            while index < end {
                let byte = base[index]
                if byte >= 0x20 && byte != quote && byte != backslash {
                    index += 1
                    continue
                }
                if index > mark { bytes.append(UnsafeBufferPointer(start: base + mark, count: index - mark)) }
                writeEscape(of: byte)
                index += 1
                mark = index
            }
        }
        if mark == 0 {
            bytes.append(raw)
            return false
        }
        if mark < count { bytes.append(UnsafeBufferPointer(start: base + mark, count: count - mark)) }
        return true
    }

    /// Whether any of the eight bytes of `word` may be below U+0020, `"` or `\` (never `false`
    /// when one is; a `true` only sends the bytes through the byte-at-a-time check).
    @inline(__always)
    static func mayNeedEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let quotes = word ^ (ones &* UInt64(quote))
        let backslashes = word ^ (ones &* UInt64(backslash))
        let below20 = (word &- ones &* 0x20) & ~word
        let isQuote = (quotes &- ones) & ~quotes
        let isBackslash = (backslashes &- ones) & ~backslashes
        return (below20 | isQuote | isBackslash) & highBits != 0
    }

    mutating func writeEscape(of byte: UInt8) {
        switch byte {
        case quote: bytes.append("\\\"")
        case backslash: bytes.append("\\\\")
        case 0x08: bytes.append("\\b")
        case 0x0C: bytes.append("\\f")
        case 0x0A: bytes.append("\\n")
        case 0x0D: bytes.append("\\r")
        case 0x09: bytes.append("\\t")
        default:
            bytes.append("\\u00")
            bytes.append(hexDigits.utf8Start[Int(byte >> 4)])
            bytes.append(hexDigits.utf8Start[Int(byte & 0x0F)])
        }
    }

    /// Writes `text` as it is (a number).
    mutating func writeRaw(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append($0) }
    }

    mutating func writeNull() { bytes.append("null") }

    mutating func writeBool(_ value: Bool) {
        if value { bytes.append("true") } else { bytes.append("false") }
    }

    mutating func writeInteger(_ value: Int64) {
        writeDecimal(value.magnitude, negative: value < 0)
    }

    mutating func writeInteger(_ value: UInt64) {
        writeDecimal(value, negative: false)
    }

    mutating func writeInteger(_ value: Int128) { writeRaw(value.description) }

    mutating func writeInteger(_ value: UInt128) { writeRaw(value.description) }

    mutating func writeDecimal(_ magnitude: UInt64, negative: Bool) {
        var digits = 1
        var rest = magnitude
        while rest >= 10 {
            rest /= 10
            digits += 1
        }
        let length = negative ? digits + 1 : digits
        bytes.reserve(length)
        let start = bytes.base + bytes.count
        if negative { start[0] = UInt8(ascii: "-") }
        rest = magnitude
        var at = length
        repeat {
            at -= 1
            start[at] = UInt8(truncatingIfNeeded: rest % 10) &+ UInt8(ascii: "0")
            rest /= 10
        } while rest > 0
        bytes.count += length
    }

    /// `description` without a trailing `.0`, as Foundation writes floats; a non-finite value
    /// goes to Foundation, which throws for it.
    mutating func writeFloat(_ value: Double) throws {
        guard value.isFinite else { throw needsFoundation() }
        writeNumber(value.description)
    }

    mutating func writeFloat(_ value: Float) throws {
        guard value.isFinite else { throw needsFoundation() }
        writeNumber(value.description)
    }

    mutating func writeNumber(_ description: String) {
        var text = description
        if text.hasSuffix(".0") { text.removeLast(2) }
        writeRaw(text)
    }
}

// MARK: - Containers

private struct ObjectContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: Writer
    let frameID: Int

    var codingPath: [any CodingKey] { writer.state.pointee.codingPath(of: frameID) }

    mutating func encodeNil(forKey key: Key) throws {
        try writer.state.pointee.beginMember(of: frameID, key: key.stringValue)
        writer.state.pointee.writeNull()
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws {
        try writer.state.pointee.beginMember(of: frameID, key: key.stringValue)
        writer.state.pointee.writeBool(value)
    }

    mutating func encode(_ value: String, forKey key: Key) throws {
        try writer.state.pointee.beginMember(of: frameID, key: key.stringValue)
        writer.state.pointee.writeString(value)
    }

    mutating func encode(_ value: Double, forKey key: Key) throws {
        try writer.state.pointee.beginMember(of: frameID, key: key.stringValue)
        try writer.state.pointee.writeFloat(value)
    }

    mutating func encode(_ value: Float, forKey key: Key) throws {
        try writer.state.pointee.beginMember(of: frameID, key: key.stringValue)
        try writer.state.pointee.writeFloat(value)
    }

    mutating func encode(_ value: Int, forKey key: Key) throws { try integer(Int64(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try integer(Int64(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try integer(Int64(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try integer(Int64(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: Int128, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try integer(UInt64(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try integer(UInt64(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try integer(UInt64(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try integer(UInt64(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try integer(value, key) }
    mutating func encode(_ value: UInt128, forKey key: Key) throws { try integer(value, key) }

    private func integer(_ value: Int64, _ key: Key) throws {
        try writer.state.pointee.beginMember(of: frameID, key: key.stringValue)
        writer.state.pointee.writeInteger(value)
    }

    private func integer(_ value: UInt64, _ key: Key) throws {
        try writer.state.pointee.beginMember(of: frameID, key: key.stringValue)
        writer.state.pointee.writeInteger(value)
    }

    private func integer(_ value: Int128, _ key: Key) throws {
        try writer.state.pointee.beginMember(of: frameID, key: key.stringValue)
        writer.state.pointee.writeInteger(value)
    }

    private func integer(_ value: UInt128, _ key: Key) throws {
        try writer.state.pointee.beginMember(of: frameID, key: key.stringValue)
        writer.state.pointee.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try writer.state.pointee.beginMember(of: frameID, key: key.stringValue)
        try writer.encodeNested(value, at: .key(key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        KeyedEncodingContainer(
            ObjectContainer<NestedKey>(writer: writer, frameID: writer.state.pointee.openNested(object: true, inObject: frameID, key: key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ArrayContainer(writer: writer, frameID: writer.state.pointee.openNested(object: false, inObject: frameID, key: key))
    }

    /// Foundation writes a superclass's value when its encoder is released; left to Foundation.
    mutating func superEncoder() -> any Encoder {
        writer.state.pointee.poisoned = true
        return writer
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        writer.state.pointee.poisoned = true
        return writer
    }
}

private struct ArrayContainer: UnkeyedEncodingContainer {
    let writer: Writer
    let frameID: Int

    var codingPath: [any CodingKey] { writer.state.pointee.codingPath(of: frameID) }

    var count: Int { writer.state.pointee.elementCount(of: frameID) }

    mutating func encodeNil() throws {
        _ = try writer.state.pointee.beginElement(of: frameID)
        writer.state.pointee.writeNull()
    }

    mutating func encode(_ value: Bool) throws {
        _ = try writer.state.pointee.beginElement(of: frameID)
        writer.state.pointee.writeBool(value)
    }

    mutating func encode(_ value: String) throws {
        _ = try writer.state.pointee.beginElement(of: frameID)
        writer.state.pointee.writeString(value)
    }

    mutating func encode(_ value: Double) throws {
        _ = try writer.state.pointee.beginElement(of: frameID)
        try writer.state.pointee.writeFloat(value)
    }

    mutating func encode(_ value: Float) throws {
        _ = try writer.state.pointee.beginElement(of: frameID)
        try writer.state.pointee.writeFloat(value)
    }

    mutating func encode(_ value: Int) throws { try integer(Int64(value)) }
    mutating func encode(_ value: Int8) throws { try integer(Int64(value)) }
    mutating func encode(_ value: Int16) throws { try integer(Int64(value)) }
    mutating func encode(_ value: Int32) throws { try integer(Int64(value)) }
    mutating func encode(_ value: Int64) throws { try integer(value) }
    mutating func encode(_ value: Int128) throws { try integer(value) }
    mutating func encode(_ value: UInt) throws { try integer(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { try integer(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { try integer(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { try integer(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { try integer(value) }
    mutating func encode(_ value: UInt128) throws { try integer(value) }

    private func integer(_ value: Int64) throws {
        _ = try writer.state.pointee.beginElement(of: frameID)
        writer.state.pointee.writeInteger(value)
    }

    private func integer(_ value: UInt64) throws {
        _ = try writer.state.pointee.beginElement(of: frameID)
        writer.state.pointee.writeInteger(value)
    }

    private func integer(_ value: Int128) throws {
        _ = try writer.state.pointee.beginElement(of: frameID)
        writer.state.pointee.writeInteger(value)
    }

    private func integer(_ value: UInt128) throws {
        _ = try writer.state.pointee.beginElement(of: frameID)
        writer.state.pointee.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = try writer.state.pointee.beginElement(of: frameID)
        try writer.encodeNested(value, at: .index(index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(ObjectContainer<NestedKey>(writer: writer, frameID: writer.state.pointee.openNested(object: true, inArray: frameID)))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        ArrayContainer(writer: writer, frameID: writer.state.pointee.openNested(object: false, inArray: frameID))
    }

    /// Left to Foundation, as for objects.
    mutating func superEncoder() -> any Encoder {
        writer.state.pointee.poisoned = true
        return writer
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let writer: Writer
    let contextID: Int

    var codingPath: [any CodingKey] { writer.state.pointee.codingPath }

    mutating func encodeNil() throws {
        try writer.state.pointee.beginSingleValue(of: contextID)
        writer.state.pointee.writeNull()
    }

    mutating func encode(_ value: Bool) throws {
        try writer.state.pointee.beginSingleValue(of: contextID)
        writer.state.pointee.writeBool(value)
    }

    mutating func encode(_ value: String) throws {
        try writer.state.pointee.beginSingleValue(of: contextID)
        writer.state.pointee.writeString(value)
    }

    mutating func encode(_ value: Double) throws {
        try writer.state.pointee.beginSingleValue(of: contextID)
        try writer.state.pointee.writeFloat(value)
    }

    mutating func encode(_ value: Float) throws {
        try writer.state.pointee.beginSingleValue(of: contextID)
        try writer.state.pointee.writeFloat(value)
    }

    mutating func encode(_ value: Int) throws { try integer(Int64(value)) }
    mutating func encode(_ value: Int8) throws { try integer(Int64(value)) }
    mutating func encode(_ value: Int16) throws { try integer(Int64(value)) }
    mutating func encode(_ value: Int32) throws { try integer(Int64(value)) }
    mutating func encode(_ value: Int64) throws { try integer(value) }
    mutating func encode(_ value: Int128) throws { try integer(value) }
    mutating func encode(_ value: UInt) throws { try integer(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { try integer(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { try integer(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { try integer(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { try integer(value) }
    mutating func encode(_ value: UInt128) throws { try integer(value) }

    private func integer(_ value: Int64) throws {
        try writer.state.pointee.beginSingleValue(of: contextID)
        writer.state.pointee.writeInteger(value)
    }

    private func integer(_ value: UInt64) throws {
        try writer.state.pointee.beginSingleValue(of: contextID)
        writer.state.pointee.writeInteger(value)
    }

    private func integer(_ value: Int128) throws {
        try writer.state.pointee.beginSingleValue(of: contextID)
        writer.state.pointee.writeInteger(value)
    }

    private func integer(_ value: UInt128) throws {
        try writer.state.pointee.beginSingleValue(of: contextID)
        writer.state.pointee.writeInteger(value)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try writer.state.pointee.beginSingleValue(of: contextID)
        // Foundation encodes it with the same encoder: no step added to the coding path.
        try writer.encodeNested(value, at: nil)
    }
}
