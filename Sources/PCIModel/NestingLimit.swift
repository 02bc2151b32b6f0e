/// How deep the documents barproof reads may nest, checked before any parser sees them.
///
/// **Why.** Yams composes a YAML document into nodes recursively, one Swift call (several stack
/// frames) per level of nesting, and Foundation's JSON decoders recurse per array or object level
/// too. A spec nested some tens of thousands of levels deep (`a:\n b:\n  c: ...` or `[[[[...`)
/// overflows the 8 MiB main stack inside Yams and kills barproof with SIGSEGV before any error can
/// be printed; a chain of aliases (`b: &b [*a]`, `c: &c [*b]`, ...) builds a tree as deep as the
/// chain is long from text only one level deep, and freeing that tree recurses as deep. So every
/// YAML spec and every JSON input (snapshot, fixture topology, proof record) first goes through a
/// cheap scan here that keeps its own stack (no recursion, linear time) and measures the nesting;
/// deeper than ``maximumDepth`` is bad input, reported at the line and column where the limit is
/// crossed, and the document never reaches the parser. Real specs nest 5 levels, JSON inputs 4.
///
/// Depth counts collections: a mapping, a sequence, a JSON object or array is one level; scalars
/// are free. The YAML scan may over-estimate a document's depth slightly (by one level around a
/// simple key whose key is a flow collection, say), never under-estimate it: see ``checkYAML(_:limit:)``.
///
/// PCIModel has no file IO and no dependencies; callers pass the bytes they read.
public enum NestingLimit {
    /// The deepest nesting barproof reads.
    public static let maximumDepth = 64

    /// A document nested deeper than the limit.
    public struct Exceeded: Error, Hashable, Sendable, CustomStringConvertible {
        /// The deepest nesting found in the document (more than `limit`).
        public var depth: Int
        /// Where the nesting first exceeds the limit: 1-based line, 1-based column in characters.
        public var line: Int
        public var column: Int
        public var limit: Int
        /// When the limit is crossed through an alias (`*name`), its name.
        public var alias: String?

        public init(depth: Int, line: Int, column: Int, limit: Int, alias: String? = nil) {
            self.depth = depth
            self.line = line
            self.column = column
            self.limit = limit
            self.alias = alias
        }

        /// What is wrong and what to do, without the file name (callers prefix `file:line:column:`).
        public var message: String {
            let through = alias.map { " (through alias *\($0))" } ?? ""
            return "nested \(depth) levels deep at line \(line) column \(column)\(through); "
                + "barproof reads at most \(limit) levels: flatten the document"
        }

        public var description: String { message }
    }

    // MARK: - YAML

    /// Throws ``Exceeded`` when the YAML `text` nests deeper than `limit`.
    ///
    /// The scan follows the scanner of libyaml 0.2 (the one Yams vendors) token by token, with
    /// its own stacks: block collections by indentation (`- `, `? `, `: ` indicators, compact
    /// `- - -` forms, simple keys `key:` opening a mapping at the key's column, sequences
    /// written at their mapping's indentation), flow collections `[` `{` (and the single-pair
    /// mapping that `[a: b]` opens inside a flow sequence), quoted scalars (single, double, with
    /// escapes, across lines), plain scalars (across lines, as far as libyaml continues them),
    /// comments, block scalars `|` `>` (their content skipped by libyaml's indentation rules,
    /// indentation indicators included), anchors, tags, directives and document markers. An
    /// alias `*a` counts as deep as its anchored node is high. Where it simplifies, it errs
    /// towards deeper: a byte libyaml would refuse ends the scan (libyaml stops there too).
    public static func checkYAML(_ text: String, limit: Int = maximumDepth) throws(Exceeded) {
        try checkYAML(Array(text.utf8), limit: limit)
    }

