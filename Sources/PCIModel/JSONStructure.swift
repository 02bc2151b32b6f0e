/// The JSON documents barproof reads (snapshots, fixture topologies, proof records), checked
/// before a decoder sees them, with problems placed at a line and column a person can go to.
///
/// **Why.** Foundation's `JSONDecoder` reports a syntax error as "The given data was not valid
/// JSON" with at best a byte offset in a nested `NSError`, and a wrong or missing field as a
/// coding path; and where an object holds the same key twice it silently keeps one of them (which
/// one differs between JSON readers, so two tools can read one file as two machines). So every
/// JSON input first goes through ``check(_:limit:)``: nesting (``NestingLimit``, before anything
/// else, as the decoder recurses per level), then one pass over the bytes that accepts exactly
/// RFC 8259 in UTF-8 and refuses a key repeated within an object, keeping its own stack (no
/// recursion). ``location(of:in:)`` runs the same pass to find where the value at a decoder's
/// coding path starts, so a wrong type or a missing key is reported where it is.
///
/// Lines are 1-based (LF, CR and CR LF each end one), columns 1-based in characters, as
/// ``NestingLimit`` counts them. PCIModel has no file IO and no dependencies; callers pass bytes.
public enum JSONStructure {
    /// A problem at a place in a JSON document; callers prefix the file name.
    public struct Problem: Error, Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var column: Int
        /// What is wrong, without the file or the position.
        public var message: String

        public init(line: Int, column: Int, message: String) {
            self.line = line
            self.column = column
            self.message = message
        }

        /// `line:column: message`.
        public var description: String { "\(line):\(column): \(message)" }
    }

    /// One step of a path into a document: an object member by key, or an array element by index.
    /// A decoder's coding key carries both (`stringValue`, `intValue`); which one applies depends
    /// on the container it is looked up in.
    public struct PathComponent: Hashable, Sendable {
        public var key: String
        public var index: Int?

        public init(key: String, index: Int? = nil) {
            self.key = key
            self.index = index
        }
    }

    /// Throws ``Problem`` unless `bytes` is one JSON value, in UTF-8, nested at most `limit`
    /// levels, with no key twice in one object. A UTF-8 byte order mark at the start is allowed.
    public static func check(_ bytes: some Collection<UInt8>, limit: Int = NestingLimit.maximumDepth) throws(Problem) {
        let bytes = Array(bytes)
        do {
            try NestingLimit.checkJSON(bytes, limit: limit)
        } catch {
            throw Problem(line: error.line, column: error.column, message: error.message)
        }
        var scanner = JSONScanner(bytes, target: nil)
        if let problem = scanner.run() { throw problem }
    }

    /// Where the value at `path` starts (`[]`: the document itself), or nil when the document
    /// has no value there or is not well-formed before it.
    public static func location(of path: [PathComponent], in bytes: some Collection<UInt8>) -> (line: Int, column: Int)? {
        var scanner = JSONScanner(Array(bytes), target: path)
        _ = scanner.run()
        return scanner.found
    }

    /// The line and column of the byte at `offset`.
    public static func position(ofOffset offset: Int, in bytes: some Collection<UInt8>) -> (line: Int, column: Int) {
        var position = TextPosition()
        for byte in bytes.prefix(offset) { position.advance(over: byte) }
        return (position.line, position.column)
    }
}

/// A line and column in UTF-8 text, 1-based, advanced byte by byte: LF, CR and CR LF end a line;
/// a column is a character (continuation bytes do not count).
public struct TextPosition: Sendable {
    public private(set) var line = 1
    public private(set) var column = 1
    private var previous: UInt8 = 0

    public init() {}

    public mutating func advance(over byte: UInt8) {
        if byte == 0x0A {
            if previous != 0x0D { line += 1 }
            column = 1
        } else if byte == 0x0D {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            column += 1
        }
        previous = byte
    }
}

/// The pass behind ``JSONStructure``: a JSON grammar with an explicit stack of open containers.
struct JSONScanner {
    private let text: [UInt8]
    private let target: [JSONStructure.PathComponent]?
    private var pos = 0
    private var line = 1
    /// The offset where the current line starts, for columns.
    private var lineStart = 0

