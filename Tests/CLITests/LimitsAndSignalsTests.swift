import Foundation
import Synchronization
import TestSupport
import Testing

/// The binary under limits and signals: it never hangs, an unknown is never a pass, and a
/// SIGINT or SIGTERM ends a run within a second, with what it decided printed and nothing
/// half-written.
@Suite("Limits and signals", .serialized, .timeLimit(.minutes(6)))
struct LimitsAndSignalsTests {
    // MARK: - Limits

    @Test("200 runs of prove with limits of 1-50 ms, two at a time: exit 0 or 2, each within its limit plus a second (2% leeway for a loaded machine, never 3 s)")
    func stressLimits() throws {
        let spec = BarproofRun.repository.appendingPathComponent("Specs/rfc-v4.yaml").path
        let scratch = try SpecDirectory()
        let none = try scratch.emptyFolder("proofs")
        let failures = Mutex<[String]>([])
        let exits = Mutex<[Int32: Int]>([:])
        let late = Mutex<[String]>([])
        let runs = 200
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            var generator = SystemRandomNumberGenerator()
            for round in stride(from: worker, to: runs, by: 2) {
                let limit = Int.random(in: 1...50, using: &generator)
                let began = ContinuousClock.now
                let arguments = ["prove", spec, "--jobs", "1", "--timeout-ms", String(limit),
                                 "--time-limit", String(Double(limit) / 1000), "--proofs", none]
                do {
                    let run = try TimedRun.run(arguments, killAfter: .seconds(20))
                    let elapsed = ContinuousClock.now - began
                    exits.withLock { $0[run.status, default: 0] += 1 }
                    var problems: [String] = []
                    if run.timedOut { problems.append("hung (killed after 20 s)") }
                    if run.status != 0 && run.status != 2 { problems.append("exit \(run.status): \(run.stderr)") }
                    // A deadlock or an unbounded step takes seconds more; a loaded machine (the
                    // other suites run beside this one) can starve a single run for a moment.
                    if elapsed > .milliseconds(limit) + .seconds(1) {
                        late.withLock { $0.append("run \(round), limit \(limit) ms: took \(elapsed)") }
                    }
                    if elapsed > .milliseconds(limit) + .seconds(3) { problems.append("took \(elapsed)") }
                    if !problems.isEmpty {
                        failures.withLock { $0.append("run \(round), limit \(limit) ms: " + problems.joined(separator: "; ")) }
                    }
                } catch {
                    failures.withLock { $0.append("run \(round): \(error)") }
                }
            }
        }
        let found = failures.withLock { $0 }
        let listed = found.prefix(10).joined(separator: "\n")
        #expect(found.isEmpty, "\(found.count) of \(runs) runs failed:\n\(listed)")
        let lateRuns = late.withLock { $0 }
        #expect(lateRuns.count <= runs / 50, "\(lateRuns.count) runs ended later than their limit plus a second: \(lateRuns.prefix(10))")
        let counts = exits.withLock { $0 }
        print("limit stress: \(runs) runs, \(lateRuns.count) past limit + 1 s, exits \(counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")), \(found.count) failures")
        #expect(counts[2, default: 0] > 0, "no run hit its limit: the stress tested nothing")
    }

    @Test("--rlimit gives the same unknowns on every run (a limit CI can reproduce)")
    func resourceLimitIsReproducible() throws {
        let scratch = try SpecDirectory()
        let arguments = ["prove", "Specs/legacy.yaml", "--jobs", "2", "--rlimit", "3000", "--proofs", try scratch.emptyFolder("proofs")]
        let first = try TimedRun.run(arguments, killAfter: .seconds(60))
        let second = try TimedRun.run(arguments, killAfter: .seconds(60))
        #expect(first.status == 2, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("max. resource limit exceeded"), "\(first.stdout)")
        // Everything but the timings.
        func verdicts(_ text: String) -> [String] {
            text.split(separator: "\n").map { String($0.replacing(/[0-9.]+ s\b/, with: "T")) }
        }
        #expect(verdicts(first.stdout) == verdicts(second.stdout))
    }

    /// A spec whose one check runs for minutes (`mmap-within-bar` without natural alignment: no
    /// part of the model is then empty, and it had not ended after 60 s), to run after the
    /// shipped ones, which take well under a second.
    static func slowSpec(in scratch: SpecDirectory) throws -> String {
        try scratch.write("slow", """
            description: a check that takes far longer than a test waits
            kernel: "6.6"
            platform:
              page_sizes: [4K, 64K]
            checks:
              - name: mmap-within-bar-unaligned
                invariant: mmap-within-bar
                assumptions: [tree-consistent, foreign-claimed, well-formed-pci]
                expect: proved
            """)
    }

    @Test("--time-limit bounds a whole prove run: unknown (exit 2), never a hang")
    func timeLimitBoundsTheRun() throws {
        let scratch = try SpecDirectory()
        let slow = try Self.slowSpec(in: scratch)
        let began = ContinuousClock.now
        let run = try TimedRun.run(["prove", "Specs", slow, "--jobs", "1", "--time-limit", "1", "--proofs", try scratch.emptyFolder("proofs")],
                                   killAfter: .seconds(30))
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("timeout"), "\(run.stdout)")
        #expect(ContinuousClock.now - began < .seconds(3))
    }

    @Test("search --time-limit ends with what it found, incomplete (exit 2), the fixtures written")
    func searchTimeLimit() throws {
        let out = try SpecDirectory()
        let began = ContinuousClock.now
        let run = try TimedRun.run(["search", "Specs/mainline.yaml", "--check", "page-exclusive-without-reservation",
                                    "--max", "50", "--exhaustive", "--time-limit", "4", "--out", out.path("fixtures")],
                                   killAfter: .seconds(60))
        // Exhaustive: the four views are found well within the limit, and a fifth is sought until it.
        #expect(ContinuousClock.now - began < .seconds(6))
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("search incomplete"), "\(run.stdout)")
        try expectCompleteFixtures(in: out.path("fixtures"), listed: run.stdout)
    }

    // MARK: - Signals

    @Test("SIGINT or SIGTERM at 20 random moments of prove: exit 130 or 143 within a second, the decided checks printed")
    func signalsDuringProve() throws {
        let scratch = try SpecDirectory()
        // The shipped checks, then one that runs far past every signal.
        let long = try Self.slowSpec(in: scratch)
        var generator = SplitMix64(seed: 7)
        var slow: [String] = []
        var interrupted = 0
        for round in 0..<20 {
            let signal = round % 2 == 0 ? SIGINT : SIGTERM
            let delay = 0.1 + Double(generator.next() % 1400) / 1000
            let run = try TimedRun.run(["prove", "Specs", long, "--jobs", "2", "--proofs", try scratch.emptyFolder("proofs")],
                                       signal: signal, after: delay, killAfter: .seconds(60))
            #expect(!run.ignoredSignal, "round \(round) (\(delay) s): the signal was ignored, exit \(run.status)")
            guard let stopped = run.stoppedAfterSignal else {
                // The run finished before the signal: then it must have passed.
                #expect(run.status == 0, "round \(round): exit \(run.status) without a signal")
                continue
            }
            interrupted += 1
            #expect(run.status == 128 + signal, "round \(round) (\(delay) s): exit \(run.status)\n\(run.stderr)")
            if stopped > .seconds(1) { slow.append("round \(round): \(stopped)") }
            #expect(run.stdout.contains(" checks: "), "round \(round): no summary printed\n\(run.stdout)")
            #expect(run.stderr.contains("interrupted"), "round \(round): \(run.stderr)")
        }
        #expect(slow.isEmpty, "stopped later than a second after the signal: \(slow)")
        #expect(interrupted == 20, "only \(interrupted) of 20 runs were still running when signalled")
    }

    @Test("SIGINT at 20 random moments of prove --record: exit 130 within a second, every record intact")
    func signalsDuringRecord() throws {
        let copy = try SpecDirectory()
        let repository = BarproofRun.repository
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Specs"), to: copy.url.appendingPathComponent("Specs"))
        let original = repository.appendingPathComponent("proofs")
        let proofs = copy.url.appendingPathComponent("proofs")
        try FileManager.default.copyItem(at: original, to: proofs)
        let specs = copy.url.appendingPathComponent("Specs").path
        // Every shipped spec, about 2 s with `--jobs 2`, so that most signals land while it runs.
        let kernels = copy.url.appendingPathComponent("Specs/kernels").path
        let expected = try Self.contents(of: original)
        var generator = SplitMix64(seed: 23)
        var slow: [String] = []
        var interrupted = 0
        for round in 0..<20 {
            let delay = 0.05 + Double(generator.next() % 1500) / 1000
            let run = try TimedRun.run(["prove", "--record", "--jobs", "2", specs, kernels, "--proofs", proofs.path],
                                       signal: SIGINT, after: delay, killAfter: .seconds(120))
            #expect(!run.ignoredSignal, "round \(round) (\(delay) s): the signal was ignored, exit \(run.status)")
            if let stopped = run.stoppedAfterSignal {
                interrupted += 1
                #expect(run.status == 130, "round \(round) (\(delay) s): exit \(run.status)\n\(run.stderr)")
                if stopped > .seconds(1) { slow.append("round \(round): \(stopped)") }
            } else {
                #expect(run.status == 0, "round \(round): exit \(run.status)\n\(run.stderr)")
            }
            // Re-recording is deterministic, so the old set and the new set are the same bytes.
            let now = try Self.contents(of: proofs)
            let missing = Set(expected.keys).symmetricDifference(now.keys).sorted().prefix(5).joined(separator: ", ")
            let changed = expected.keys.filter { now[$0] != nil && now[$0] != expected[$0] }.sorted().prefix(5).joined(separator: ", ")
            #expect(now == expected, "round \(round) (\(delay) s): records missing or added: \(missing); changed: \(changed)")
        }
        #expect(slow.isEmpty, "stopped later than a second after the signal: \(slow)")
        #expect(interrupted >= 10, "only \(interrupted) of 20 runs were still running when signalled")
    }

    @Test("SIGINT during search keeps every counterexample found, each fixture complete, and exits 130")
    func signalDuringSearch() throws {
        let out = try SpecDirectory()
        let fixtures = out.path("fixtures")
        let run = try TimedRun.run(["search", "Specs/mainline.yaml", "--check", "page-exclusive-without-reservation",
                                    "--max", "50", "--out", fixtures], signal: SIGINT,
                                   when: { (try? FileManager.default.contentsOfDirectory(atPath: fixtures))?.contains { !$0.hasPrefix(".") } ?? false },
                                   killAfter: .seconds(120))
        let stopped = try #require(run.stoppedAfterSignal, "the search ended before the signal:\n\(run.stdout)")
        #expect(run.status == 130, "\(run.stdout)\(run.stderr)")
        #expect(stopped < .seconds(1), "stopped \(stopped) after the signal")
        #expect(run.stdout.contains("search incomplete"), "\(run.stdout)")
        try expectCompleteFixtures(in: fixtures, listed: run.stdout)
    }

    // MARK: - Progress

    @Test("progress goes to a terminal's standard error only, never to standard output")
    func progressOnlyOnTerminal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let out = try SpecDirectory()
        let stdout = out.path("stdout.txt"), typescript = out.path("typescript")
        let command = "'\(BarproofRun.executable.path)' search Specs/mainline.yaml --check page-exclusive-without-reservation "
            + "--max 50 --time-limit 3.5 > '\(stdout)'"
        let run = try TimedRun.run(program: URL(fileURLWithPath: "/usr/bin/script"), ["-qefc", command, typescript],
                                   killAfter: .seconds(60))
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        let terminal = try String(contentsOfFile: typescript, encoding: .utf8)
        let report = try String(contentsOfFile: stdout, encoding: .utf8)
        #expect(terminal.contains("searching ") || terminal.contains("deciding which views"), "no progress on the terminal: \(terminal)")
        #expect(!report.contains("searching ") && !report.contains("deciding which views") && !report.contains("\u{1B}["),
                "progress reached standard output")
        // Not on a terminal (this test's own pipes), and with --quiet: none.
        let plain = try TimedRun.run(["search", "Specs/mainline.yaml", "--check", "page-exclusive-without-reservation",
                                      "--max", "50", "--time-limit", "2.5"], killAfter: .seconds(60))
        #expect(!plain.stderr.contains("searching ") && !plain.stderr.contains("deciding which views"), "\(plain.stderr)")
    }

    // MARK: - Helpers

    /// Every fixture folder under `folder` is complete and named in the report; no staging left.
    func expectCompleteFixtures(in folder: String, listed report: String) throws {
        let found = report.components(separatedBy: "fixture: ").count - 1
        guard found > 0 else { return }
        let entries = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(entries.count == found, "\(found) fixtures reported, \(entries.count) folders written")
        for entry in entries {
            #expect(!entry.hasPrefix("."), "a staging folder was left: \(entry)")
            let path = folder + "/" + entry
            for file in ["topology.json", "README.md", "memory-map.svg", "proc/iomem"] {
                #expect(FileManager.default.fileExists(atPath: path + "/" + file), "\(entry) lacks \(file)")
            }
            #expect(report.contains("fixture: \(path)"), "\(entry) is not in the report")
        }
    }

    /// Every file under `folder`, by relative path.
    static func contents(of folder: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let names = FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? []
        for name in names {
            var isDirectory: ObjCBool = false
            let path = folder.appendingPathComponent(name).path
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[name] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return result
    }
}