    /// ``checkYAML(_:limit:)`` on UTF-8 bytes.
    public static func checkYAML(_ bytes: [UInt8], limit: Int = maximumDepth) throws(Exceeded) {
        var scanner = YAMLNestingScanner(bytes, limit: limit)
        scanner.run()
        if let crossing = scanner.crossing {
            throw Exceeded(depth: scanner.deepest, line: crossing.line, column: crossing.column, limit: limit,
                           alias: crossing.alias)
        }
    }

    /// The deepest nesting of the YAML `text` as the scan measures it (for tests and tools).
    public static func yamlDepth(_ text: String) -> Int {
        var scanner = YAMLNestingScanner(Array(text.utf8), limit: .max)
        scanner.run()
        return scanner.deepest
    }

    // MARK: - JSON

    /// Throws ``Exceeded`` when the JSON document nests deeper than `limit`: `[` and `{` outside
    /// strings (with `\` escapes), counted exactly as a JSON parser would recurse.
    public static func checkJSON(_ bytes: some Collection<UInt8>, limit: Int = maximumDepth) throws(Exceeded) {
        let (deepest, crossing) = scanJSON(bytes, limit: limit)
        if let crossing {
            throw Exceeded(depth: deepest, line: crossing.line, column: crossing.column, limit: limit)
        }
    }

    /// The deepest nesting of a JSON document.
    public static func jsonDepth(_ bytes: some Collection<UInt8>) -> Int {
        scanJSON(bytes, limit: .max).deepest
    }

    static func scanJSON(_ bytes: some Collection<UInt8>, limit: Int) -> (deepest: Int, crossing: (line: Int, column: Int)?) {
        var depth = 0, deepest = 0
        var line = 1, column = 0
        var inString = false, escaped = false
        var crossing: (line: Int, column: Int)?
        var previousWasCR = false
        for byte in bytes {
            // Columns count characters: every byte but a UTF-8 continuation byte starts one.
            if byte & 0xC0 != 0x80 { column += 1 }
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else {
                switch byte {
                case UInt8(ascii: "\""):
                    inString = true
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    depth += 1
                    if depth > deepest { deepest = depth }
                    if depth > limit && crossing == nil { crossing = (line, column) }
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    if depth > 0 { depth -= 1 }
                default:
                    break
                }
            }
            if byte == UInt8(ascii: "\n") {
                if !previousWasCR { line += 1 }
                column = 0
            } else if byte == UInt8(ascii: "\r") {
                line += 1
                column = 0
            }
            previousWasCR = byte == UInt8(ascii: "\r")
        }
        return (deepest, crossing)
    }
}

/// The YAML depth scan: libyaml's token loop (`yaml_parser_fetch_next_token`) reduced to what
/// moves the nesting, with explicit stacks. Positions are 0-based inside, as libyaml's marks.
struct YAMLNestingScanner {
    private let text: [UInt8]
    /// The first byte libyaml's reader refuses (invalid UTF-8 or a control character), or the end.
    private let end: Int
    private let limit: Int
    private var pos = 0
    private var line = 0
    private var column = 0

    /// A block collection, opened when libyaml rolls its indentation (`yaml_parser_roll_indent`).
    private struct Level {
        var column: Int
        var isMapping: Bool
        /// A sequence written at this mapping's indentation (`key:\n- a`) is open inside it.
        var indentless = false
    }
    private var levels: [Level] = []

    private struct Flow {
        var isSequence: Bool
        /// The current entry is a single-pair mapping (`[a: b]`): one level more inside it.
        var pair = false
        /// The deepest nesting seen inside the current entry, so that a `:` found after a
        /// nested key (`[[[x]]: y]`) deepens what was already counted.
        var entryDeepest: Int
    }
    private var flows: [Flow] = []

    /// Levels open: block collections with their indentless sequences, flow collections with pairs.
    private var blockDepth = 0
    private var flowDepth = 0

    /// libyaml's `simple_key_allowed`.
    private var simpleKeyAllowed = true
    /// The potential simple key of the block context (`simple_keys[0]`): where it starts. When
    /// its `:` comes, a mapping opens at its column, around what the key holds; until then the
    /// scan counts that mapping as open (see ``provisional``).
    private var blockKey: (line: Int, column: Int)?

