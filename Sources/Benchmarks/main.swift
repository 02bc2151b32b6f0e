import Audit
import Foundation
import PCIModel
import Prover
import Reports
import SpecFiles
import VFIORules

// barproof-bench: the time of each pair-model check, in a release build (`make bench`).
// Machines are noisy: every figure is compared with a baseline measured in the same run.
// Usage: barproof-bench [ROUNDS] [--no-baseline]
//        barproof-bench audit [ROUNDS]   (host audit of 1,000 and 10,000 synthetic functions, baseline 100; a fleet of 1,000 snapshots, baseline 100)
//        barproof-bench search [ROUNDS]  (time to the first counterexample for N = 2, 4, 8, 16 devices)
//        barproof-bench dependencies [ROUNDS]  (each shipped check: prove against prove --record, alone against explain)
//        barproof-bench specs [ROUNDS] [--alone] [DIR...]  (every check of the shipped specs as `prove` runs
//                                                 it, one at a time; default Specs and Specs/kernels; --alone:
//                                                 nothing shared with the checks before)
//        barproof-bench audit-step decode|load|audit|encode  (one step of a fleet host, 300 times, to profile)
//        barproof-bench fleet-files DIR N      (writes N copies of the 100-function snapshot, to time `barproof audit DIR/*.json`)
//        barproof-bench audit-overlap [ROUNDS]  (host audit of 400 and 2,000 functions sharing one range,
//                                                baseline 2,000 distinct; time and peak memory)

/// Prints a line at once (stdout to a file is block-buffered otherwise).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// A sysfs tree held in memory (the synthetic host's files), to take snapshots of.
struct MemoryFiles: SysfsFiles {
    var files: [String: [UInt8]]
    var links: [String: String]
    func contents(of path: String) throws -> [UInt8]? { files[path] }
    func linkTarget(of path: String) -> String? { links[path] }
    func entries(of path: String) throws -> [String]? {
        let prefix = path + "/"
        let names = Set(files.keys.filter { $0.hasPrefix(prefix) }.compactMap { $0.dropFirst(prefix.count).split(separator: "/").first.map(String.init) })
        return names.isEmpty ? nil : names.sorted()
    }
}

func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func column(_ s: String, _ width: Int) -> String { s.padding(toLength: width, withPad: " ", startingAt: 0) }
func number(_ x: Double) -> String { String(format: "%9.1f", x) }

let arguments = Array(CommandLine.arguments.dropFirst())
let rounds = arguments.compactMap { Int($0) }.first ?? 3
let withBaseline = !arguments.contains("--no-baseline")
let clock = ContinuousClock()

/// The load average now (1, 5 and 15 minutes), printed with every figure: these machines are shared.
func loadAverage() -> String {
    let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}
// `audit-case` is a child of `audit-overlap`, whose one line of output is parsed.
let isChild = arguments.first == "audit-case"
if !isChild { say("barproof-bench \(arguments.joined(separator: " ")): load average \(loadAverage()) at the start") }
/// Ends a mode, with the load average it ran under.
func finish() -> Never {
    say("load average \(loadAverage()) at the end")
    exit(0)
}

// One step of a fleet host, 300 times, for a profiler: `perf record barproof-bench audit-step encode`.
if arguments.first == "audit-step" {
    let rendered = HostInventory.syntheticFiles(functions: 100)
    let snapshot = try Snapshot.capture(from: MemoryFiles(files: rendered.files, links: rendered.links), pageSize: 65536, commandLine: "")
    let files = try JSONDecoder().decode(Snapshot.self, from: try JSONOutput.encode(snapshot))
    let host = try HostInventory.load(from: files)
    let report = try HostAudit.run(host, overrides: AuditOverrides(policy: .mainline, policySource: "x", msiIsolation: .yes), defaultPageSize: .kib64, name: "host").report
    let data = try JSONOutput.encode(snapshot)
    let what = arguments.count > 1 ? arguments[1] : "encode"
    guard ["decode", "load", "audit", "encode"].contains(what) else { say("audit-step decode|load|audit|encode"); exit(64) }
    let start = ContinuousClock.now
    for _ in 0..<300 {
        switch what {
        case "decode": _ = try JSONDecoder().decode(Snapshot.self, from: data)
        case "load": _ = try HostInventory.load(from: files)
        case "audit": _ = try HostAudit.run(host, overrides: AuditOverrides(policy: .mainline, policySource: "x", msiIsolation: .yes), defaultPageSize: .kib64, name: "host").report
        default: _ = try JSONOutput.encode(report)
        }
    }
    say("\(what): \(String(format: "%.2f", milliseconds(ContinuousClock.now - start) / 300)) ms a host (mean of 300)")
    finish()
}

