import Foundation
import TestSupport
import Testing

// Time limit: the longest test exports every shipped query and runs z3 and cvc5 on each of about
// 65, two at a time: 45 s on an idle 2-core machine, 133 s at a load average of 5, hence the most
// allowed, 5 minutes.
@Suite(.serialized, .timeLimit(.minutes(5))) struct OtherCommandTests {
    @Test func listNamesEveryPolicyInvariantAndAssumption() throws {
        let run = try BarproofRun.run(["list"])
        #expect(run.status == 0)
        for name in ["legacy:", "rfc-v4:", "mainline:", "subpage-reservation:", "page-exclusive:", "msix-needs-filtering:",
                     "mmap-within-bar:", "natural-alignment:", "source: vfio_pci_probe_mmaps"] {
            #expect(run.stdout.contains(name), "missing \(name)")
        }
    }

    @Test func explainShowsDependenciesOrCounterexample() throws {
        let proved = try BarproofRun.run(["explain", "mainline", "msix-safe-interrupts"])
        #expect(proved.status == 0)
        #expect(proved.stdout.contains("mainline/msix-safe-interrupts: proved (as expected)"))
        #expect(proved.stdout.contains("    mainline.attach-isolated-msi: "))
        #expect(proved.stdout.contains("vacuity witness: present"))

        let refuted = try BarproofRun.run(["explain", "Specs/mainline.yaml", "msix-unsafe-interrupts"])
        #expect(refuted.status == 0)
        #expect(refuted.stdout.contains("refuted (as expected)"))
        #expect(refuted.stdout.contains("allowed by: mainline."))
        #expect(refuted.stdout.contains("MSI-X table in BAR"))
    }

    /// Every query `export-smt2` writes for the shipped specs gives the same answer in the z3 and
    /// cvc5 executables (both installed by the set-up; the test fails without them). The solvers
    /// run two at a time; each answer must be `sat` or `unsat` (a timeout or error fails).
    @Test func everyShippedQueryAgreesInZ3AndCVC5() throws {
        let specs = try SpecDirectory()
        var files: [String] = []
        for spec in ["legacy", "rfc-v4", "mainline"] {
            let run = try BarproofRun.run(["export-smt2", spec, "--out", specs.path(spec)])
            #expect(run.status == 0, "\(run.stderr)")
            files += run.stdout.split(separator: "\n").map(String.init)
        }
        #expect(files.count >= 60)
        let z3 = try #require(Self.tool("z3"), "z3 is missing: run scripts/ensure-deps.sh")
        let cvc5 = try #require(Self.tool("cvc5"), "cvc5 is missing: run scripts/ensure-deps.sh")
        let jobs = files.flatMap { [($0, z3, ["-T:300", $0]), ($0, cvc5, ["--lang=smt2", "--tlimit=300000", $0])] }
        let answers = Answers()
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for (index, job) in jobs.enumerated() where index % 2 == worker {
                let run = try? Self.run(job.1, job.2)
                if let run, run.timedOut { answers.timedOut(run.timeoutMessage) }
                answers.set(index, run.map(Self.answer) ?? "error")
            }
        }
        // Recorded here, on the test's own task: the worker threads do not know the current test.
        for message in answers.timeouts { Issue.record(Comment(rawValue: message)) }
        var byCheck: [String: [String]] = [:]
        for (index, file) in files.enumerated() {
            let z3Answer = answers.get(2 * index), cvc5Answer = answers.get(2 * index + 1)
            #expect(["sat", "unsat"].contains(z3Answer), "\(file): z3 said \(z3Answer)")
            #expect(z3Answer == cvc5Answer, "\(file): z3 \(z3Answer), cvc5 \(cvc5Answer)")
            // `<folder>/<spec>/<check>.<page>-case<n>.smt2`
            let url = URL(fileURLWithPath: file)
            let check = String(url.lastPathComponent.prefix { $0 != "." })
            byCheck[url.deletingLastPathComponent().lastPathComponent + "/" + check, default: []].append(z3Answer)
        }
        // The exact bit-vector queries agree with the recorded verdicts, which the prover may have
        // reached through its relaxations: a proof (or a vacuous check) has every case unsat, a
        // refutation some case sat.
        #expect(byCheck.count == 13)
        for (check, caseAnswers) in byCheck {
            let record = BarproofRun.repository.appendingPathComponent("proofs/\(check).json")
            let data = try Data(contentsOf: record)
            let verdict = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["verdict"] as? String)
            if verdict == "refuted" {
                #expect(caseAnswers.contains("sat"), "\(check) is recorded refuted but no exported case is sat")
            } else {
                #expect(caseAnswers.allSatisfy { $0 == "unsat" }, "\(check) is recorded \(verdict) but a case is \(caseAnswers)")
            }
        }
    }

    final class Answers: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int: String] = [:]
        private var timeoutMessages: [String] = []
        func set(_ index: Int, _ value: String) { lock.lock(); values[index] = value; lock.unlock() }
        func get(_ index: Int) -> String { lock.lock(); defer { lock.unlock() }; return values[index] ?? "missing" }
        func timedOut(_ message: String) { lock.lock(); timeoutMessages.append(message); lock.unlock() }
        var timeouts: [String] { lock.lock(); defer { lock.unlock() }; return timeoutMessages }
    }

    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a solver through the shared runner. Its deadline is the solvers' own limit (300 s,
    /// `-T:300` and `--tlimit=300000`) and half a minute: a solver past its own limit is stuck.
    static func run(_ tool: String, _ arguments: [String]) throws -> ProgramRun {
        try ProgramRun.run(program: URL(fileURLWithPath: tool), arguments: arguments, timeout: .seconds(330))
    }

    /// The first line the solver printed (`sat`, `unsat`, ...); a killed run answers "timed out".
    static func answer(_ run: ProgramRun) -> String {
        if run.timedOut { return "timed out" }
        return run.stdout.split(separator: "\n").first.map(String.init) ?? ""
    }
}
