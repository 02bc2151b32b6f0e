import ArgumentParser
import Commands
import PCIModel

extension Barproof {
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search bounded machines for counterexample topologies and write them out as fixtures.",
            discussion: """
                For each check (or the one named with --check), searches machines within the spec's \
                'search' bounds for placements on which the policy grants an mmap that breaks the \
                invariant. Counterexamples are re-checked with the concrete rules; with --out each is \
                written as a fixture folder (topology.json, a sysfs tree, memory-map.svg, README.md) \
                and read back through the audit importers before it is reported. When the pair model \
                proves the invariant for all topologies, no machine within the bounds can break it, \
                and the search says so without searching (--exhaustive searches the bounds anyway). \
                Exit: 0 when the outcome matches the check's expectation (counterexamples for \
                'refuted', none for 'proved'/'vacuous'), 1 when it does not, 2 when inconclusive.
                """)

        @Argument(help: "A spec file, or a spec name under Specs/.")
        var spec: String

        @Option(name: .customLong("check"), help: "Search only this check (its name; default: every check).")
        var checkName: String?

        @Option(help: "Up to this many counterexamples per check, with pairwise different views.")
        var max: Int = 1

        @Flag(help: "Minimise each counterexample: fewest devices, fewest BARs, smallest sizes, lowest addresses.")
        var minimize = false

        @Option(help: "Write one fixture folder per counterexample under this directory.")
        var out: String?

        @Flag(help: "For each counterexample, a mitigation (a pci=resource_alignment= value or a clause) with a proof that it holds on that machine.")
        var suggest = false

        @Option(help: "Lines in each fixture's sysfs 'resource' file: 13 (a kernel with CONFIG_PCI_IOV, as distributions build) or 7 (without).")
        var resourceLines: ResourceLinesOption = .thirteen

        @Flag(help: "Search the bounds themselves: no pair-model proof that no counterexample exists, nor that further views cannot.")
        var exhaustive = false

        @Option(help: "Output format: text or json.")
        var format: SearchFormat = .text

        @OptionGroup var solver: SolverOptions

        func validate() throws {
            if max < 1 { throw ValidationError("--max must be at least 1") }
        }

        func run() throws {
            try guarded(statistics: solver.statistics) {
                let outcome = try SearchRun(spec: spec, checkName: checkName, max: max, minimize: minimize, out: out, suggest: suggest,
                                            resourceLines: resourceLines.layout, exhaustive: exhaustive, solver: solver.settings).run()
                switch format {
                case .text: printOut(outcome.text)
                case .json: printOut(try outcome.json())
                }
                return outcome.exitCode
            }
        }
    }
}

enum SearchFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `--resource-lines 7|13`.
enum ResourceLinesOption: String, ExpressibleByArgument, CaseIterable {
    case seven = "7", thirteen = "13"

    var layout: Topology.ResourceLines { self == .seven ? .withoutIOV : .withIOV }
}