extension SpecDirectory {
    /// An empty folder inside, for `--proofs` when a test compares no records.
    func emptyFolder(_ name: String) throws -> String {
        let path = self.path(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// A run of the binary that can be signalled (after a delay, or once a condition holds) and is
/// killed past a deadline, so no test can hang on it.
struct TimedRun {
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool
    /// How long the process took to exit after the signal, if it was still running when signalled.
    var stoppedAfterSignal: Duration?
    /// Signalled, yet it went on to exit as if nothing happened (more than 0.1 s later).
    var ignoredSignal: Bool

    static func run(_ arguments: [String], signal: Int32? = nil, after delay: Double = 0, when condition: (() -> Bool)? = nil,
                    killAfter limit: Duration) throws -> TimedRun {
        try run(program: BarproofRun.executable, arguments, signal: signal, after: delay, when: condition, killAfter: limit)
    }

    static func run(program: URL, _ arguments: [String], signal: Int32? = nil, after delay: Double = 0,
                    when condition: (() -> Bool)? = nil, killAfter limit: Duration) throws -> TimedRun {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-timed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.currentDirectoryURL = BarproofRun.repository
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        let started = ContinuousClock.now
        try process.run()
        var signalledAt: ContinuousClock.Instant?
        var timedOut = false
        while process.isRunning {
            let now = ContinuousClock.now
            if now - started > limit {
                kill(process.processIdentifier, SIGKILL)
                timedOut = true
                break
            }
            if let signal, signalledAt == nil {
                let due = condition.map { $0() } ?? (now - started >= .milliseconds(Int(delay * 1000)))
                if due {
                    signalledAt = .now
                    kill(process.processIdentifier, signal)
                }
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        process.waitUntilExit()
        let ended = ContinuousClock.now
        try outHandle.close()
        try errHandle.close()
        if timedOut { Issue.record("killed after \(limit): barproof \(arguments.joined(separator: " "))") }
        // A signal sent as the process was exiting on its own does not count as stopping it.
        let stopped = signalledAt.flatMap { at in process.terminationStatus == 128 + (signal ?? 0) ? ended - at : nil }
        return TimedRun(status: process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus,
                        stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                        stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self),
                        timedOut: timedOut, stoppedAfterSignal: stopped,
                        ignoredSignal: signalledAt.map { stopped == nil && ended - $0 > .milliseconds(100) } ?? false)
    }
}
