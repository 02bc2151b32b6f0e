import Foundation
import PCIModel

/// The `Encoder` behind ``JSONOutput/encode(_:)``: the same bytes as Foundation's `JSONEncoder`
/// with `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` (two-space indentation,
/// `"key" : value`, empty containers as `[\n\n]`, keys in byte order, `"`, `\`, `\b`, `\f`, `\n`,
/// `\r`, `\t` and other control characters escaped), several times faster on the audit's large
/// documents, where Foundation's generic boxing dominated the time of a fleet. It writes what barproof
/// documents hold (strings, booleans, integers, null, arrays, objects); a document holding a
/// floating-point number, `Data`, `Date`, `URL` or `Decimal`, whose Foundation spelling it does not
/// reproduce, throws ``Unsupported`` and ``JSONOutput`` uses Foundation for it.
/// `DocumentEncoderTests` compares the two on every kind of document barproof writes.
enum DocumentEncoder {
    struct Unsupported: Error {}

    /// One encoding's state: whether it asked for something no barproof document does (a super
    /// encoder), which abandons it for Foundation's.
    final class Context {
        var unsupported = false
        /// Per key type, the last key sequence seen and its sorted order.
        private var orders: [ObjectIdentifier: (keys: [String], order: [Int])] = [:]

        /// `box`'s entries in the order they are written; an object whose keys are those of the
        /// last object of its key type reuses that order.
        func order(of box: ObjectBox) -> [Int] {
            guard let type = box.keyType else { return box.sortedOrder }
            if let known = orders[type], box.hasKeys(known.keys) { return known.order }
            let order = box.sortedOrder
            orders[type] = (box.entries.map(\.key), order)
            return order
        }

