import ArgumentParser
import Foundation
import Prover
import Reports
import SpecFiles
import VFIORules

/// Finds a spec by path, or by name under `Specs/`.
func resolveSpecPath(_ argument: String) throws -> String {
    if FileManager.default.fileExists(atPath: argument) { return argument }
    let directory = FileManager.default.currentDirectoryPath
    // A path (a slash or a .yaml/.yml ending) is only ever a file; a bare name may be Specs/<name>.yaml.
    if argument.contains("/") || argument.hasSuffix(".yaml") || argument.hasSuffix(".yml") {
        throw UsageError(message: "no spec file '\(argument)' (relative paths are read from \(directory))")
    }
    for candidate in ["Specs/\(argument).yaml", "Specs/\(argument).yml"] where FileManager.default.fileExists(atPath: candidate) {
        return candidate
    }
    throw UsageError(message: "no spec '\(argument)': neither a file nor Specs/\(argument).yaml under \(directory)")
}

/// The check of `spec` named `name`, or a usage error suggesting the nearest name.
func findCheck(_ name: String, in spec: Spec) throws -> SpecCheck {
    if let check = spec.checks.first(where: { $0.name == name }) { return check }
    throw UsageError(message: "spec \(spec.name) has no check '\(name)'"
                     + NameSuggestion.hint(for: name, among: spec.checks.map(\.name)))
}

extension Barproof {
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain one check: its verdict, scope, assumptions and what the proof depends on, or the counterexample.",
            discussion: "Dependencies are minimised: dropping any one listed clause or assumption breaks the proof of some case.")

        @Argument(help: "A spec file, or a spec name under Specs/.")
        var spec: String

        @Argument(help: "The check's name (its invariant unless the spec names it).")
        var check: String

        @OptionGroup var solver: SolverOptions

        func run() throws {
            try guarded {
                let spec = try Spec.load(path: try resolveSpecPath(self.spec))
                let check = try findCheck(self.check, in: spec)
                let result = runJobs([Job(spec: spec, check: check)], workers: 1, solver: solver, minimiseCore: true)[0]
                let verdict = try result.verdict.get()
                let outcome = CheckOutcome(location: check.location, check: check.name, invariant: check.invariant,
                                           policy: check.policy.label, platform: check.platform.label, expected: check.expect,
                                           verdict: verdict, seconds: result.seconds)
                printOut(Self.render(outcome, check: check).joined(separator: "\n") + "\n")
                switch outcome.status {
                case .pass: return Exit.asExpected
                case .fail: return Exit.missed
                case .unknown: return Exit.inconclusive
                }
            }
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

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the policies, the kernel release presets, the clause catalogue with the kernel source each clause follows, the host facts, the invariants and the assumptions.")

        func run() throws {
            var lines: [String] = ["Policies"]
            for policy in Policy.all {
                lines.append("  \(policy.name): \(policy.summary)")
                lines.append("    clauses: \(policy.clauses.map(\.shortName).joined(separator: ", "))")
            }
            lines.append("")
            lines.append("Kernel releases (a spec's `kernel: \"4.19\"`, `audit --kernel 4.19`: the preset covering it)")
            for release in KernelRelease.all {
                let trees = release.trees.isEmpty ? "no tree read" : "read in " + release.trees.joined(separator: ", ")
                lines.append("  \(release.name) (\(release.range), policy \(release.policy.name); \(trees)): \(release.summary)")
                lines.append("    clauses: \(release.rules.map(\.rawValue).joined(separator: ", "))")
            }
            lines.append("")
            lines.append("Kernel features (a spec's `features: {NAME: yes|no}` on a `kernel:` preset, for backports and patched kernels)")
            for feature in KernelFeature.all {
                let has = KernelRelease.all.filter { feature.isIn($0.policy) }.map(\.name)
                lines.append("  \(feature.name) (since \(feature.since)): \(feature.summary)")
                lines.append("    replaces \(feature.before.map(\.rawValue).joined(separator: " or "))"
                             + (feature.after.isEmpty ? "" : " with \(feature.after.map(\.rawValue).joined(separator: ", "))")
                             + "; presets with it: \(has.joined(separator: ", "))")
            }
            lines.append("")
            lines.append("Clause catalogue (a spec's `add:` or `audit --add` adds any of them to a policy)")
            for rule in Rule.allCases {
                lines.append("  \(rule.rawValue): \(rule.summary)")
                lines.append("    source: \(rule.source)")
                if !rule.reads.isEmpty {
                    lines.append("    reads: \(HostFact.allCases.filter(rule.reads.contains).map(\.rawValue).joined(separator: ", "))")
                }
            }
            lines.append("")
            lines.append("Host facts (a spec's platform key in snake case, `audit --host-fact NAME=yes|no`; open by default)")
            for fact in HostFact.allCases {
                lines.append("  \(fact.rawValue): \(fact.text(true)) / \(fact.text(false))")
            }
            lines.append("")
            lines.append("Invariants")
            for invariant in Invariant.allCases {
                lines.append("  \(invariant.rawValue): \(invariant.statement)")
            }
            lines.append("")
            lines.append("Assumptions (default: \(Assumption.defaults.map(\.rawValue).joined(separator: ", ")))")
            for assumption in Assumption.allCases {
                lines.append("  \(assumption.rawValue): \(assumption.summary)")
                lines.append("    source: \(assumption.source)")
            }
            printOut(lines.joined(separator: "\n") + "\n")
        }
    }

    struct ExportSMT2: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-smt2",
            abstract: "Write the exact SMT-LIB2 queries of a spec's checks; each is unsat exactly when that case is proved.",
            discussion: "The files are written together: after a failure (exit 73 or 74) none of them has changed.")

        @Argument(help: "A spec file, or a spec name under Specs/.")
        var spec: String

        @Argument(help: "Only this check (default: every check of the spec).")
        var check: String?

        @Option(help: "Directory to write <check>.<page>-case<n>.smt2 files into.")
        var out: String

        @OptionGroup var solver: SolverOptions

        func run() throws {
            try guarded {
                let spec = try Spec.load(path: try resolveSpecPath(self.spec))
                let checks = try check.map { [try findCheck($0, in: spec)] } ?? spec.checks
                var files: [(name: String, data: Data)] = []
                for check in checks {
                    let request = check.request(solver)
                    for query in try request.queries() {
                        files.append(("\(check.name).\(query.name).smt2", Data(query.text.utf8)))
                    }
                }
                // All of them or none: a new folder is built aside and renamed into place; into an
                // existing one the files are staged, then renamed in together (the old ones kept
                // until all are in). A signal waits for the renames.
                try OutputFiles.checkCanCreate(in: out)
                var status = stat()
                try RunControl.critical {
                    if stat(out, &status) != 0 && errno == ENOENT {
                        try OutputFiles.writeFolder(Dictionary(files.map { ($0.name, Array($0.data)) }, uniquingKeysWith: { $1 }),
                                                    to: out, replacing: { _ in "it appeared while barproof was writing" })
                    } else {
                        try OutputFiles.write(files.map { ("\(out)/\($0.name)", $0.data) })
                    }
                }
                for file in files { printOut("\(out)/\(file.name)\n") }
                return Exit.asExpected
            }
        }
    }
}
