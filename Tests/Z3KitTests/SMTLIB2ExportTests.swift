import Foundation
import TestSupport
import Testing
import Z3Kit

/// Exported SMT-LIB2 must be self-contained and give the same answer in the real `z3` and `cvc5`
/// executables. The set-up (`make test`, scripts/ensure-deps.sh) installs both.
///
/// Time limit: each test case runs one solver at most three times, in milliseconds. (A stuck solver
/// is killed 90 s in, and the test fails naming it.)
@Suite("SMT-LIB2 export re-checked by the z3 and cvc5 executables", .timeLimit(.minutes(1)))
struct SMTLIB2ExportTests {
    /// The lemma of `LemmaProofTests`, negated: unsat.
    private func proofSolver(_ context: Context) throws -> Solver {
        // Names that need quoting in SMT-LIB2, to check the printer quotes them for both solvers.
        let start = try context.bitVectorConstant("bar 0 start", width: 64)
        let size = try context.bitVectorConstant("0size", width: 64)
        let solver = try Solver(context)
        try solver.assert(context.isPowerOfTwo(size))
        try solver.assert(context.isAligned(start, to: size))
        try solver.assert(size >= context.bv64(64 * kib))
        try solver.assert(start.addsWithoutOverflow(size))
        try solver.assert(!context.isAligned(start, to: 64 * kib))
        return solver
    }

    /// The false claim of `CounterexampleTests`, negated: sat.
    private func refutationSolver(_ context: Context) throws -> Solver {
        let a = try context.bitVectorConstant("a", width: 64)
        let b = try context.bitVectorConstant("b", width: 64)
        let solver = try Solver(context)
        try solver.assert(context.isAligned(a, to: 4 * kib))
        try solver.assert(context.isAligned(b, to: 4 * kib))
        try solver.assert(a.addsWithoutOverflow(context.bv64(4 * kib)))
        try solver.assert(a != b)
        try solver.assert((a >> context.bv64(16)) == (b >> context.bv64(16)))
        return solver
    }

    @Test("a proof exports as unsat for Z3 in-process, z3 and cvc5", arguments: ExternalSolver.all)
    func proofExport(_ tool: ExternalSolver) async throws {
        let context = Context()
        let solver = try proofSolver(context)
        #expect(Verdict(try solver.check()) == .unsat(core: []))
        let script = try solver.smtlib2(comments: ["lemma: pow2 size >= 64 KiB, start aligned to size => start 64 KiB-aligned"])
        let run = try await tool.check(script)
        #expect(run.answer == "unsat", "\(tool.name): \(run)")
        #expect(run.warnings.isEmpty, "\(tool.name) warned: \(run.warnings)")
    }

    @Test("a refutation exports as sat for Z3 in-process, z3 and cvc5", arguments: ExternalSolver.all)
    func refutationExport(_ tool: ExternalSolver) async throws {
        let context = Context()
        let solver = try refutationSolver(context)
        #expect(Verdict(try solver.check()) == .sat)
        let run = try await tool.check(try solver.smtlib2())
        #expect(run.answer == "sat", "\(tool.name): \(run)")
        #expect(run.warnings.isEmpty, "\(tool.name) warned: \(run.warnings)")
    }

    @Test("assumptions passed as extra formulas are part of the exported query", arguments: ExternalSolver.all)
    func exportWithExtraFormulas(_ tool: ExternalSolver) async throws {
        let context = Context()
        let start = try context.bitVectorConstant("start", width: 64)
        let solver = try Solver(context)
        try solver.assert(start >= context.bv64(0x1000))
        let below = try start < context.bv64(0x1000)
        #expect(try await tool.check(solver.smtlib2()).answer == "sat")
        #expect(try await tool.check(solver.smtlib2(extra: [below])).answer == "unsat")
        #expect(try SMTLIB2.script(context, formulas: []).contains("(check-sat)"))
        #expect(try await tool.check(SMTLIB2.script(context, formulas: [])).answer == "sat")
    }

    // Regression: Z3_benchmark_to_smtlib_string left `0size` unquoted; z3 and cvc5 both rejected it.
    @Test("names that need quoting are written so that z3 and cvc5 read them", arguments: ExternalSolver.all)
    func awkwardNames(_ tool: ExternalSolver) async throws {
        let context = Context()
        let names = ["0size", "0000:01:00.0 BAR0 start", "é", "x!1", "a\"b", "#x1", "bv5", "Bool", "two\nlines"]
        let solver = try Solver(context)
        var constants: [BitVector] = []
        for (index, name) in names.enumerated() {
            let constant = try context.bitVectorConstant(name, width: 8)
            constants.append(constant)
            try solver.assert(constant == context.bitVector(UInt64(index), width: 8))
        }
        let script = try solver.smtlib2()
        #expect(script.contains("|0size|"))
        let run = try await tool.check(script)
        #expect(run.answer == "sat", "\(tool.name): \(run)\n\(script)")
        let contradiction = try constants[0] == constants[1]
        #expect(try await tool.check(solver.smtlib2(extra: [contradiction])).answer == "unsat")
    }