if arguments.first == "audit" {
    // HostAudit.run on synthetic hosts (built in memory, no parsing) of 1,000 and 10,000
    // functions, median of ROUNDS (default 5). Baseline in the same run: the same layout with 100
    // functions; equal per-function times mean the audit grows linearly. Target: 10,000 within 1 s.
    let auditRounds = arguments.dropFirst().compactMap { Int($0) }.first ?? 5
    let options = AuditOptions(policy: .mainline, pageSize: .kib64, msiIsolation: .yes)
    say("barproof-bench audit: HostAudit.run, mainline, 64 KiB pages, MSI isolated, \(auditRounds) rounds (release build)")
    say(column("host", 28) + "   median ms    min ms   per function us")
    var perFunction: [Int: Double] = [:]
    for functions in [100, 1000, 10000] {
        let host = HostInventory.synthetic(functions: functions)
        var times: [Double] = []
        var violations = 0
        for _ in 0..<auditRounds {
            let start = clock.now
            let report = HostAudit.run(host, options: options)
            times.append(milliseconds(clock.now - start))
            violations = report.violationCount
        }
        perFunction[functions] = median(times) * 1000 / Double(functions)
        say(column("\(functions) functions", 28) + number(median(times)) + " " + number(times.min() ?? .nan)
            + "   " + number(perFunction[functions] ?? .nan) + "   (\(violations) violations)")
    }
    if let base = perFunction[100], let mid = perFunction[1000], let big = perFunction[10000] {
        say(String(format: "per-function ratio 1,000 / 100: %.2fx; 10,000 / 1,000: %.2fx (1.00x = linear)", mid / base, big / mid))
    }
    say("target: 10,000 functions within 1,000 ms")
    say("")
    // A fleet: N snapshots of a 100-function host, each decoded, loaded, audited and its JSON
    // report written, as `barproof audit SNAPSHOT...` does for each; baseline N = 100 in the same run.
    let rendered = HostInventory.syntheticFiles(functions: 100)
    let snapshot = try Snapshot.capture(from: MemoryFiles(files: rendered.files, links: rendered.links), pageSize: 65536, commandLine: "")
    let snapshotData = try JSONOutput.encode(snapshot)
    // As `barproof audit` resolves each host: the host's own facts, but for the options given.
    let fleetOverrides = AuditOverrides(policy: .mainline, policySource: "--policy mainline", msiIsolation: .yes)
    let processors = ProcessInfo.processInfo.activeProcessorCount
    say("barproof-bench audit fleet: N snapshots of 100 functions (\(snapshotData.count / 1024) KiB each): decode, load, audit, "
        + "JSON report, as `barproof audit` runs them (FleetAudit.map), \(auditRounds) rounds (release build)")
    say(column("fleet", 28) + "   median ms    min ms   per host ms")
    var perHost: [String: Double] = [:]
    for (hosts, jobs) in [(100, 1), (100, processors), (1000, processors)] {
        var times: [Double] = []
        var bytes = 0
        for _ in 0..<auditRounds {
            let start = clock.now
            let sizes = FleetAudit.map(hosts, jobs: jobs) { _ in
                guard let files = try? JSONDecoder().decode(Snapshot.self, from: snapshotData),
                      let host = try? HostInventory.load(from: files),
                      let report = try? HostAudit.run(host, overrides: fleetOverrides, defaultPageSize: .kib64, name: "host").report,
                      let data = try? JSONOutput.encode(report) else { return -1 }
                return data.count
            }
            times.append(milliseconds(clock.now - start))
            bytes = sizes.reduce(0, +)
            if sizes.contains(-1) { say("a host failed"); exit(1) }
        }
        let name = "\(hosts) snapshots, \(jobs) job\(jobs == 1 ? "" : "s")"
        perHost[name] = median(times) / Double(hosts)
        say(column(name, 28) + number(median(times)) + " " + number(times.min() ?? .nan)
            + "   " + number(perHost[name] ?? .nan) + "   (\(bytes / 1024) KiB of reports)")
    }
    if let one = perHost["100 snapshots, 1 job"], let base = perHost["100 snapshots, \(processors) jobs"],
       let big = perHost["1000 snapshots, \(processors) jobs"] {
        say(String(format: "per-host ratio 1,000 / 100: %.2fx (1.00x = linear); %d jobs / 1 job on 100: %.2fx", big / base, processors, base / one))
    }
    // Where a host's time goes, median of 100 hosts.
    var split: [String: [Double]] = [:]
    for _ in 0..<100 {
        var t = clock.now
        func lap(_ name: String) { split[name, default: []].append(milliseconds(clock.now - t)); t = clock.now }
        let files = try JSONDecoder().decode(Snapshot.self, from: snapshotData)
        lap("decode")
        let host = try HostInventory.load(from: files)
        lap("load")
        let report = try HostAudit.run(host, overrides: fleetOverrides, defaultPageSize: .kib64, name: "host").report
        lap("audit")
        _ = try JSONOutput.encode(report)
        lap("encode")
    }
    say("per host: " + ["decode", "load", "audit", "encode"].map { String(format: "%@ %.1f ms", $0, median(split[$0] ?? [])) }.joined(separator: ", "))
    say("target: 1,000 snapshots of 100 functions within 10,000 ms")
    say("")  // then the overlapping-BAR figures, below
}

