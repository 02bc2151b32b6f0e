import Foundation
import Testing
import PCIModel

/// The nesting scan that keeps deep documents away from Yams and Foundation's JSON decoder.
@Suite(.timeLimit(.minutes(2))) struct NestingLimitTests {
    static let limit = NestingLimit.maximumDepth

    /// `k0:\n k1:\n  k2:\n...`: `count` block mappings, each one column deeper.
    static func blockMappings(_ count: Int) -> String {
        (0..<count).map { String(repeating: " ", count: $0) + "k\($0):\n" }.joined()
    }

    static func exceeded(_ check: () throws(NestingLimit.Exceeded) -> Void) -> NestingLimit.Exceeded? {
        do { try check() } catch { return error }
        return nil
    }

    // MARK: Block collections

    @Test func blockMappingsAtTheLimitPass() throws {
        let text = Self.blockMappings(Self.limit)
        #expect(NestingLimit.yamlDepth(text) == Self.limit)
        try NestingLimit.checkYAML(text)
    }

    @Test func blockMappingsOverTheLimitFailWhereTheyCrossIt() throws {
        let error = try #require(Self.exceeded { () throws(NestingLimit.Exceeded) in
            try NestingLimit.checkYAML(Self.blockMappings(3000))
        })
        #expect(error.depth == 3000)
        #expect(error.line == 65 && error.column == 65)
        #expect(error.message == "nested 3000 levels deep at line 65 column 65; barproof reads at most 64 levels: flatten the document")
    }

    @Test func blockSequencesAndCompactForms() throws {
        // `- ` on lines of their own, and `- - -` on one line: a sequence per indicator.
        let lines = (0..<10).map { String(repeating: " ", count: 2 * $0) + "-\n" }.joined()
        #expect(NestingLimit.yamlDepth(lines) == 10)
        let compact = String(repeating: "- ", count: Self.limit) + "x\n"
        #expect(NestingLimit.yamlDepth(compact) == Self.limit)
        try NestingLimit.checkYAML(compact)
        let deeper = String(repeating: "- ", count: Self.limit + 1) + "x\n"
        let error = try #require(Self.exceeded { () throws(NestingLimit.Exceeded) in try NestingLimit.checkYAML(deeper) })
        #expect(error.line == 1 && error.column == 2 * Self.limit + 1)
        // `? ` complex keys and `- key:` compact mappings nest too.
        #expect(NestingLimit.yamlDepth("? ? ? a\n") == 3)
        #expect(NestingLimit.yamlDepth("- a: - b\n") >= 2)
        #expect(NestingLimit.yamlDepth("- a:\n    - b: c\n") == 4)
    }

    @Test func aSequenceAtItsMappingsIndentationIsALevel() {
        #expect(NestingLimit.yamlDepth("key:\n- a\n- b\nother: 1\n") == 2)
        #expect(NestingLimit.yamlDepth("key:\n- a: [b]\n") == 4)
    }

    // MARK: Flow collections

    @Test func flowCollectionsAtAndOverTheLimit() throws {
        let atLimit = "a: " + String(repeating: "[", count: Self.limit - 1) + String(repeating: "]", count: Self.limit - 1) + "\n"
        #expect(NestingLimit.yamlDepth(atLimit) == Self.limit)
        try NestingLimit.checkYAML(atLimit)
        let flow = "checks: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        let error = try #require(Self.exceeded { () throws(NestingLimit.Exceeded) in try NestingLimit.checkYAML(flow) })
        #expect(error.depth == 5001)
        #expect(error.line == 1 && error.column == 9 + Self.limit - 1)
        let mappings = "k: " + String(repeating: "{a: ", count: 70) + "b" + String(repeating: "}", count: 70)
        #expect(NestingLimit.yamlDepth(mappings) == 71)
    }

    @Test func aPairInAFlowSequenceIsAMappingAroundItsKey() {
        // `[a: b]` is a sequence holding a one-pair mapping; `[[x]: y]` wraps the key too.
        #expect(NestingLimit.yamlDepth("k: [a: b]") == 3)
        #expect(NestingLimit.yamlDepth("k: [[[x]]: y]") == 5)
        #expect(NestingLimit.yamlDepth("k: [a: [b: [c]]]") == 6)
        #expect(NestingLimit.yamlDepth("k: {a: b}") == 2)
        // A flow collection first on a line might be a key (`[x]: y`): the scan counts the
        // mapping that would open around it until the line shows it is not.
        #expect(NestingLimit.yamlDepth("[x]: y") == 2)
        #expect(NestingLimit.yamlDepth("[x]") == 2)
    }

    @Test func mixedBlockAndFlow() {
        let text = """
            platform:
              page_sizes: [4K, [64K, {a: [b]}]]
            checks:
              - invariant: page-exclusive
                search: {devices: [1, [2]]}
            """
        #expect(NestingLimit.yamlDepth(text) == 6)
    }

    // MARK: What does not nest

    @Test func bracketsInQuotesCommentsAndPlainScalarsDoNotCount() throws {
        let many = String(repeating: "[{", count: 500)
        for text in [
            "a: '\(many)'\n", "a: 'it''s \(many)'\n", "a: \"\\\"\(many)\\\\\"\n",
            "a: \"line one\n  \(many)\n  line three\"\n", "a: 'one\n\n  \(many)'\n",
            "# \(many)\na: 1 # \(many)\n", "a: w\(many)\n", "a: foo\n  \(many) continued\n",
            "- [\"\(many)\", '\(many)']\n", "a: !tag'x \"\(many)\"\n",
        ] {
            #expect(NestingLimit.yamlDepth(text) <= 3, "\(text.prefix(40))")
            try NestingLimit.checkYAML(text)
        }
    }

    @Test func blockScalarContentIsSkipped() throws {
        let content = (0..<200).map { String(repeating: " ", count: 2 + $0 % 3) + "- [ { k: \($0)\n" }.joined()
        for header in ["|", ">", "|-", ">+", "|2", "|2-", "| # comment [["] {
            let text = "a: \(header)\n\(content)b: 1\n"
            #expect(NestingLimit.yamlDepth(text) == 1, "\(header)")
            try NestingLimit.checkYAML(text)
        }
        // The content ends at a line indented no deeper than the key: what follows counts.
        #expect(NestingLimit.yamlDepth("a: |\n  text [\nb:\n  c: [d]\n") == 3)
        // In a sequence the content must be deeper than the dash; blank lines stay inside.
        #expect(NestingLimit.yamlDepth("- |\n   x [[\n\n   y {{\n- z\n") == 1)
    }

    @Test func documentMarkersAndDirectivesReset() {
        #expect(NestingLimit.yamlDepth("%YAML 1.1\n---\na:\n  b: 1\n...\n") == 2)
        #expect(NestingLimit.yamlDepth("a:\n b:\n  c:\n---\nd: 1\n") == 3)
    }

    // MARK: Aliases

    @Test func anAliasIsAsDeepAsItsAnchoredNode() {
        #expect(NestingLimit.yamlDepth("a: &a [[x]]\nb: [[*a]]\n") == 5)
        #expect(NestingLimit.yamlDepth("a: &a x\nb: [[*a]]\n") == 3)
        #expect(NestingLimit.yamlDepth("base: &p\n  x: [1]\nuse:\n  - *p\n  - *p\n") == 4)
        #expect(NestingLimit.yamlDepth("base: &p [[1]]\nuse:\n  - *p : v\n") == 5)
    }

    /// `a1: &a1 [*a0]`, `a2: &a2 [*a1]`, ...: one level of text, a tree as deep as the chain.
    @Test func anAliasChainIsBounded() throws {
        let chain = "a0: &a0 [x]\n" + (1..<200).map { "a\($0): &a\($0) [*a\($0 - 1)]\n" }.joined()
        let error = try #require(Self.exceeded { () throws(NestingLimit.Exceeded) in try NestingLimit.checkYAML(chain) })
        #expect(error.alias == "a62")
        #expect(error.line == 64 && error.column == 12)
        #expect(error.message.contains("(through alias *a62)"))
    }

    /// Billion laughs: nine aliases of nine repeats each, shallow, so it passes; Yams shares
    /// each anchored node instead of copying it, so composing it is linear.
    @Test func billionLaughsIsShallow() throws {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]\n" }
        #expect(NestingLimit.yamlDepth(text) == 11)
        try NestingLimit.checkYAML(text)
    }

    // MARK: Positions

    @Test func columnsCountCharactersAndLinesEveryBreak() throws {
        let text = "é: " + String(repeating: "[", count: 80)
        let error = try #require(Self.exceeded { () throws(NestingLimit.Exceeded) in try NestingLimit.checkYAML(text) })
        #expect(error.line == 1 && error.column == 3 + Self.limit)
        let crlf = Self.blockMappings(70).replacingOccurrences(of: "\n", with: "\r\n")
        let second = try #require(Self.exceeded { () throws(NestingLimit.Exceeded) in try NestingLimit.checkYAML(crlf) })
        #expect(second.line == 65 && second.column == 65)
    }

    @Test func everyShippedSpecIsShallow() throws {
        let specs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Specs")
        let files = try FileManager.default.contentsOfDirectory(atPath: specs.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 3)
        for file in files {
            let text = try String(contentsOf: specs.appendingPathComponent(file), encoding: .utf8)
            #expect(NestingLimit.yamlDepth(text) <= 6, "\(file)")
        }
    }

    // MARK: JSON

    @Test func jsonAtAndOverTheLimit() throws {
        let atLimit = Array((String(repeating: "[", count: Self.limit) + String(repeating: "]", count: Self.limit)).utf8)
        #expect(NestingLimit.jsonDepth(atLimit) == Self.limit)
        try NestingLimit.checkJSON(atLimit)
        let deep = Array(("{\"schema\": \"x\",\n \"devices\": " + String(repeating: "[", count: 100_000)).utf8)
        let error = try #require(Self.exceeded { () throws(NestingLimit.Exceeded) in try NestingLimit.checkJSON(deep) })
        #expect(error.depth == 100_001)
        #expect(error.line == 2 && error.column == 13 + Self.limit - 1)
    }

    @Test func jsonStringsDoNotNest() throws {
        let text = "{\"a\": \"[[[[{{{{ \\\" [[[[\", \"b\": [\"]]]]\", {\"c\": \"\\\\\"}]}"
        #expect(NestingLimit.jsonDepth(Array(text.utf8)) == 3)
        let many = "{\"a\": \"" + String(repeating: "[", count: 1000) + "\"}"
        try NestingLimit.checkJSON(Array(many.utf8))
    }
}