    /// `SMTLIB2Printer` prints a formula shared by several scripts once; each script still
    /// declares every constant its formulas read (once), and answers as the script of the same
    /// formulas does. Negative control: the second script without the shared facts is sat.
    @Test("scripts sharing formulas are each self-contained and answer as the plain export", arguments: ExternalSolver.all)
    func sharedFormulas(_ tool: ExternalSolver) async throws {
        let context = Context()
        let start = try context.bitVectorConstant("start", width: 64)
        let size = try context.bitVectorConstant("0size", width: 64)
        let other = try context.bitVectorConstant("other", width: 64)
        let facts = try context.and([context.isPowerOfTwo(size), context.isAligned(start, to: size),
                                     size >= context.bv64(64 * kib), start.addsWithoutOverflow(size)])
        let first = try !context.isAligned(start, to: 64 * kib)
        let second = try (other == start) && !context.isAligned(other, to: 4 * kib)
        let printer = SMTLIB2Printer(context)
        for (case_, answer) in [(first, "unsat"), (second, "unsat")] {
            let shared = try printer.script(formulas: [facts, case_])
            let plain = try SMTLIB2.script(context, formulas: [facts, case_])
            #expect(try await tool.check(shared).answer == answer, "\(tool.name):\n\(shared)")
            #expect(try await tool.check(plain).answer == answer)
            let declarations = shared.split(separator: "\n").filter { $0.hasPrefix("(declare-fun") }
            #expect(Set(declarations).count == declarations.count, "a constant declared twice:\n\(shared)")
            #expect(Set(declarations) == Set(plain.split(separator: "\n").filter { $0.hasPrefix("(declare-fun") }))
        }
        #expect(try await tool.check(printer.script(formulas: [second])).answer == "sat")
    }

    @Test("the script is self-contained: comments, set-logic before declarations, check-sat last")
    func scriptShape() throws {
        let context = Context()
        let solver = try proofSolver(context)
        let script = try solver.smtlib2(comments: ["first line", "two\nlines"])
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(lines.prefix(4)) == ["; first line", "; two", "; lines", "(set-logic QF_BV)"])
        let logic = try #require(lines.firstIndex(of: "(set-logic QF_BV)"))
        let firstDeclaration = try #require(lines.firstIndex { $0.hasPrefix("(declare-fun") })
        #expect(logic < firstDeclaration)
        #expect(lines.filter { $0 == "(set-logic QF_BV)" }.count == 1)
        #expect(lines.last(where: { !$0.isEmpty }) == "(check-sat)")
        #expect(script.hasSuffix("\n"))
        #expect(script.contains("|bar 0 start|"))
        // Every non-comment line is SMT-LIB2 (a comment must not leak a bare line into the script).
        #expect(lines.allSatisfy { $0.isEmpty || $0.hasPrefix(";") || $0.hasPrefix("(") || $0.hasPrefix(" ") })
    }

    @Test("the z3 CLI's own counterexample for an exported refutation holds in Swift arithmetic")
    func cliCounterexample() async throws {
        let context = Context()
        let solver = try refutationSolver(context)
        let script = try solver.smtlib2() + "(get-value (a b))\n"
        let run = try await ExternalSolver.z3.check(script)
        #expect(run.answer == "sat")
        // The CLI's own counterexample, re-checked in Swift.
        let values = run.output.matches(of: /#x([0-9a-f]{16})/).compactMap { UInt64($0.1, radix: 16) }
        try #require(values.count == 2, "no values in: \(run.output)")
        #expect(values[0] != values[1] && values[0] >> 16 == values[1] >> 16)
        #expect(values[0] & 0xFFF == 0 && values[1] & 0xFFF == 0)
    }
}

/// A command-line SMT solver run on a script, with a time limit of its own and a hard kill.
struct ExternalSolver: Sendable, CustomTestStringConvertible {
    let name: String
    let path: String
    let arguments: [String]

    static let z3 = ExternalSolver(name: "z3", path: "/usr/bin/z3", arguments: ["-smt2", "-T:60"])
    static let cvc5 = ExternalSolver(name: "cvc5", path: "/usr/bin/cvc5", arguments: ["--lang=smt2", "--tlimit=60000"])
    static let all = [z3, cvc5]

    var testDescription: String { name }

    struct Run: CustomStringConvertible {
        let status: Int32
        let output: String
        let errors: String
        /// The first line of output: `sat`, `unsat` or `unknown`.
        var answer: String { output.split(separator: "\n").first.map(String.init) ?? "" }
        /// Lines of either stream that mention a warning (cvc5 warns about a missing logic).
        var warnings: [String] {
            (output + "\n" + errors).split(separator: "\n").map(String.init)
                .filter { $0.localizedCaseInsensitiveContains("warning") }
        }
        var description: String { "status \(status), stdout: \(output) stderr: \(errors)" }
    }

    /// Writes `script` to a file and runs the solver on it; kills it after `timeout`.
    func check(_ script: String, timeout: Duration = .seconds(90)) async throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: path),
                     "\(path) is missing: run `make test` (scripts/ensure-deps.sh installs z3 and cvc5)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("z3kit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("query.smt2")
        try script.write(to: input, atomically: true, encoding: .utf8)
        // The shared runner: output to files (a chatty solver cannot block on a full pipe), SIGTERM
        // at the deadline and SIGKILL soon after.
        let run = try ProgramRun.run(program: URL(fileURLWithPath: path), arguments: arguments + [input.path], timeout: timeout)
        if run.timedOut { Issue.record(Comment(rawValue: "\(name): \(run.timeoutMessage)")) }
        return Run(status: run.status, output: run.stdout, errors: run.stderr)
    }
}
