import Foundation
import PCIModel
import Prover
import VFIORules

// barproof-bench: prints the time of each pair-model check. Run with `make bench` (release build).
// A machine is noisy; compare figures printed in the same run.

func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Prints a line at once (stdout to a file is block-buffered otherwise).
func say(_ items: String...) {
    FileHandle.standardOutput.write((items.joined(separator: " ") + "\n").data(using: .utf8)!)
}
let arguments = CommandLine.arguments.dropFirst()
let rounds = Int(arguments.first ?? "") ?? 5
let clock = ContinuousClock()

struct Row {
    let policy: Policy
    let invariant: Invariant
    let platform: PlatformSpec
}

var rows: [Row] = []
for policy in Policy.all {
    for invariant in Invariant.allCases {
        for page in [PageSize.kib4, .kib64] {
            rows.append(Row(policy: policy, invariant: invariant, platform: PlatformSpec(pageSizes: [page])))
        }
    }
}

say("pair-model checks, \(rounds) rounds each, fresh prover per round (median / min ms)")
for row in rows {
    var times: [Double] = []
    var name = ""
    for _ in 0..<rounds {
        let start = clock.now
        let prover = try PairProver(platform: row.platform, timeoutMilliseconds: 120_000)
        let verdict = try prover.check(row.invariant, policy: row.policy)
        times.append(milliseconds(clock.now - start))
        name = verdict.name
    }
    let label = "\(row.policy.name) \(row.invariant.rawValue) \(row.platform.label)"
    say(label.padding(toLength: 58, withPad: " ", startingAt: 0),
          name.padding(toLength: 9, withPad: " ", startingAt: 0),
          String(format: "%9.1f %9.1f", median(times), times.min() ?? .nan))
}