if arguments.first == "fleet-files", arguments.count == 3, let count = Int(arguments[2]) {
    // Writes COUNT copies of the 100-function synthetic snapshot into DIR, for timing the real
    // command: `barproof audit DIR/*.json --format json`.
    let rendered = HostInventory.syntheticFiles(functions: 100)
    let data = try JSONOutput.encode(try Snapshot.capture(from: MemoryFiles(files: rendered.files, links: rendered.links), pageSize: 65536, commandLine: ""))
    for i in 0..<count {
        try data.write(to: URL(fileURLWithPath: arguments[1]).appendingPathComponent(String(format: "host-%04d.json", i)))
    }
    finish()
}

if arguments.first == "audit-case", arguments.count >= 4, let functions = Int(arguments[2]), let caseRounds = Int(arguments[3]) {
    // One case of `audit-overlap`, in a process of its own so that its peak resident size
    // (ru_maxrss, which only grows) is its own: prints the median ms and the peak KiB.
    let host = HostInventory.synthetic(functions: functions, sharingOneRange: arguments[1] == "overlapping")
    let options = AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .unknown)
    var times: [Double] = []
    var listed = 0
    for _ in 0..<caseRounds {
        let start = clock.now
        let report = HostAudit.run(host, options: options)
        times.append(milliseconds(clock.now - start))
        listed = report.devices.reduce(0) { $0 + $1.bars.reduce(0) { $0 + $1.foreign.count } }
        _ = report.text.count  // the text report too: it lists the foreign resources of every BAR
    }
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    say("\(median(times)) \(usage.ru_maxrss) \(listed)")
    exit(0)
}

if arguments.first == "audit-overlap" || arguments.first == "audit" {
    // Issue 12's figure: HostAudit.run (and the text report) on a synthetic host whose functions
    // all place BAR 0 on one range (each BAR meets every other: the crafted-snapshot case),
    // against the baseline of 2,000 functions on distinct ranges, measured in the same run. Each
    // case runs in a child process (this program, `audit-case`), so ru_maxrss is that case's peak.
    // Target: 2,000 overlapping functions within 1 s and 200 MB.
    let caseRounds = arguments.dropFirst().compactMap { Int($0) }.first ?? 3
    say("barproof-bench audit-overlap: HostAudit.run + text report, mainline, 4 KiB pages, MSI isolation unknown, "
        + "median of \(caseRounds) rounds (release build)")
    say(column("host", 34) + "   median ms   peak MB   foreign listed   time ratio   memory ratio")
    var baseline: (ms: Double, kib: Double)?
    for (layout, functions) in [("distinct", 2000), ("overlapping", 400), ("overlapping", 2000)] {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["audit-case", layout, String(functions), String(caseRounds)]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let deadline = DispatchTime.now() + 120
        let done = DispatchSemaphore(value: 0)
        child.terminationHandler = { _ in done.signal() }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        if done.wait(timeout: deadline) == .timedOut { child.terminate() }
        child.waitUntilExit()
        let fields = String(decoding: output, as: UTF8.self).split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        let name = column("\(functions) functions, \(layout) BARs", 34)
        guard child.terminationStatus == 0, fields.count == 3 else {
            say(name + "   failed (exit \(child.terminationStatus), 120 s limit)")
            continue
        }
        let (ms, kib) = (fields[0], fields[1])
        if baseline == nil { baseline = (ms, kib) }
        let ratio = baseline.map { String(format: "%9.2fx   %9.2fx", ms / $0.ms, kib / $0.kib) } ?? ""
        say(name + number(ms) + " " + number(kib / 1024) + "   " + String(format: "%14.0f", fields[2]) + "   " + ratio)
    }
    say("target: 2,000 overlapping functions within 1,000 ms and 200 MB")
    finish()
}