    private enum Container {
        /// An object, with the current member's key.
        case object(key: String)
        case array(index: Int)
    }
    private var stack: [Container] = []
    /// For each open object, innermost last: its keys so far, with the offset where each was
    /// written. Kept apart from `stack` so that adding a key never copies the table.
    private var keyTables: [[String: Int]] = []

    /// Where the target path's value starts, once seen.
    private(set) var found: (line: Int, column: Int)?

    init(_ text: [UInt8], target: [JSONStructure.PathComponent]?) {
        self.text = text
        self.target = target
    }

    // MARK: Positions

    private func position(_ offset: Int) -> (line: Int, column: Int) {
        var column = 1
        var i = lineStart
        while i < offset && i < text.count {
            if text[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return (line, column)
    }

    private func problem(at offset: Int, _ message: String) -> JSONStructure.Problem {
        let (line, column) = position(offset)
        return JSONStructure.Problem(line: line, column: column, message: message)
    }

    /// The byte at `pos` in words: `'x'` for printable ASCII, else its code.
    private func shown(_ offset: Int) -> String {
        guard offset < text.count else { return "the end of the document" }
        let byte = text[offset]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        switch byte {
        case 0x20: return "a space"
        case 0x09: return "a tab"
        case 0x0A, 0x0D: return "a line break"
        default: return byte < 0x80 ? "control character U+\(hex4(UInt32(byte)))" : "a non-ASCII character"
        }
    }

    private func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    // MARK: The pass

    private mutating func skipWhitespace() {
        while pos < text.count {
            switch text[pos] {
            case 0x20, 0x09:
                pos += 1
            case 0x0A:
                pos += 1
                line += 1
                lineStart = pos
            case 0x0D:
                pos += 1
                if pos < text.count && text[pos] == 0x0A { pos += 1 }
                line += 1
                lineStart = pos
            default:
                return
            }
        }
    }

    /// A value starts here: note it when it is the target's.
    private mutating func valueStarts() {
        guard found == nil, let target, target.count == stack.count else { return }
        for (component, container) in zip(target, stack) {
            switch container {
            case .object(let key): if key != component.key { return }
            case .array(let index): if component.index != index { return }
            }
        }
        found = position(pos)
    }

    /// Checks the document; the first problem, or nil.
    mutating func run() -> JSONStructure.Problem? {
        if text.count >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF {
            pos = 3
            lineStart = 3
        }
        skipWhitespace()
        guard pos < text.count else { return problem(at: pos, "the document is empty; expected a JSON value") }
        if let problem = value() { return problem }
        skipWhitespace()
        if pos < text.count {
            return problem(at: pos, "unexpected \(shown(pos)) after the end of the JSON value; one document holds one value")
        }
        return nil
    }

    /// One value at `pos` and, for a container, everything inside it.
    private mutating func value() -> JSONStructure.Problem? {
        // Each turn of the loop reads one value (or closes containers) with the stack as its context.
        while true {
            skipWhitespace()
            valueStarts()
            guard pos < text.count else {
                return problem(at: pos, "the document ends where a value was expected")
            }
            switch text[pos] {
            case UInt8(ascii: "{"):
                pos += 1
                skipWhitespace()
                if pos < text.count && text[pos] == UInt8(ascii: "}") {
                    pos += 1
                } else {
                    stack.append(.object(key: ""))
                    keyTables.append([:])
                    if let problem = key() { return problem }
                    continue
                }
            case UInt8(ascii: "["):
                pos += 1
                skipWhitespace()
                if pos < text.count && text[pos] == UInt8(ascii: "]") {
                    pos += 1
                } else {
                    stack.append(.array(index: 0))
                    continue
                }
            case UInt8(ascii: "\""):
                if case .failure(let problem) = string(keeping: false) { return problem }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if let problem = number() { return problem }
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                if let problem = literal() { return problem }
            default:
                return problem(at: pos, "expected a value (an object, array, string, number, true, false or null), found \(shown(pos))")
            }
            // The value is complete: close every container it completes, or move to the next value.
            while true {
                guard let top = stack.last else { return nil }
                skipWhitespace()
                let next: UInt8? = pos < text.count ? text[pos] : nil
                switch top {
                case .object:
                    if next == UInt8(ascii: ",") {
                        pos += 1
                        if let problem = key() { return problem }
                        break
                    }
                    if next == UInt8(ascii: "}") {
                        pos += 1
                        stack.removeLast()
                        keyTables.removeLast()
                        continue
                    }
                    return problem(at: pos, "expected ',' or '}' after a member of the object, found \(shown(pos))")
                case .array(let index):
                    if next == UInt8(ascii: ",") {
                        pos += 1
                        stack[stack.count - 1] = .array(index: index + 1)
                        break
                    }
                    if next == UInt8(ascii: "]") {
                        pos += 1
                        stack.removeLast()
                        continue
                    }
                    return problem(at: pos, "expected ',' or ']' after an element of the array, found \(shown(pos))")
                }
                break
            }
        }
    }

    /// A member's key and its `:`, in the object on top of the stack; a key the object already
    /// has is a problem.
    private mutating func key() -> JSONStructure.Problem? {
        skipWhitespace()
        guard pos < text.count, text[pos] == UInt8(ascii: "\"") else {
            return problem(at: pos, "expected a key (a string in double quotes), found \(shown(pos))")
        }
        let start = pos
        let name: String
        switch string() {
        case .failure(let problem): return problem
        case .success(let text): name = text
        }
        if let firstOffset = keyTables[keyTables.count - 1][name] {
            // Positions are counted only for a problem: a long line would make counting each key's slow.
            let here = position(start), first = JSONStructure.position(ofOffset: firstOffset, in: text)
            return JSONStructure.Problem(
                line: here.line, column: here.column,
                message: "duplicate key '\(Self.printable(name))' in one object (first at line \(first.line) column \(first.column)); "
                    + "JSON readers differ on which one counts: keep one")
        }
        keyTables[keyTables.count - 1][name] = start
        stack[stack.count - 1] = .object(key: name)
        skipWhitespace()
        guard pos < text.count, text[pos] == UInt8(ascii: ":") else {
            return problem(at: pos, "expected ':' after the key '\(Self.printable(name))', found \(shown(pos))")
        }
        pos += 1
        return nil
    }

    /// A key as it may be shown in a message: control characters escaped, long keys cut.
    static func printable(_ key: String) -> String {
        var out = ""
        for scalar in key.unicodeScalars.prefix(80) {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return key.unicodeScalars.count > 80 ? out + "..." : out
    }

    /// The escapes JSON has besides `\uXXXX`, and the byte each stands for.
    private static let simpleEscapes: [UInt8: UInt8] = [
        UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
        UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
    ]

    /// Scans a string from its opening quote (at `pos`), with its escapes decoded. Only keys are
    /// kept (duplicate keys are found by name); a value is validated without being built, since a
    /// snapshot's values (config images, iomem) are most of its bytes.
    private mutating func string(keeping: Bool = true) -> Result<String, JSONStructure.Problem> {
        let opening = pos
        pos += 1
        var bytes: [UInt8] = []
        while true {
            // A run of plain ASCII at once.
            let runStart = pos
            while pos < text.count {
                let byte = text[pos]
                guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") else { break }
                pos += 1
            }
            if keeping, pos > runStart { bytes.append(contentsOf: text[runStart..<pos]) }
            guard pos < text.count else {
                return .failure(problem(at: opening, "unterminated string: no closing '\"' before the end of the document"))
            }
            let byte = text[pos]
            switch byte {
            case UInt8(ascii: "\""):
                pos += 1
                return .success(keeping ? String(decoding: bytes, as: UTF8.self) : "")
            case UInt8(ascii: "\\"):
                guard pos + 1 < text.count else {
                    return .failure(problem(at: opening, "unterminated string: no closing '\"' before the end of the document"))
                }
                let escape = text[pos + 1]
                if let plain = Self.simpleEscapes[escape] {
                    if keeping { bytes.append(plain) }
                    pos += 2
                    continue
                }
                guard escape == UInt8(ascii: "u") else {
                    return .failure(problem(at: pos, "invalid escape '\\\(escape >= 0x21 && escape < 0x7F ? String(Character(Unicode.Scalar(escape))) : "?")' in a string; "
                                            + "JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX"))
                }
                guard let high = hexQuad(at: pos + 2) else {
                    return .failure(problem(at: pos, "invalid escape: \\u takes four hexadecimal digits"))
                }
                pos += 6
                var value = high
                if (0xD800...0xDBFF).contains(high), pos + 1 < text.count, text[pos] == UInt8(ascii: "\\"),
                   text[pos + 1] == UInt8(ascii: "u"), let low = hexQuad(at: pos + 2), (0xDC00...0xDFFF).contains(low) {
                    value = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    pos += 6
                }
                if keeping { bytes.append(contentsOf: String(Unicode.Scalar(value) ?? "\u{FFFD}").utf8) }
            case 0x00..<0x20:
                return .failure(problem(at: pos, "\(shown(pos)) inside a string; write it as an escape (\\n, \\t, \\u00XX)"))
            default:
                guard let (_, width) = utf8Scalar(at: pos) else {
                    return .failure(problem(at: pos, "invalid UTF-8 in a string; barproof reads UTF-8 JSON"))
                }
                if keeping { bytes.append(contentsOf: text[pos..<pos + width]) }
                pos += width
            }
        }
    }

    private func hexQuad(at offset: Int) -> UInt32? {
        guard offset + 4 <= text.count else { return nil }
        var value: UInt32 = 0
        for byte in text[offset..<offset + 4] {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// The multi-byte UTF-8 sequence at `offset`, or nil when it is not well-formed (overlong,
    /// a surrogate, past U+10FFFF, cut short).
    private func utf8Scalar(at offset: Int) -> (Unicode.Scalar, Int)? {
        let first = text[offset]
        let width = first >= 0xC2 && first <= 0xDF ? 2 : first >= 0xE0 && first <= 0xEF ? 3 : first >= 0xF0 && first <= 0xF4 ? 4 : 0
        guard width > 0, offset + width <= text.count else { return nil }
        var value = UInt32(first) & (width == 2 ? 0x1F : width == 3 ? 0x0F : 0x07)
        for k in 1..<width {
            let byte = text[offset + k]
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        let minimum: UInt32 = width == 2 ? 0x80 : width == 3 ? 0x800 : 0x10000
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, width)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() -> JSONStructure.Problem? {
        let start = pos
        func digits() -> Int {
            var count = 0
            while pos < text.count, text[pos] >= UInt8(ascii: "0"), text[pos] <= UInt8(ascii: "9") {
                pos += 1
                count += 1
            }
            return count
        }
        if text[pos] == UInt8(ascii: "-") { pos += 1 }
        if pos < text.count && text[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < text.count, text[pos] >= UInt8(ascii: "0"), text[pos] <= UInt8(ascii: "9") {
                return problem(at: start, "a number may not start with 0 followed by digits (JSON has no octal)")
            }
        } else if digits() == 0 {
            return problem(at: start, "'-' must be followed by digits")
        }
        if pos < text.count && text[pos] == UInt8(ascii: ".") {
            pos += 1
            if digits() == 0 { return problem(at: start, "a number's '.' must be followed by digits") }
        }
        if pos < text.count && (text[pos] == UInt8(ascii: "e") || text[pos] == UInt8(ascii: "E")) {
            pos += 1
            if pos < text.count && (text[pos] == UInt8(ascii: "+") || text[pos] == UInt8(ascii: "-")) { pos += 1 }
            if digits() == 0 { return problem(at: start, "a number's exponent must have digits") }
        }
        return nil
    }

    private mutating func literal() -> JSONStructure.Problem? {
        for word in ["true", "false", "null"] {
            let bytes = Array(word.utf8)
            if pos + bytes.count <= text.count && Array(text[pos..<pos + bytes.count]) == bytes {
                pos += bytes.count
                return nil
            }
        }
        return problem(at: pos, "expected a value (an object, array, string, number, true, false or null), found \(shown(pos))")
    }
}