    private struct Anchor {
        var name: [UInt8]
        /// The depth outside the anchored node, and the deepest level reached inside it.
        var base: Int
        var deepest: Int
        /// A node token has followed the anchor, so the node ends when the depth falls to `base`.
        var armed = false
        /// The block key starts at this anchor (`&a key: v`): if its `:` comes, the key is the
        /// anchored node; if the key goes stale (`&a` alone on its line), the node follows.
        var startsKey = false
    }
    private var openAnchors: [Anchor] = []
    /// Height of each anchored node (levels it adds where an alias repeats it), by name; a
    /// later anchor of the same name replaces it, as in Yams.
    private var heights: [[UInt8]: Int] = [:]

    private(set) var deepest = 0
    private(set) var crossing: (line: Int, column: Int, alias: String?)?

    init(_ text: [UInt8], limit: Int) {
        self.text = text
        self.limit = limit
        end = Self.readableEnd(text)
    }

    private var indent: Int { levels.last?.column ?? -1 }
    private var inFlow: Bool { !flows.isEmpty }
    /// 1 while the block key would open a mapping at its `:`.
    private var provisional: Int { blockKey.map { $0.column > indent ? 1 : 0 } ?? 0 }
    private var depth: Int { blockDepth + flowDepth + provisional }

    // MARK: Characters

    private func byte(_ offset: Int = 0) -> UInt8 {
        pos + offset < end ? text[pos + offset] : 0
    }

    private func isChar(_ c: Unicode.Scalar, _ offset: Int = 0) -> Bool { byte(offset) == UInt8(truncatingIfNeeded: c.value) }

    /// The length of the line break at `offset` (CR LF counts as one break), 0 if none. libyaml
    /// also breaks lines at NEL, LS and PS.
    private func breakLength(_ offset: Int = 0) -> Int {
        let b = byte(offset)
        switch b {
        case 0x0A: return 1
        case 0x0D: return byte(offset + 1) == 0x0A ? 2 : 1
        case 0xC2: return byte(offset + 1) == 0x85 ? 2 : 0
        case 0xE2: return byte(offset + 1) == 0x80 && (byte(offset + 2) == 0xA8 || byte(offset + 2) == 0xA9) ? 3 : 0
        default: return 0
        }
    }

    private func isBreak(_ offset: Int = 0) -> Bool { breakLength(offset) > 0 }
    private func isBlank(_ offset: Int = 0) -> Bool { byte(offset) == 0x20 || byte(offset) == 0x09 }
    private func atEnd(_ offset: Int = 0) -> Bool { pos + offset >= end }
    private func isBlankZ(_ offset: Int = 0) -> Bool { atEnd(offset) || isBlank(offset) || isBreak(offset) }

    /// `0-9 A-Z a-z _ -`, the characters of anchor names and tag handles.
    private func isAlpha(_ offset: Int = 0) -> Bool {
        let b = byte(offset)
        return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D
    }

    /// Consumes one character (not a line break).
    private mutating func advance() {
        guard pos < end else { return }
        let b = text[pos]
        pos += b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
        if pos > end { pos = end }
        column += 1
    }

    private mutating func advanceLine() {
        pos += max(1, breakLength())
        if pos > end { pos = end }
        line += 1
        column = 0
    }

    private func isDocumentMarker() -> Bool {
        column == 0 && ((isChar("-") && isChar("-", 1) && isChar("-", 2)) || (isChar(".") && isChar(".", 1) && isChar(".", 2)))
            && isBlankZ(3)
    }