if arguments.first == "search" {
    // Issue 6's figure: time to the first counterexample of a bounded topology search with
    // machines of up to N devices (6 BARs each, 1 bridge), for mainline without the sub-page
    // reservation on 64 KiB pages, median of ROUNDS (default 3), fresh context per round.
    // Baseline in the same run: N = 2; the ratio shows how the query grows with the machine.
    let searchRounds = arguments.dropFirst().compactMap { Int($0) }.first ?? 3
    let policy = try Policy.mainline.removing(["subpage-reservation"])
    let platform = PlatformSpec(pageSizes: [.kib64])
    say("barproof-bench search: first counterexample, \(policy.label), 64 KiB pages, page-exclusive, \(searchRounds) rounds (release build)")
    say("baseline: the same search as one query over the whole machine (no deepening), one round")
    say(column("machine", 34) + "   median ms    min ms   baseline ms   ratio")
    for devices in [2, 4, 8, 16] {
        var times: [Double] = []
        var found = 0
        let bounds = SearchBounds(devices: devices, barsPerDevice: 6, bridges: 1)
        for _ in 0..<searchRounds {
            let start = clock.now
            let search = TopologySearch(policy: policy, platform: platform, invariant: .pageExclusive, bounds: bounds)
            found = try search.first().counterexamples.count
            times.append(milliseconds(clock.now - start))
        }
        var base = Double.nan
        if withBaseline && devices <= 8 {
            let start = clock.now
            _ = try TopologySearch(policy: policy, platform: platform, invariant: .pageExclusive, bounds: bounds).firstWithoutDeepening()
            base = milliseconds(clock.now - start)
        }
        let m = median(times)
        say(column("N = \(devices) devices x 6 BARs, 1 bridge", 34) + number(m) + " " + number(times.min() ?? .nan)
            + "    " + number(base) + String(format: "   %5.1fx", base / m) + (found == 1 ? "" : "   (no counterexample!)"))
    }
    let start = clock.now
    let minimal = try TopologySearch(policy: policy, platform: platform, invariant: .pageExclusive,
                                     bounds: SearchBounds(devices: 8)).run(max: 1, minimize: true)
    say("minimised (N = 8): \(number(milliseconds(clock.now - start)).trimmingCharacters(in: .whitespaces)) ms, "
        + "\(minimal.counterexamples.first.map { "\($0.topology.functions.count) devices, \($0.topology.functions.flatMap(\.bars).count) BARs" } ?? "none")")
    finish()
}

