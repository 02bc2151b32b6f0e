import Foundation
import Prover
import Reports
import SpecFiles
import VFIORules

/// `barproof explain`: one check's verdict, scope and assumptions, and what its proof depends on
/// (made irredundant) or its counterexample.
public struct ExplainRun {
    /// A spec file, or a spec name under `Specs/`.
    public var spec: String
    /// The check's name.
    public var check: String
    public var solver: SolverSettings

    public init(spec: String, check: String, solver: SolverSettings) {
        self.spec = spec
        self.check = check
        self.solver = solver
    }

    /// The explanation and the exit code of the check's status.
    public struct Explanation {
        public var lines: [String]
        public var exitCode: Int32

        /// The lines as printed.
        public var text: String { lines.joined(separator: "\n") + "\n" }
    }

    /// Decides the check (with irredundant dependencies) and explains it.
    public func run() throws -> Explanation {
        let spec = try Spec.load(path: try resolveSpecPath(self.spec))
        let check = try findCheck(self.check, in: spec)
        let result = runJobs([Job(spec: spec, check: check)], workers: 1, solver: solver, minimiseCore: true)[0]
        let verdict = try result.verdict.get()
        let outcome = CheckOutcome(location: check.location, check: check.name, invariant: check.invariant,
                                   policy: check.policy.label, platform: check.platform.label, expected: check.expect,
                                   verdict: verdict, seconds: result.seconds)
        return Explanation(lines: Self.render(outcome, check: check), exitCode: outcome.status.exitCode)
    }

    static func render(_ o: CheckOutcome, check: SpecCheck) -> [String] {
        var lines = ["\(o.name): \(o.verdict)" + (o.status == .pass ? " (as expected)" : o.status == .fail ? " (expected \(o.expected.rawValue))" : " (inconclusive, never a pass)")]
        lines.append("  spec:       \(o.location.file):\(o.location.line):\(o.location.column)")
        lines.append("  invariant:  \(check.invariant.rawValue): \(check.invariant.statement)")
        lines.append("  policy:     \(o.policy)")
        lines.append("  platform:   \(o.platform)")
        if let scope = o.scope { lines.append("  scope:      \(scope)") }
        lines.append("  assumptions: " + (check.assumptions.isEmpty ? "none" : check.assumptions.map(\.rawValue).sorted().joined(separator: ", ")))
        if let reason = o.reason { lines.append("  reason:     \(reason)") }
        if o.verdict == .proved || o.verdict == .vacuous {
            lines.append("  vacuity witness: " + (o.vacuityWitness == true ? "present (the invariant's premise can happen)" : "absent"))
            lines.append("  depends on:")
            if o.dependencies.isEmpty { lines.append("    nothing (holds under the model alone)") }
            for id in o.dependencies { lines.append("    \(id): \(describe(id, policy: check.policy))") }
        }
        if !o.counterexample.isEmpty {
            lines.append("  counterexample:")
            lines += o.counterexample.map { "    " + $0 }
            // The pair model's machine is the mapped BAR and one neighbour; the search builds a whole one.
            lines.append("  a whole machine (devices, bridges, smallest sizes) with fixtures: barproof search "
                         + "\(shellQuoted(o.location.file)) --check \(shellQuoted(check.name)) --minimize --out DIR")
        }
        lines.append(String(format: "  time:       %.2f s", o.seconds))
        return lines
    }

    /// A dependency id's summary and kernel source.
    static func describe(_ id: String, policy: Policy) -> String {
        if let clause = policy.clauses.first(where: { $0.id == id }) {
            return "\(clause.rule.summary) [\(clause.rule.source)]"
        }
        if let assumption = Assumption(rawValue: id) { return "\(assumption.summary) [\(assumption.source)]" }
        return "model fact"
    }
}