    /// Where libyaml's reader stops: the first invalid UTF-8 sequence or character it does not
    /// allow (controls other than tab, LF, CR, NEL; surrogates; U+FFFE, U+FFFF).
    static func readableEnd(_ text: [UInt8]) -> Int {
        var i = 0
        while i < text.count {
            let b = text[i]
            if b < 0x80 {
                if (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F { return i }
                i += 1
                continue
            }
            let width = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 0
            guard width > 0, i + width <= text.count else { return i }
            var value = UInt32(b) & (width == 2 ? 0x1F : width == 3 ? 0x0F : 0x07)
            for k in 1..<width {
                let c = text[i + k]
                guard c & 0xC0 == 0x80 else { return i }
                value = value << 6 | UInt32(c & 0x3F)
            }
            let minimum: UInt32 = width == 2 ? 0x80 : width == 3 ? 0x800 : 0x10000
            guard value >= minimum, value <= 0x10FFFF else { return i }
            let allowed = value == 0x85 || (value >= 0xA0 && value <= 0xD7FF) || (value >= 0xE000 && value <= 0xFFFD)
                || value >= 0x10000
            guard allowed else { return i }
            i += width
        }
        return text.count
    }

    // MARK: Depth bookkeeping

    /// Records nesting `value` reached at (`atLine`, `atColumn`), 0-based.
    private mutating func note(_ value: Int, line atLine: Int, column atColumn: Int, alias: [UInt8]? = nil) {
        if value > deepest { deepest = value }
        guard crossing == nil else { return }
        if value > limit {
            crossing = (atLine + 1, atColumn + 1, alias.map { String(decoding: $0, as: UTF8.self) })
            return
        }
        for i in flows.indices where flows[i].entryDeepest < value { flows[i].entryDeepest = value }
        for i in openAnchors.indices where openAnchors[i].deepest < value { openAnchors[i].deepest = value }
    }

    private mutating func noteHere() { note(depth, line: line, column: column) }

    /// A node token ended: anchors waiting for their node now have it; close those whose node ended.
    private mutating func tokenEnded() {
        for i in openAnchors.indices { openAnchors[i].armed = true }
        closeAnchors()
    }

    private mutating func closeAnchors() {
        while let last = openAnchors.last, last.armed, depth <= last.base {
            openAnchors.removeLast()
            heights[last.name] = max(0, last.deepest - last.base)
        }
    }

    /// `yaml_parser_unroll_indent`: block collections deeper than `column` end.
    private mutating func unroll(_ column: Int) {
        guard !inFlow else { return }
        while let top = levels.last, top.column > column {
            levels.removeLast()
            blockDepth -= top.indentless ? 2 : 1
        }
        closeAnchors()
    }

    /// `yaml_parser_roll_indent`: a block collection opens at `column` if it is deeper.
    @discardableResult
    private mutating func roll(_ column: Int, mapping: Bool, line atLine: Int, column atColumn: Int) -> Bool {
        guard !inFlow, indent < column else { return false }
        levels.append(Level(column: column, isMapping: mapping))
        blockDepth += 1
        note(depth, line: atLine, column: atColumn)
        return true
    }

    /// A key or value token at a mapping's own indentation ends the sequence written there.
    private mutating func endIndentless(at column: Int) {
        guard let i = levels.indices.last, levels[i].column == column, levels[i].indentless else { return }
        levels[i].indentless = false
        blockDepth -= 1
    }

    private mutating func saveSimpleKey() {
        if simpleKeyAllowed && !inFlow { blockKey = (line, column) }
    }

    /// A `?` or `:` in a flow sequence: the entry is a single-pair mapping, one level around
    /// everything in it, including what was already read.
    private mutating func flowPair() {
        guard let i = flows.indices.last, flows[i].isSequence, !flows[i].pair else { return }
        flows[i].pair = true
        flowDepth += 1
        note(flows[i].entryDeepest + 1, line: line, column: column)
    }

    // MARK: The token loop

    mutating func run() {
        // libyaml's reader drops a BOM at the start of the input.
        if end >= 3 && text[0] == 0xEF && text[1] == 0xBB && text[2] == 0xBF { pos = 3 }
        while true {
            skipToToken()
            // A simple key is limited to one line (`yaml_parser_stale_simple_keys`).
            if let key = blockKey, key.line < line {
                blockKey = nil
                for i in openAnchors.indices { openAnchors[i].startsKey = false }
                closeAnchors()
            }
            unroll(column)
            if atEnd() { break }
            let c = byte()
            if column == 0 && c == UInt8(ascii: "%") {
                directive()
                continue
            }
            if isDocumentMarker() {
                unroll(-1)
                blockKey = nil
                simpleKeyAllowed = false
                advance(); advance(); advance()
                tokenEnded()
                continue
            }
            switch c {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                saveSimpleKey()
                flows.append(Flow(isSequence: c == UInt8(ascii: "["), entryDeepest: 0))
                flowDepth += 1
                flows[flows.count - 1].entryDeepest = depth
                simpleKeyAllowed = true
                noteHere()
                advance()
                tokenEnded()
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if let flow = flows.popLast() { flowDepth -= flow.pair ? 2 : 1 } else { blockKey = nil }
                simpleKeyAllowed = false
                advance()
                tokenEnded()
            case UInt8(ascii: ","):
                if let i = flows.indices.last {
                    if flows[i].pair {
                        flows[i].pair = false
                        flowDepth -= 1
                    }
                    flows[i].entryDeepest = depth
                } else {
                    blockKey = nil
                }
                simpleKeyAllowed = true
                advance()
                tokenEnded()
            case UInt8(ascii: "-") where isBlankZ(1):
                blockEntry()
            case UInt8(ascii: "?") where inFlow || isBlankZ(1):
                if inFlow {
                    flowPair()
                    simpleKeyAllowed = false
                } else {
                    if !roll(column, mapping: true, line: line, column: column) { endIndentless(at: column) }
                    blockKey = nil
                    simpleKeyAllowed = true
                }
                advance()
                tokenEnded()
            case UInt8(ascii: ":") where inFlow || isBlankZ(1):
                value()
            case UInt8(ascii: "*"):
                alias()
            case UInt8(ascii: "&"):
                anchor()
            case UInt8(ascii: "!"):
                saveSimpleKey()
                simpleKeyAllowed = false
                tag()
            case UInt8(ascii: "|"), UInt8(ascii: ">"):
                if inFlow {
                    advance() // libyaml: cannot start any token in flow context
                } else {
                    blockKey = nil
                    simpleKeyAllowed = true
                    blockScalar()
                    tokenEnded()
                }
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                saveSimpleKey()
                simpleKeyAllowed = false
                quoted(single: c == UInt8(ascii: "'"))
                tokenEnded()
            default:
                if startsPlain(c) {
                    saveSimpleKey()
                    simpleKeyAllowed = false
                    plain()
                    tokenEnded()
                } else {
                    // libyaml: "found character that cannot start any token". Skip it and go on.
                    advance()
                }
            }
        }
        unroll(-1)
    }

    /// `yaml_parser_scan_to_next_token`: spaces (tabs where libyaml allows them), comments, breaks.
    private mutating func skipToToken() {
        while true {
            // libyaml skips a BOM at the start of any line, counting it as a column.
            if column == 0 && byte() == 0xEF && byte(1) == 0xBB && byte(2) == 0xBF { advance() }
            while isChar(" ") || ((inFlow || !simpleKeyAllowed) && isChar("\t")) { advance() }
            if isChar("#") {
                while !atEnd() && !isBreak() { advance() }
            }
            guard isBreak() else { return }
            advanceLine()
            if !inFlow { simpleKeyAllowed = true }
        }
    }

    private static let indicators = Set("-?:,[]{}#&*!|>'\"%@`".utf8)
    private static let uriPunctuation = Set(";/?:@&=+$.%!~*'()".utf8)
    private static let flowIndicatorsAfterColon = Set(",?[]{}".utf8)

    private func startsPlain(_ c: UInt8) -> Bool {
        if !isBlankZ() && !Self.indicators.contains(c) { return true }
        if c == UInt8(ascii: "-") && !isBlank(1) { return true }
        return !inFlow && (c == UInt8(ascii: "?") || c == UInt8(ascii: ":")) && !isBlankZ(1)
    }

    /// `%YAML` / `%TAG` at column 0: the line, its break included (simple keys stay disallowed).
    private mutating func directive() {
        unroll(-1)
        blockKey = nil
        simpleKeyAllowed = false
        while !atEnd() && !isBreak() { advance() }
        if isBreak() { advanceLine() }
    }

    private mutating func blockEntry() {
        if !inFlow {
            if !roll(column, mapping: false, line: line, column: column), let i = levels.indices.last,
               levels[i].column == column, levels[i].isMapping, !levels[i].indentless {
                levels[i].indentless = true
                blockDepth += 1
                noteHere()
            }
            blockKey = nil
        }
        simpleKeyAllowed = true
        advance()
        tokenEnded()
    }

    private mutating func value() {
        if inFlow {
            flowPair()
            simpleKeyAllowed = false
        } else if let key = blockKey {
            // The key is complete: an anchor it starts with anchored the key, which held
            // everything reached since but the mapping around it.
            if let i = openAnchors.indices.last, openAnchors[i].startsKey {
                let anchor = openAnchors.remove(at: i)
                heights[anchor.name] = max(0, anchor.deepest - anchor.base - provisional)
            }
            for i in openAnchors.indices { openAnchors[i].startsKey = false }
            // The key's mapping was counted as open since the key started.
            if !roll(key.column, mapping: true, line: key.line, column: key.column) { endIndentless(at: key.column) }
            blockKey = nil
            simpleKeyAllowed = false
        } else {
            if !roll(column, mapping: true, line: line, column: column) { endIndentless(at: column) }
            simpleKeyAllowed = true
        }
        advance()
        tokenEnded()
    }

    private mutating func scanName() -> [UInt8] {
        advance()
        let start = pos
        while isAlpha() { advance() }
        return Array(text[start..<pos])
    }

    private mutating func alias() {
        saveSimpleKey()
        simpleKeyAllowed = false
        let (atLine, atColumn) = (line, column)
        let startsKey = blockKey.map { $0.line == line && $0.column == column } ?? false
        let name = scanName()
        // An alias that starts the block key is a key only if `:` follows it on the line;
        // otherwise the mapping the key would open is not around it.
        var ahead = 0
        while isBlank(ahead) { ahead += 1 }
        let isKey = isChar(":", ahead) && isBlankZ(ahead + 1)
        let outside = depth - (startsKey && !isKey ? provisional : 0)
        note(outside + (heights[name] ?? 0), line: atLine, column: atColumn, alias: name)
        tokenEnded()
    }

    private mutating func anchor() {
        saveSimpleKey()
        simpleKeyAllowed = false
        let startsKey = blockKey.map { $0.line == line && $0.column == column } ?? false
        let name = scanName()
        // A block key saved here may yet open a mapping around it; when it goes stale instead
        // (the anchor alone on its line), a mapping opened by a key on a later line is the
        // anchored node, so the depth outside leaves that mapping out. A key saved before the
        // anchor (`[&a x]: y`) holds the anchored node: its mapping is outside.
        let base = depth - (startsKey ? provisional : 0)
        openAnchors.append(Anchor(name: name, base: base, deepest: base, startsKey: startsKey))
    }

    /// `yaml_parser_scan_tag`: `!<uri>`, `!handle!suffix`, `!suffix`, `!`.
    private mutating func tag() {
        func isURIChar(verbatim: Bool) -> Bool {
            if isAlpha() { return true }
            if verbatim && (isChar(",") || isChar("[") || isChar("]")) { return true }
            return !atEnd() && Self.uriPunctuation.contains(byte())
        }
        advance()
        if isChar("<") {
            advance()
            while isURIChar(verbatim: true) { advance() }
            if isChar(">") { advance() }
            return
        }
        while isAlpha() { advance() }
        if isChar("!") { advance() }
        while isURIChar(verbatim: false) { advance() }
    }

    /// `yaml_parser_scan_flow_scalar`: to the closing quote, across lines, with escapes.
    private mutating func quoted(single: Bool) {
        let quote = single ? UInt8(ascii: "'") : UInt8(ascii: "\"")
        advance()
        while true {
            // libyaml refuses a document marker or the end inside quotes; it stops there.
            if isDocumentMarker() || atEnd() { return }
            while !isBlankZ() {
                if single && isChar("'") && isChar("'", 1) {
                    advance(); advance()
                } else if byte() == quote {
                    advance()
                    return
                } else if !single && isChar("\\") && isBreak(1) {
                    advance()
                    advanceLine()
                    break
                } else if !single && isChar("\\") {
                    advance()
                    if !atEnd() && !isBreak() { advance() }
                } else {
                    advance()
                }
            }
            while isBlank() || isBreak() {
                if isBlank() { advance() } else { advanceLine() }
            }
        }
    }

    /// `yaml_parser_scan_plain_scalar`: to `: `, ` #`, a flow indicator in flow context, or a
    /// line indented no deeper than the enclosing block collection.
    private mutating func plain() {
        let minimum = indent + 1
        var leadingBlanks = false
        outer: while true {
            if isDocumentMarker() || isChar("#") { break }
            while !isBlankZ() {
                if inFlow && isChar(":") && Self.flowIndicatorsAfterColon.contains(byte(1)) { break outer }
                if (isChar(":") && isBlankZ(1))
                    || (inFlow && (isChar(",") || isChar("[") || isChar("]") || isChar("{") || isChar("}"))) {
                    break outer
                }
                advance()
                leadingBlanks = false
            }
            guard isBlank() || isBreak() else { break }
            while isBlank() || isBreak() {
                if isBlank() {
                    if leadingBlanks && column < minimum && isChar("\t") { break outer }
                    advance()
                } else {
                    advanceLine()
                    leadingBlanks = true
                }
            }
            if !inFlow && column < minimum { break }
        }
        if leadingBlanks { simpleKeyAllowed = true }
    }

    /// `yaml_parser_scan_block_scalar`: the header, then every line libyaml takes as content.
    private mutating func blockScalar() {
        advance()
        var increment = 0
        if isChar("+") || isChar("-") {
            advance()
            if byte() >= 0x31 && byte() <= 0x39 { increment = Int(byte() - 0x30); advance() }
        } else if byte() >= 0x31 && byte() <= 0x39 {
            increment = Int(byte() - 0x30)
            advance()
            if isChar("+") || isChar("-") { advance() }
        }
        while isBlank() { advance() }
        if isChar("#") { while !atEnd() && !isBreak() { advance() } }
        // Anything else on the header line is an error in libyaml; read on from it as tokens.
        guard atEnd() || isBreak() else { return }
        if isBreak() { advanceLine() }
        let parentIndent = indent
        var contentIndent = increment > 0 ? (parentIndent >= 0 ? parentIndent + increment : increment) : 0
        guard blockScalarBreaks(&contentIndent, parentIndent: parentIndent) else { return }
        while column == contentIndent && !atEnd() {
            while !atEnd() && !isBreak() { advance() }
            if isBreak() { advanceLine() }
            guard blockScalarBreaks(&contentIndent, parentIndent: parentIndent) else { return }
        }
    }

    /// `yaml_parser_scan_block_scalar_breaks`: indentation and empty lines, fixing the content
    /// indentation from the first non-empty line when no indicator gave it. False on libyaml's
    /// tab error.
    private mutating func blockScalarBreaks(_ contentIndent: inout Int, parentIndent: Int) -> Bool {
        var maxIndent = 0
        while true {
            while (contentIndent == 0 || column < contentIndent) && isChar(" ") { advance() }
            if column > maxIndent { maxIndent = column }
            if (contentIndent == 0 || column < contentIndent) && isChar("\t") { return false }
            guard isBreak() else { break }
            advanceLine()
        }
        if contentIndent == 0 {
            contentIndent = max(maxIndent, parentIndent + 1, 1)
        }
        return true
    }
}
