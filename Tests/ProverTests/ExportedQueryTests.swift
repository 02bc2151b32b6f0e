import Foundation
import PCIModel
import Prover
import Testing
import VFIORules

/// The exported SMT-LIB2 queries are the proof: `z3` and `cvc5`, run as separate programs, give
/// every case the same answer as barproof's verdict.
@Suite struct ExportedQueryTests {
    /// Runs a solver executable on a script and returns its first output line.
    func answer(_ solver: String, _ script: String) throws -> String {
        try #require(FileManager.default.isExecutableFile(atPath: solver), "\(solver) missing: run `make test`")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-\(UUID().uuidString).smt2")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: solver)
        process.arguments = solver.hasSuffix("z3") ? ["-T:120", file.path] : ["--tlimit=120000", file.path]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = try String(contentsOf: output, encoding: .utf8)
        return text.split(separator: "\n").first.map(String.init) ?? text
    }

    @Test func provedQueriesAreUnsatInBothSolvers() throws {
        let request = CheckRequest(policy: .mainline, platform: PlatformSpec(pageSizes: [.kib64]), invariant: .pageExclusive)
        guard case .proved = try request.run() else {
            Issue.record("expected proved")
            return
        }
        let queries = try request.queries()
        #expect(queries.count == 2)
        for (name, text) in queries {
            #expect(text.contains("(set-logic QF_BV)") && text.contains("(check-sat)"))
            #expect(try answer("/usr/bin/z3", text) == "unsat", "z3 on \(name)")
            #expect(try answer("/usr/bin/cvc5", text) == "unsat", "cvc5 on \(name)")
        }
    }

    @Test func refutedQueryIsSatInBothSolvers() throws {
        let policy = try Policy.mainline.removing(["subpage-reservation"])
        let request = CheckRequest(policy: policy, platform: PlatformSpec(pageSizes: [.kib64]), invariant: .pageExclusive)
        guard case .refuted = try request.run() else {
            Issue.record("expected refuted")
            return
        }
        // The sub-page case holds the counterexample.
        let answers = try request.queries().map { (try answer("/usr/bin/z3", $0.text), try answer("/usr/bin/cvc5", $0.text)) }
        #expect(answers.contains { $0 == ("sat", "sat") })
        for (z3, cvc5) in answers { #expect(z3 == cvc5) }
    }
}
