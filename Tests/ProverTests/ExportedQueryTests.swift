import Foundation
import PCIModel
import Prover
import TestSupport
import Testing
import VFIORules

/// The exported SMT-LIB2 queries are the proof: `z3` and `cvc5`, run as separate programs, give
/// every case the same answer as barproof's verdict.
///
/// Time limit: a proof or a refutation, then z3 and cvc5 on each case, 3 s on a loaded 2-core
/// machine. (A stuck solver is killed 150 s in, and the test fails naming it.)
@Suite(.timeLimit(.minutes(1))) struct ExportedQueryTests {
    /// Runs a solver executable on a script and returns its first output line, stderr's if it
    /// printed any. The runner kills a solver still running 30 s after its own 120 s limit, and
    /// the test fails naming the command line.
    func answer(_ solver: String, _ script: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try #require(FileManager.default.isExecutableFile(atPath: solver), "\(solver) missing: run `make test`")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-\(UUID().uuidString).smt2")
        try script.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try ProgramRun.run(program: URL(fileURLWithPath: solver),
                                     arguments: solver.hasSuffix("z3") ? ["-T:120", file.path] : ["--tlimit=120000", file.path],
                                     timeout: .seconds(150))
        if run.timedOut {
            Issue.record(Comment(rawValue: run.timeoutMessage), sourceLocation: sourceLocation)
            return "timed out"
        }
        // Anything on stderr (an error, a warning) comes first, so it cannot pass for an answer.
        let text = run.stderr + run.stdout
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