if arguments.first == "dependencies" {
    // What finding dependencies costs against the verdict, check by check, in the same run:
    // `prove` (verdict; a check may reuse what earlier checks of the run found) against
    // `prove --record` (dependencies, in the same order), and a check decided alone (as
    // `prove --check` runs it) against `explain` (irredundant dependencies, alone). Median of
    // ROUNDS (default 5) rounds, the four measured in turn for each check in each round.
    let depRounds = arguments.dropFirst().compactMap { Int($0) }.first ?? 5
    let specs = try Spec.loadAll(["Specs", "Specs/kernels"])
    let checks = specs.flatMap { spec in spec.checks.map { (name: "\(spec.name)/\($0.name)", check: $0) } }
    // For each check: verdict in a run, record in a run, verdict alone, explain alone.
    var times = [[[Double]]](repeating: [[], [], [], []], count: checks.count)
    var verdicts = [String](repeating: "", count: checks.count)
    for _ in 0..<depRounds {
        for (kind, (dependencies, minimise, alone)) in [(false, false, false), (true, false, false), (false, false, true), (true, true, true)].enumerated() {
            PairProver.forgetSharedResults()
            for (index, entry) in checks.enumerated() {
                if alone { PairProver.forgetSharedResults() }
                var request = entry.check.request(timeoutMilliseconds: 60_000, seed: 0, minimiseCore: minimise)
                request.findDependencies = dependencies
                let start = clock.now
                let name = try request.run().name
                times[index][kind].append(milliseconds(clock.now - start))
                if kind == 0 { verdicts[index] = name }
            }
        }
    }
    let medians = times.map { $0.map(median) }
    say("barproof-bench dependencies: \(checks.count) checks, \(depRounds) rounds (release build)")
    say(column("check", 52) + column("verdict", 9) + "  prove ms  --record ms  ratio   alone ms  explain ms  ratio")
    for (index, entry) in checks.enumerated() {
        let m = medians[index]
        say(column(entry.name, 52) + column(verdicts[index], 9) + number(m[0]) + "    " + number(m[1])
            + String(format: "  %5.2f", m[1] / m[0]) + " " + number(m[2]) + "   " + number(m[3]) + String(format: "  %5.2f", m[3] / m[2]))
    }
    func summary(_ label: String, _ rows: [Int]) {
        guard !rows.isEmpty else { return }
        func sum(_ kind: Int) -> Double { rows.map { medians[$0][kind] }.reduce(0, +) }
        let record = rows.map { medians[$0][1] / medians[$0][0] }, explain = rows.map { medians[$0][3] / medians[$0][2] }
        say(column(label, 30) + String(format: "%4d checks: --record / prove %.2fx (sums %.1f / %.1f ms; per check median %.2fx, at most 2x: %d); "
                                          + "explain / alone %.2fx (sums %.1f / %.1f ms; per check median %.2fx, at most 2x: %d)",
                                      rows.count, sum(1) / sum(0), sum(1), sum(0), median(record), record.filter { $0 <= 2 }.count,
                                      sum(3) / sum(2), sum(3), sum(2), median(explain), explain.filter { $0 <= 2 }.count))
    }
    say("")
    summary("proved or vacuous", checks.indices.filter { verdicts[$0] != "refuted" })
    summary("all", Array(checks.indices))
    say("target: --record and explain at most 2x the verdict's time")
    finish()
}

if arguments.first == "specs" {
    // Every check of the specs as `barproof prove` decides it (`CheckRequest.run`, verdict only,
    // both page sizes), one check at a time, median of ROUNDS (default 5) rounds taken in turn
    // (round 1 of every check, then round 2, ...), so that a noisy minute spreads over all checks.
    // Baseline in the same run: the checks of the three named policies (legacy, rfc-v4,
    // mainline), which are what the figures before the release presets were measured on.
    let specRounds = arguments.dropFirst().compactMap { Int($0) }.first ?? 5
    // --alone: every check as if it ran by itself (nothing reused from the checks before it).
    let alone = arguments.contains("--alone")
    let directories = arguments.dropFirst().filter { Int($0) == nil && !$0.hasPrefix("--") }
    let specs = try Spec.loadAll(directories.isEmpty ? ["Specs", "Specs/kernels"] : directories)
    let checks = specs.flatMap { spec in spec.checks.map { (name: "\(spec.name)/\($0.name)", named: ["legacy", "rfc-v4", "mainline"].contains($0.policy.name), check: $0) } }
    var times = [[Double]](repeating: [], count: checks.count)
    var verdicts = [String](repeating: "", count: checks.count)
    for _ in 0..<specRounds {
        // Each round as one `prove` run: what a check may reuse from an earlier one, it found in this round.
        PairProver.forgetSharedResults()
        for (index, entry) in checks.enumerated() {
            if alone { PairProver.forgetSharedResults() }
            var request = entry.check.request(timeoutMilliseconds: 60_000, seed: 0)
            request.findDependencies = false
            let start = clock.now
            verdicts[index] = try request.run().name
            times[index].append(milliseconds(clock.now - start))
        }
    }
    say("barproof-bench specs: \(checks.count) checks of \(specs.count) specs as `barproof prove` decides them, \(specRounds) rounds, one check at a time (release build)"
        + (alone ? ", each alone (nothing shared with the checks before it)" : ""))
    say(column("check", 52) + column("verdict", 9) + "   median ms    min ms")
    for (index, entry) in checks.enumerated() {
        say(column(entry.name, 52) + column(verdicts[index], 9) + number(median(times[index])) + " " + number(times[index].min() ?? .nan))
    }
    func summary(_ label: String, _ rows: [Int]) {
        let medians = rows.map { median(times[$0]) }
        guard !medians.isEmpty else { return }
        let total = medians.reduce(0, +)
        say(column(label, 34) + String(format: "%4d checks   median %7.1f ms   slowest %7.1f ms   sum %8.1f ms   under 50 ms: %d of %d",
                                      medians.count, median(medians), medians.max() ?? .nan, total,
                                      medians.filter { $0 <= 50 }.count, medians.count))
    }
    say("")
    summary("release presets (linux-*)", checks.indices.filter { !checks[$0].named })
    summary("baseline: legacy, rfc-v4, mainline", checks.indices.filter { checks[$0].named })
    summary("all", Array(checks.indices))
    say("target: each release check at most 50 ms median")
    finish()
}

