import Foundation

/// The rule that every test has a time limit: each `@Suite` carries `.timeLimit(...)` among its
/// traits, and each `@Test` either carries one or is inside a `@Suite` type (whose limit then applies
/// to it). A `@Test` outside any `@Suite` (a free function, or in a type without `@Suite`) needs its
/// own.
///
/// A small Swift lexer, not a parser: comments and string literals (with their interpolations) are
/// skipped, braces are counted, and an attribute's arguments are read up to their closing
/// parenthesis. Good enough for test files; a finding names the file and line.
public enum TimeLimitCheck {
    public struct Finding: Equatable, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    /// Every finding in the `.swift` files under `directory`, in path order.
    public static func findings(under directory: URL) throws -> [Finding] {
        guard let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else { return [] }
        var files: [URL] = []
        for case let url as URL in walker where url.pathExtension == "swift" { files.append(url) }
        let base = directory.standardizedFileURL.path + "/"
        return try files.sorted { $0.path < $1.path }.flatMap { url in
            let path = url.standardizedFileURL.path
            let name = path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
            return findings(in: try String(contentsOf: url, encoding: .utf8), file: name)
        }
    }

    /// Every finding in one file's text.
    public static func findings(in source: String, file: String = "<source>") -> [Finding] {
        var lexer = Lexer(Array(source.utf8))
        let tokens = lexer.code(untilCloseParen: false)
        var findings: [Finding] = []
        var scopes: [Bool] = []  // for each open brace: does it open a @Suite type's body?
        var suitePending = false
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token.kind {
            case .punctuation("{"):
                scopes.append(suitePending)
                suitePending = false
            case .punctuation("}"):
                _ = scopes.popLast()
            case .attribute(let name) where name == "Suite" || name == "Test":
                let hasLimit = hasTimeLimit(tokens, after: &index)
                if name == "Suite" {
                    suitePending = true
                    if !hasLimit { findings.append(Finding(file: file, line: token.line, message: "@Suite without .timeLimit")) }
                } else if !hasLimit && !scopes.contains(true) {
                    findings.append(Finding(file: file, line: token.line,
                                            message: "@Test outside any @Suite without .timeLimit"))
                }
            default:
                break
            }
        }
        return findings
    }

    /// Reads the attribute's parenthesised arguments, if any, starting at `index`, and says
    /// whether they include `.timeLimit(`.
    static func hasTimeLimit(_ tokens: [Token], after index: inout Int) -> Bool {
        guard index < tokens.count, tokens[index].kind == .punctuation("(") else { return false }
        var depth = 0, found = false
        repeat {
            switch tokens[index].kind {
            case .punctuation("("): depth += 1
            case .punctuation(")"): depth -= 1
            case .word("timeLimit"):
                if index > 0, tokens[index - 1].kind == .punctuation("."), index + 1 < tokens.count,
                   tokens[index + 1].kind == .punctuation("(") { found = true }
            default: break
            }
            index += 1
        } while depth > 0 && index < tokens.count
        return found
    }

    struct Token: Equatable {
        enum Kind: Equatable {
            case word(String)
            case attribute(String)
            case punctuation(String)
        }
        var kind: Kind
        var line: Int
    }

    /// Splits Swift source into words, `@attributes` and punctuation, dropping comments and the
    /// contents of string literals.
    struct Lexer {
        let bytes: [UInt8]
        var at = 0
        var line = 1

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        func peek(_ offset: Int = 0) -> UInt8? { at + offset < bytes.count ? bytes[at + offset] : nil }

        func looking(at text: String) -> Bool {
            let t = Array(text.utf8)
            return at + t.count <= bytes.count && Array(bytes[at..<at + t.count]) == t
        }

        mutating func advance(_ count: Int = 1) {
            for _ in 0..<count where at < bytes.count {
                if bytes[at] == UInt8(ascii: "\n") { line += 1 }
                at += 1
            }
        }

        static func isWordByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: "_") || byte >= 0x80
        }

        /// Code up to the end, or (inside a string interpolation) up to its unmatched `)`.
        mutating func code(untilCloseParen: Bool) -> [Token] {
            var tokens: [Token] = []
            var parens = 0
            while let byte = peek() {
                if looking(at: "//") {
                    while let b = peek(), b != UInt8(ascii: "\n") { advance() }
                } else if looking(at: "/*") {
                    blockComment()
                } else if byte == UInt8(ascii: "#") || byte == UInt8(ascii: "\"") {
                    var hashes = 0
                    while peek(hashes) == UInt8(ascii: "#") { hashes += 1 }
                    if peek(hashes) == UInt8(ascii: "\"") {
                        advance(hashes)
                        string(hashes: hashes)
                    } else {
                        tokens.append(Token(kind: .punctuation("#"), line: line))
                        advance()
                    }
                } else if byte == UInt8(ascii: "@"), let next = peek(1), Self.isWordByte(next) {
                    let line = self.line
                    advance()
                    tokens.append(Token(kind: .attribute(word()), line: line))
                } else if Self.isWordByte(byte) {
                    let line = self.line
                    tokens.append(Token(kind: .word(word()), line: line))
                } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t")
                            || byte == UInt8(ascii: "\r") {
                    advance()
                } else {
                    if byte == UInt8(ascii: "(") { parens += 1 }
                    if byte == UInt8(ascii: ")") {
                        if untilCloseParen && parens == 0 {
                            advance()
                            return tokens
                        }
                        parens -= 1
                    }
                    tokens.append(Token(kind: .punctuation(String(UnicodeScalar(byte))), line: line))
                    advance()
                }
            }
            return tokens
        }

        mutating func word() -> String {
            let start = at
            while let b = peek(), Self.isWordByte(b) { advance() }
            return String(decoding: bytes[start..<at], as: UTF8.self)
        }

        /// Skips a block comment (they nest in Swift).
        mutating func blockComment() {
            var depth = 0
            while peek() != nil {
                if looking(at: "/*") {
                    depth += 1
                    advance(2)
                } else if looking(at: "*/") {
                    depth -= 1
                    advance(2)
                    if depth == 0 { return }
                } else {
                    advance()
                }
            }
        }

        /// Skips a string literal starting at its opening quote, raw (`hashes` > 0) or not,
        /// single-line or multi-line; interpolations are lexed as code and dropped.
        mutating func string(hashes: Int) {
            let closing = String(repeating: "#", count: hashes)
            let multiLine = looking(at: "\"\"\"")
            let quote = multiLine ? "\"\"\"" : "\""
            advance(quote.count)
            let escape = "\\" + closing
            while let byte = peek() {
                if looking(at: quote + closing) {
                    advance(quote.count + hashes)
                    return
                }
                if !multiLine && byte == UInt8(ascii: "\n") { return }  // unterminated: give up on this line
                if looking(at: escape) {
                    advance(escape.count)
                    if peek() == UInt8(ascii: "(") {
                        advance()
                        _ = code(untilCloseParen: true)
                    } else {
                        advance()  // the escaped character
                    }
                } else {
                    advance()
                }
            }
        }
    }
}
