import Foundation
import Testing
import PCIModel

/// The structural check every JSON input passes before a decoder sees it: the grammar, duplicate
/// keys, and where a coding path's value is.
@Suite(.timeLimit(.minutes(2))) struct JSONStructureTests {
    static func problem(_ text: String) -> JSONStructure.Problem? {
        do { try JSONStructure.check(Array(text.utf8)) } catch { return error }
        return nil
    }

    // MARK: What is accepted

    @Test(arguments: [
        "{}", "[]", "0", "-0", "1.5e-3", "-12E+2", "\"\"", "true", "false", "null", " \n\t{ } \r\n",
        "{\"a\": [1, 2, {\"b\": null}], \"c\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}",
        "{\"é\": \"ünïcode ✓ 😀\"}", "\u{FEFF}{\"bom\": 1}",
        // The same key in different objects, or as a value, is no duplicate.
        "{\"a\": {\"a\": 1}, \"b\": [{\"a\": 1}, {\"a\": 2}], \"c\": \"a\"}",
    ])
    func wellFormedDocumentsPass(_ text: String) {
        #expect(Self.problem(text) == nil, "\(text)")
    }

    @Test func whatFoundationDecodesTheScanAccepts() throws {
        // The encoder's own output, pretty and plain, passes.
        struct Sample: Codable { var name: String; var values: [UInt64]; var nested: [String: [Bool]] }
        let sample = Sample(name: "x\u{1}\"y", values: [0, UInt64.max], nested: ["k": [true, false], "ü": []])
        for formatting: JSONEncoder.OutputFormatting in [[], [.prettyPrinted, .sortedKeys]] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = formatting
            #expect(Self.problem(String(decoding: try encoder.encode(sample), as: UTF8.self)) == nil)
        }
    }

    // MARK: Syntax errors, at their place

    @Test(arguments: [
        ("", 1, 1, "the document is empty"),
        ("{ not json", 1, 3, "expected a key (a string in double quotes), found 'n'"),
        ("{\"a\": 1,\n \"b\": 2\n x}", 3, 2, "expected ',' or '}' after a member of the object, found 'x'"),
        ("[1, 2\n, 3 4]", 2, 5, "expected ',' or ']' after an element of the array, found '4'"),
        ("{\"a\" 1}", 1, 6, "expected ':' after the key 'a', found '1'"),
        ("{\"a\": }", 1, 7, "expected a value"),
        ("[1,]", 1, 4, "expected a value"),
        ("{\"a\": 1,}", 1, 9, "expected a key"),
        ("{\"a\": tru}", 1, 7, "expected a value"),
        ("[01]", 1, 2, "may not start with 0"),
        ("[1.]", 1, 2, "'.' must be followed by digits"),
        ("[-]", 1, 2, "'-' must be followed by digits"),
        ("[1e]", 1, 2, "exponent must have digits"),
        ("{\"a\": \"b\n\"}", 1, 9, "a line break inside a string"),
        ("{\"a\": \"\\q\"}", 1, 8, "invalid escape '\\q'"),
        ("{\"a\": \"\\u12g4\"}", 1, 8, "\\u takes four hexadecimal digits"),
        ("{\"a\": \"open", 1, 7, "unterminated string"),
        ("{\"a\": 1} {}", 1, 10, "after the end of the JSON value"),
        ("{\"a\": 1", 1, 8, "expected ',' or '}'"),
        ("\r\n\r\n  [}", 3, 4, "expected a value"),
        ("{\"ü\": 1 x}", 1, 9, "found 'x'"),
    ] as [(String, Int, Int, String)])
    func syntaxErrorsAreAtTheirLineAndColumn(_ text: String, _ line: Int, _ column: Int, _ message: String) throws {
        let problem = try #require(Self.problem(text), "accepted: \(text)")
        #expect(problem.line == line && problem.column == column, "\(text): \(problem)")
        #expect(problem.message.contains(message), "\(text): \(problem.message)")
    }

    @Test func invalidUTF8InAStringIsAnError() {
        do {
            try JSONStructure.check([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D])
            Issue.record("invalid UTF-8 accepted")
        } catch {
            #expect(error.line == 1 && error.column == 7 && error.message.contains("invalid UTF-8"), "\(error)")
        }
    }

    // MARK: Duplicate keys

    @Test func aDuplicateKeyIsAnErrorNamingItAndBothPlaces() throws {
        let text = "{\n  \"schema\": \"barproof-snapshot/1\",\n  \"devices\": {\"a\": {}, \"b\": {}},\n  \"schema\": \"other\"\n}"
        let problem = try #require(Self.problem(text))
        #expect(problem.line == 4 && problem.column == 3, "\(problem)")
        #expect(problem.message.contains("duplicate key 'schema'"), "\(problem.message)")
        #expect(problem.message.contains("first at line 2 column 3"), "\(problem.message)")
    }

    @Test func keysAreComparedAfterTheirEscapes() throws {
        let problem = try #require(Self.problem("{\"devices\": {\"ab\": 1, \"a\\u0062\": 2}}"))
        #expect(problem.message.contains("duplicate key 'ab'"), "\(problem)")
        #expect(problem.column == 23, "\(problem)")
    }

    @Test func aDuplicateDeepInsideAnArrayIsFound() throws {
        let text = "[" + String(repeating: "{\"k\": 1}, ", count: 1000) + "{\"k\": 1, \"j\": 2, \"k\": 3}]"
        let problem = try #require(Self.problem(text))
        #expect(problem.message.contains("duplicate key 'k'"), "\(problem)")
        #expect(problem.column == 1 + 10 * 1000 + 18, "\(problem)")
    }

    @Test func aLongOneLineDocumentIsScannedInLinearTime() throws {
        // 200,000 keys on one line: positions are counted only for a problem.
        let text = "{" + (0..<200_000).map { "\"k\($0)\": \($0)" }.joined(separator: ",") + "}"
        let clock = ContinuousClock()
        let elapsed = clock.measure { #expect(Self.problem(text) == nil) }
        #expect(elapsed < .seconds(10), "\(elapsed)")
    }

    // MARK: Nesting comes first

    @Test func deepNestingIsReportedBeforeSyntax() throws {
        // Unterminated as well as too deep: the depth is what is reported, where it is crossed.
        let problem = try #require(Self.problem(String(repeating: "[", count: 100)))
        #expect(problem.message.contains("nested 100 levels deep"), "\(problem)")
        #expect(problem.line == 1 && problem.column == 65, "\(problem)")
    }

    // MARK: Locations of coding paths

    @Test func locationsOfValuesByPath() throws {
        let text = Array("{\n  \"devices\": {\n    \"5\": {\"resource\": 7},\n    \"x\": [true, {\"a\": null}]\n  }\n}".utf8)
        typealias P = JSONStructure.PathComponent
        #expect(JSONStructure.location(of: [], in: text)! == (1, 1))
        #expect(JSONStructure.location(of: [P(key: "devices")], in: text)! == (2, 14))
        // A dictionary key that looks like a number is still looked up by its text in an object.
        #expect(JSONStructure.location(of: [P(key: "devices"), P(key: "5", index: 5), P(key: "resource")], in: text)! == (3, 23))
        #expect(JSONStructure.location(of: [P(key: "devices"), P(key: "x"), P(key: "Index 1", index: 1), P(key: "a")], in: text)! == (4, 23))
        #expect(JSONStructure.location(of: [P(key: "devices"), P(key: "missing")], in: text) == nil)
    }

    @Test func positionsOfOffsets() {
        let text = Array("ab\r\ncd\ré\nx".utf8)
        #expect(JSONStructure.position(ofOffset: 0, in: text) == (1, 1))
        #expect(JSONStructure.position(ofOffset: 4, in: text) == (2, 1))
        #expect(JSONStructure.position(ofOffset: 7, in: text) == (3, 1))
        #expect(JSONStructure.position(ofOffset: 10, in: text) == (4, 1))
        #expect(JSONStructure.position(ofOffset: 9, in: text) == (3, 2))
    }
}