/// Runs one check `rounds` times on a fresh prover (context and solver included) and returns the
/// verdict name and the times in milliseconds.
func measure(_ policy: Policy, _ invariant: Invariant, _ platform: PlatformSpec, strategy: SolverStrategy,
             rounds: Int, dependencies: Bool = false) throws -> (String, [Double]) {
    var times: [Double] = []
    var name = ""
    for _ in 0..<rounds {
        let start = clock.now
        let prover = try PairProver(platform: platform, strategy: strategy)
        name = try prover.check(invariant, policy: policy, dependencies: dependencies).name
        times.append(milliseconds(clock.now - start))
    }
    return (name, times)
}

say("barproof-bench: pair-model checks, \(rounds) rounds each, fresh prover per round (release build)")
say("verdict: the verdict alone (as `barproof prove` needs it); +deps: also the unsat cores (explain, --record)")
say(column("check", 60) + column("verdict", 9) + "   median ms    min ms   +deps ms")
var medians: [Double] = []
for policy in Policy.all {
    for invariant in Invariant.allCases {
        for page in [PageSize.kib4, .kib64] {
            let platform = PlatformSpec(pageSizes: [page])
            let (name, times) = try measure(policy, invariant, platform, strategy: .bitBlast, rounds: rounds)
            let (_, withCores) = try measure(policy, invariant, platform, strategy: .bitBlast, rounds: 1, dependencies: true)
            medians.append(median(times))
            say(column("\(policy.name) \(invariant.rawValue) \(page)", 60) + column(name, 9)
                + number(median(times)) + " " + number(times.min() ?? .nan) + "  " + number(withCores[0]))
        }
    }
}
say("median of medians: \(number(median(medians)).trimmingCharacters(in: .whitespaces)) ms over \(medians.count) checks")
say("target, each check under 50 ms median: \(medians.filter { $0 < 50 }.count) of \(medians.count) checks meet it; "
    + "slowest \(number(medians.max() ?? .nan).trimmingCharacters(in: .whitespaces)) ms")

if withBaseline {
    // Baseline: the same cases on Z3's incremental QF_BV solver (push/pop, assumptions), which
    // is what a straightforward use of the C API gives; both sides find dependencies. One round.
    say("")
    say("baseline (incremental solver) vs bit-blast strategy, same run")
    say(column("check", 60) + "  baseline ms  bit-blast ms   ratio")
    let rows: [(Policy, Invariant, PageSize)] = [
        (.mainline, .mmapWithinBAR, .kib64), (.legacy, .mmapWithinBAR, .kib4), (.mainline, .pageExclusive, .kib64),
    ]
    for (policy, invariant, page) in rows {
        let platform = PlatformSpec(pageSizes: [page])
        let (_, base) = try measure(policy, invariant, platform, strategy: .incremental, rounds: 1, dependencies: true)
        let (_, fast) = try measure(policy, invariant, platform, strategy: .bitBlast, rounds: 1, dependencies: true)
        say(column("\(policy.name) \(invariant.rawValue) \(page)", 60) + "  " + number(base[0]) + "    "
            + number(fast[0]) + String(format: "   %5.1fx", base[0] / fast[0]))
    }
}
finish()
