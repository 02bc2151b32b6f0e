import Foundation
import Testing

/// Inputs nested far deeper than anyone writes them: the built binary must refuse each one with
/// exit 65 and its file:line:column, never crash in Yams' or Foundation's recursive parsers.
@Suite(.serialized, .timeLimit(.minutes(2))) struct DeepInputTests {
    static let limitMessage = "barproof reads at most 64 levels"

    @Test func aSpecOf3000NestedBlockMappingsIsBadInput() throws {
        let specs = try SpecDirectory()
        let text = "policy: mainline\n" + (0..<3000).map { String(repeating: " ", count: $0) + "k\($0):\n" }.joined()
        let path = try specs.write("deep-block", text)
        let run = try BarproofRun.run(["prove", "--jobs", "1", path, "--proofs", specs.path("proofs")])
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("\(path):66:65: error: nested 3000 levels deep at line 66 column 65; \(Self.limitMessage)"),
                "\(run.stderr)")
        #expect(run.stderr.contains("no output written"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: specs.path("proofs")).isEmpty, "something was written")
    }

    @Test func aSpecOf5000NestedFlowSequencesIsBadInput() throws {
        let specs = try SpecDirectory()
        let text = "policy: mainline\nchecks: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        let path = try specs.write("deep-flow", text)
        let run = try BarproofRun.run(["prove", "--jobs", "1", path, "--proofs", specs.path("proofs")])
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("\(path):2:72: error: nested 5001 levels deep at line 2 column 72; \(Self.limitMessage)"),
                "\(run.stderr)")
        // `search` and `explain` read specs through the same loader.
        let search = try BarproofRun.run(["search", path])
        #expect(search.status == 65 && search.stderr.contains("\(path):2:72: error: nested"), "\(search.stderr)")
    }

    /// A chain of aliases builds a tree as deep as the chain from text one level deep; freeing
    /// that tree recursed until SIGSEGV at some 100,000 links.
    @Test func aChainOfAliasesIsBounded() throws {
        let specs = try SpecDirectory()
        let text = "policy: mainline\nchecks:\n  - {invariant: page-exclusive, expect: proved}\nlinks:\n  a0: &a0 [x]\n"
            + (1..<500).map { "  a\($0): &a\($0) [*a\($0 - 1)]\n" }.joined()
        let path = try specs.write("alias-chain", text)
        let run = try BarproofRun.run(["prove", "--jobs", "1", path, "--proofs", specs.path("proofs")])
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("\(path):67:14: error: nested 65 levels deep at line 67 column 14 (through alias *a61)"),
                "\(run.stderr)")
    }

    /// Nine aliases of nine repeats: shallow, and Yams shares anchored nodes, so it is read at
    /// once and rejected for its unknown keys, without expanding 9^9 nodes.
    @Test func billionLaughsIsReadAtOnce() throws {
        let specs = try SpecDirectory()
        var text = "policy: mainline\nchecks:\n  - {invariant: page-exclusive, expect: proved}\n"
        text += "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1...9 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]\n" }
        let path = try specs.write("laughs", text)
        let run = try BarproofRun.run(["prove", "--jobs", "1", path, "--proofs", specs.path("proofs")], timeout: .seconds(60))
        #expect(run.status == 65)
        #expect(run.stderr.contains("\(path):4:1: error: unknown key 'a0' in the spec"), "\(run.stderr)")
    }

    @Test func aDeepSnapshotIsBadInput() throws {
        let specs = try SpecDirectory()
        let path = specs.path("snapshot.json")
        let text = "{\"schema\": \"barproof-snapshot/1\", \"pageSize\": 4096,\n\"devices\": " + String(repeating: "[", count: 100_000) + "\n}"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let run = try BarproofRun.run(["audit", path])
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("\(path):2:75: not a barproof snapshot or topology: nested 100001 levels deep at line 2 column 75"),
                "\(run.stderr)")
    }

    @Test func aDeepTopologyIsBadInput() throws {
        let specs = try SpecDirectory()
        let path = specs.path("topology.json")
        let text = "{\"schema\": \"barproof-topology/1\", \"counterexample\": " + String(repeating: "{\"a\": ", count: 3000) + "1"
            + String(repeating: "}", count: 3000) + "}"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let run = try BarproofRun.run(["audit", path])
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("\(path):1:"), "\(run.stderr)")
        #expect(run.stderr.contains("nested 3001 levels deep"), "\(run.stderr)")
    }

    /// A recorded proof read back by `prove` (proofs/<spec>/<check>.json) nested 5,000 deep.
    @Test func aDeepProofRecordIsBadInput() throws {
        let specs = try SpecDirectory()
        let proofs = specs.path("proofs")
        try FileManager.default.copyItem(at: BarproofRun.repository.appendingPathComponent("proofs"), to: URL(fileURLWithPath: proofs))
        let record = proofs + "/mainline/page-exclusive.json"
        let text = "{\n  \"format\": 1,\n  \"dependencies\": " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n}\n"
        try FileManager.default.removeItem(atPath: record)
        try Data(text.utf8).write(to: URL(fileURLWithPath: record))
        let run = try BarproofRun.run(["prove", "--jobs", "1", "Specs/mainline.yaml", "--proofs", proofs])
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.contains("\(record):3:82: error: not a barproof proof record: nested 5001 levels deep at line 3 column 82"),
                "\(run.stderr)")
    }
}