        func superEncoder(_ path: [any CodingKey]) -> any Encoder {
            unsupported = true
            return NodeEncoder(codingPath: path, context: self)
        }
    }

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let context = Context()
        let root = try Node.encoding(value, path: [], context: context)
        if context.unsupported { throw Unsupported() }
        var out: [UInt8] = []
        // Large enough for most documents (an audit of 100 functions is about 300 KB): growing by
        // copies and fresh pages cost a tenth of the time.
        out.reserveCapacity(1 << 20)
        write(root, depth: 0, context: context, to: &out)
        return out
    }

    /// A value as it is being built: containers are boxes, so that a container handed out by the
    /// encoder can be filled after it is stored in its parent.
    enum Node {
        case null
        case literal(String)
        case bool(Bool)
        case int(Int)
        /// A ``HexWord``: `"0x"` and lowercase hex digits, written without a `String` between.
        case hex(UInt64)
        /// A document written already (``EncodedDocument``), indented where it is placed.
        case raw([UInt8])
        case string(String)
        /// An array of strings, the commonest array of barproof's documents, without a box.
        case strings([String])
        case array(ArrayBox)
        case object(ObjectBox)

        /// `value`'s node. `path` is the coding path, built only for a value that needs an encoder
        /// of its own: the scalars, strings and arrays of strings barproof's documents are mostly
        /// made of are written without one.
        static func encoding<T: Encodable>(_ value: T, path: @autoclosure () -> [any CodingKey], context: Context) throws -> Node {
            // Type identity first: a failed dynamic cast per candidate type, for every value of
            // a custom type, cost more than the rest of the encoding.
            if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
            if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
            if T.self == Int.self { return .int(unsafeBitCast(value, to: Int.self)) }
            if T.self == UInt64.self { return .literal(String(unsafeBitCast(value, to: UInt64.self))) }
            if T.self == Hex.self { return .hex(unsafeBitCast(value, to: Hex.self).wrappedValue) }
            if T.self == HexWord.self { return .hex(unsafeBitCast(value, to: HexWord.self).value) }
            if T.self == [String].self { return .strings(unsafeBitCast(value, to: [String].self)) }
            if T.self == String?.self { return unsafeBitCast(value, to: String?.self).map { .string($0) } ?? .null }
            if T.self == Int?.self { return unsafeBitCast(value, to: Int?.self).map { .int($0) } ?? .null }
            if T.self == Bool?.self { return unsafeBitCast(value, to: Bool?.self).map { .bool($0) } ?? .null }
            if T.self == EncodedDocument.self { return .raw(unsafeBitCast(value, to: EncodedDocument.self).bytes) }
            if T.self is any BinaryInteger.Type, let integer = value as? any BinaryInteger { return .literal(String(integer)) }
            if T.self == Double.self || T.self == Float.self || T.self == Data.self || T.self == Date.self
                || T.self == URL.self || T.self == Decimal.self {
                throw Unsupported()
            }
            let encoder = NodeEncoder(codingPath: path(), context: context)
            try value.encode(to: encoder)
            // A value that wrote nothing is an empty object, as Foundation writes it.
            return encoder.node ?? .object(ObjectBox(keyType: nil))
        }
    }

    final class ArrayBox { var items: [Node] = [] }
    /// Entries in the order written: a key written twice keeps its last value, as in Foundation's
    /// dictionary; an array, since hashing each key cost more than the rest of an object.
    final class ObjectBox {
        /// The `CodingKey` type the keys came from: objects of one type mostly write the same keys
        /// in the same order, so their sorted order is worked out once (``Context/order(of:)``).
        let keyType: ObjectIdentifier?
        var entries: [(key: String, value: Node)] = []

        init(keyType: ObjectIdentifier?) {
            self.keyType = keyType
            entries.reserveCapacity(8)
        }

        func set(_ key: String, _ value: Node) { entries.append((key, value)) }

        /// The indices of the entries sorted by the keys' UTF-8 bytes, as Foundation sorts them,
        /// each key once (its last value).
        var sortedOrder: [Int] {
            let order = entries.indices.sorted { a, b in
                let x = entries[a].key, y = entries[b].key
                return x == y ? a < b : x.utf8.lexicographicallyPrecedes(y.utf8)
            }
            var out: [Int] = []
            out.reserveCapacity(order.count)
            for i in order {
                if let last = out.last, entries[last].key == entries[i].key { out[out.count - 1] = i } else { out.append(i) }
            }
            return out
        }

        func hasKeys(_ keys: [String]) -> Bool {
            keys.count == entries.count && zip(keys, entries).allSatisfy { $0 == $1.key }
        }
    }

    final class NodeEncoder: Encoder {
        let codingPath: [any CodingKey]
        let context: Context
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        var node: Node?

        init(codingPath: [any CodingKey], context: Context) {
            self.codingPath = codingPath
            self.context = context
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            let box: ObjectBox
            if case .object(let existing) = node { box = existing } else {
                box = ObjectBox(keyType: ObjectIdentifier(Key.self))
                node = .object(box)
            }
            return KeyedEncodingContainer(Keyed(box: box, codingPath: codingPath, context: context))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            let box: ArrayBox
            if case .array(let existing) = node { box = existing } else {
                box = ArrayBox()
                node = .array(box)
            }
            return Unkeyed(box: box, codingPath: codingPath, context: context)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { Single(encoder: self) }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let box: ObjectBox
        let codingPath: [any CodingKey]
        let context: Context

        mutating func encodeNil(forKey key: Key) throws { box.set(key.stringValue, .null) }
        mutating func encode(_ value: String, forKey key: Key) throws { box.set(key.stringValue, .string(value)) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { box.set(key.stringValue, .bool(value)) }
        mutating func encode(_ value: Int, forKey key: Key) throws { box.set(key.stringValue, .int(value)) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { box.set(key.stringValue, .literal(String(value))) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            box.set(key.stringValue, try Node.encoding(value, path: codingPath + [key], context: context))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                            forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let nested = ObjectBox(keyType: ObjectIdentifier(NestedKey.self))
            box.set(key.stringValue, .object(nested))
            return KeyedEncodingContainer(Keyed<NestedKey>(box: nested, codingPath: codingPath + [key], context: context))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let nested = ArrayBox()
            box.set(key.stringValue, .array(nested))
            return Unkeyed(box: nested, codingPath: codingPath + [key], context: context)
        }
        // No barproof document encodes through a super encoder; one that does falls back to Foundation.
        mutating func superEncoder() -> any Encoder { context.superEncoder(codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { context.superEncoder(codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let box: ArrayBox
        let codingPath: [any CodingKey]
        let context: Context
        var count: Int { box.items.count }

        mutating func encodeNil() throws { box.items.append(.null) }
        mutating func encode(_ value: String) throws { box.items.append(.string(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            box.items.append(try Node.encoding(value, path: codingPath, context: context))
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let nested = ObjectBox(keyType: ObjectIdentifier(NestedKey.self))
            box.items.append(.object(nested))
            return KeyedEncodingContainer(Keyed<NestedKey>(box: nested, codingPath: codingPath, context: context))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let nested = ArrayBox()
            box.items.append(.array(nested))
            return Unkeyed(box: nested, codingPath: codingPath, context: context)
        }
        mutating func superEncoder() -> any Encoder { context.superEncoder(codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let encoder: NodeEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        mutating func encodeNil() throws { encoder.node = .null }
        mutating func encode(_ value: String) throws { encoder.node = .string(value) }
        mutating func encode(_ value: Bool) throws { encoder.node = .bool(value) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            encoder.node = try Node.encoding(value, path: codingPath, context: encoder.context)
        }
    }

    // MARK: Writing

    static func write(_ node: Node, depth: Int, context: Context, to out: inout [UInt8]) {
        switch node {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .literal(let text): out.append(contentsOf: text.utf8)
        case .bool(let value):
            if value { out.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
        case .int(let value): writeInteger(value, to: &out)
        case .hex(let value): writeHex(value, to: &out)
        case .raw(let bytes):
            // Newlines occur only between tokens (a string's are escaped): each line but an empty
            // one (inside an empty container) is indented to the place's depth.
            var start = bytes.startIndex
            while let newline = bytes[start...].firstIndex(of: 0x0A) {
                out.append(contentsOf: bytes[start...newline])
                start = newline + 1
                if start < bytes.endIndex, bytes[start] != 0x0A { indent(depth, &out) }
            }
            out.append(contentsOf: bytes[start...])
        case .string(let text): writeString(text, to: &out)
        case .strings(let texts):
            out.append(UInt8(ascii: "["))
            out.append(0x0A)
            for (i, text) in texts.enumerated() {
                if i > 0 { out.append(0x2C); out.append(0x0A) }
                indent(depth + 1, &out)
                writeString(text, to: &out)
            }
            out.append(0x0A)
            indent(depth, &out)
            out.append(UInt8(ascii: "]"))
        case .array(let box):
            out.append(UInt8(ascii: "["))
            out.append(0x0A)
            for (i, item) in box.items.enumerated() {
                if i > 0 { out.append(0x2C); out.append(0x0A) }
                indent(depth + 1, &out)
                write(item, depth: depth + 1, context: context, to: &out)
            }
            out.append(0x0A)
            indent(depth, &out)
            out.append(UInt8(ascii: "]"))
        case .object(let box):
            out.append(UInt8(ascii: "{"))
            out.append(0x0A)
            for (n, i) in context.order(of: box).enumerated() {
                if n > 0 { out.append(0x2C); out.append(0x0A) }
                indent(depth + 1, &out)
                writeString(box.entries[i].key, to: &out)
                out.append(0x20); out.append(0x3A); out.append(0x20)
                write(box.entries[i].value, depth: depth + 1, context: context, to: &out)
            }
            out.append(0x0A)
            indent(depth, &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    static let spaces = [UInt8](repeating: UInt8(ascii: " "), count: 128)

    static func indent(_ depth: Int, _ out: inout [UInt8]) {
        var left = 2 * depth
        while left > 0 {
            let n = min(left, spaces.count)
            spaces.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[0..<n])) }
            left -= n
        }
    }

    /// `value` in decimal, as `String(value)` spells it.
    static func writeInteger(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for 20 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[23 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
        }
    }

    /// `"0x"` and `value`'s lowercase hex digits, quoted, as ``HexWord`` spells it.
    static func writeHex(_ value: UInt64, to out: inout [UInt8]) {
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: "0"), UInt8(ascii: "x")])
        let digits = max(1, (64 - value.leadingZeroBitCount + 3) / 4)
        for i in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = UInt8((value >> (4 * UInt64(i))) & 0xF)
            out.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
        }
        out.append(UInt8(ascii: "\""))
    }

    static func writeString(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { writeString(bytes: $0, to: &out) }
    }

    static func writeString(bytes utf8: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape at all: then they are copied whole.
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// A document ``JSONOutput/encode(_:)`` wrote, placed whole inside another: a fleet's host
/// reports are written in parallel, each by its worker, and only joined at the end.
public struct EncodedDocument: Encodable, Sendable {
    /// The document without its final newline.
    public let bytes: [UInt8]

    public init(_ data: Data) {
        var bytes = [UInt8](data)
        if bytes.last == 0x0A { bytes.removeLast() }
        self.bytes = bytes
    }

    /// Only ``JSONOutput`` places a written document; any other encoder would have to parse it.
    public func encode(to encoder: any Encoder) throws {
        throw EncodingError.invalidValue(bytes, .init(codingPath: encoder.codingPath,
                                                      debugDescription: "an encoded document is placed only by JSONOutput"))
    }
}
