import ArgumentParser
import Commands

extension Barproof {
    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain one check: its verdict, scope, assumptions and what the proof depends on, or the counterexample.",
            discussion: "Dependencies are irredundant: the proof holds under the listed clauses and assumptions alone, and "
                + "without any one of them some case of the violation is possible, or is not decided within a fixed Z3 step "
                + "limit (the same on every machine).")

        @Argument(help: "A spec file, or a spec name under Specs/.")
        var spec: String

        @Argument(help: "The check's name (its invariant unless the spec names it).")
        var check: String

        @OptionGroup var solver: SolverOptions

        func run() throws {
            try guarded(statistics: solver.statistics) {
                let explanation = try ExplainRun(spec: spec, check: check, solver: solver.settings).run()
                printOut(explanation.text)
                return explanation.exitCode
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the policies, the kernel release presets, the clause catalogue with the kernel source each clause follows, the host facts, the invariants and the assumptions.")

        func run() throws {
            printOut(CatalogueListing.text)
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
            try guarded(statistics: solver.statistics) {
                for path in try SMT2Export(spec: spec, check: check, out: out, solver: solver.settings).run() { printOut("\(path)\n") }
                return Exit.asExpected
            }
        }
    }
}
