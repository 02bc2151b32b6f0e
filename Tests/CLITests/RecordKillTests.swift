import Foundation
import Reports
import TestSupport
import Testing

/// `prove --record` killed at random moments, SIGKILL included, never leaves a spec's records
/// half old and half new, and the drift gate fails exactly when a set is incomplete.
@Suite("Records survive a kill", .serialized, .timeLimit(.minutes(4)))
struct RecordKillTests {
    typealias FileSet = [String: Data]

    @Test("prove --record killed 30 times (SIGKILL, SIGTERM, SIGINT; seeded delays, many while the records are written): the records are exactly the old set or the new set, and prove --require-records fails exactly when they are incomplete")
    func killedAtRandomMoments() throws {
        let work = try SpecDirectory()
        let repository = BarproofRun.repository
        try FileManager.default.copyItem(at: repository.appendingPathComponent("Specs"), to: work.url.appendingPathComponent("Specs"))
        let proofs = work.path("proofs")
        let folder = proofs + "/legacy"
        try FileManager.default.copyItem(atPath: repository.appendingPathComponent("proofs/legacy").path, toPath: folder)
        let spec = "Specs/legacy.yaml"
        let record = ["prove", "--record", "--jobs", "2", spec, "--proofs", proofs]

        // The new set is what an uninterrupted --record writes; its run also says how long one takes.
        let started = ContinuousClock.now
        let first = try BarproofRun.run(record, in: work.url, timeout: .seconds(60))
        let length = (ContinuousClock.now - started).seconds
        try #require(first.status == 0, "\(first.stdout)\(first.stderr)")
        let newSet = try Self.files(in: folder)

        // The old set differs in bytes and in names: format 1 records (read, with a note) and
        // a query file the new set does not have.
        let oldSet = try Self.formatOne(newSet)
        #expect(oldSet != newSet && Set(oldSet.keys) != Set(newSet.keys))

        var verdicts: [String: Int32] = [:]
        func requireRecords() throws -> Int32 {
            // The gate reads only proofs/legacy, and which stale staging folders lie beside it
            // changes nothing for it: the same folder gives the same answer, so ask once per state.
            let key = Self.digest(try Self.files(in: folder)) + (try Self.staleEntries(proofs).isEmpty ? "" : "+stale")
            if let known = verdicts[key] { return known }
            let run = try BarproofRun.run(["prove", spec, "--require-records", "--proofs", proofs], in: work.url, timeout: .seconds(60))
            verdicts[key] = run.status
            return run.status
        }
        try Self.install(oldSet, at: folder)
        #expect(try requireRecords() == 0, "the old set does not pass the gate")

        var generator = SplitMix64(seed: 0x12_2024)
        let signals = [SIGKILL, SIGTERM, SIGINT]
        var duringWrite = 0, ended: [String: Int] = [:]
        for round in 0..<30 {
            try Self.install(oldSet, at: folder)
            // Each signal both at any moment and while writing (round % 3 picks which).
            let number = signals[(round + round / 3) % 3]
            // A third of the signals at any moment of the solving; two thirds while the records
            // are written: once the staging folder appears, within the 0.8 s that writing takes
            // here (some come after the swap, when the run is done or about to be).
            // This run's staging folder: one that killed runs did not leave.
            let left = Set(try Self.staleEntries(proofs))
            let staging: @Sendable () -> Bool = {
                ((try? FileManager.default.contentsOfDirectory(atPath: proofs)) ?? []).contains {
                    $0.hasPrefix(".legacy.staging-") && !left.contains($0)
                }
            }
            let inWindow = round % 3 != 0
            let delay = inWindow ? Double(generator.next() % 800) / 1000 : 0.05 + Double(generator.next() % 1000) / 1000 * length
            let writing = Flag()
            let signal = ProgramRun.Signal(number, after: .milliseconds(Int(delay * 1000)), when: inWindow ? staging : nil) {
                if staging() { writing.set() }
            }
            let run = try BarproofRun.run(record, in: work.url, signal: signal, timeout: .seconds(60))
            let label = "round \(round) (\(RunControlName.of(number)) \(String(format: "%.2f", delay)) s after \(inWindow ? "the staging folder appeared" : "the launch"))"
            if writing.value { duringWrite += 1 }
            if run.signalSent {
                // 137 is never an exit status here: a SIGKILL shows as the signal. A SIGINT or
                // SIGTERM that comes before barproof has installed its handlers (its first
                // milliseconds) ends it by the signal too, before it has touched anything.
                let handled = !run.signalled && run.status == 128 + number
                let finished = run.status == 0 && !run.signalled
                #expect((run.signalled && run.status == number) || handled || finished,
                        "\(label): exit \(run.status) (signalled: \(run.signalled))\n\(run.stderr)")
            } else {
                #expect(run.status == 0, "\(label): finished before the signal with exit \(run.status)\n\(run.stderr)")
            }
            let now = try Self.files(in: folder)
            let isOld = now == oldSet, isNew = now == newSet
            ended[isNew ? "new" : isOld ? "old" : "mixed", default: 0] += 1
            #expect(isOld || isNew, "\(label): the records are neither the old set nor the new set: \(Self.difference(now, oldSet, newSet))")
            if run.status == 0 && !run.signalled { #expect(isNew, "\(label): exit 0 without the new records") }
            let stale = try Self.staleEntries(proofs)
            #expect(stale.allSatisfy { $0.hasPrefix(".legacy.staging-") }, "\(label): left in \(proofs): \(stale)")
            let complete = isOld || isNew
            let gate = try requireRecords()
            #expect((gate != 0) == !complete, "\(label): prove --require-records exits \(gate) on a set that is \(complete ? "" : "in")complete")
        }
        #expect(duringWrite >= 5, "only \(duringWrite) of 30 signals came while the records were being written")
        #expect((ended["old"] ?? 0) > 0 && (ended["new"] ?? 0) > 0, "every round ended the same way: \(ended)")

        // The next uninterrupted run removes what killed runs left and writes the new set.
        let last = try BarproofRun.run(record, in: work.url, timeout: .seconds(60))
        #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
        #expect(try Self.files(in: folder) == newSet)
        #expect(try Self.staleEntries(proofs).isEmpty, "staging folders of killed runs were not removed")
    }

    // MARK: - Helpers

    /// Every regular file of `folder` by name (the records folder is flat); empty when it is missing.
    static func files(in folder: String) throws -> FileSet {
        guard FileManager.default.fileExists(atPath: folder) else { return [:] }
        var out: FileSet = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return out
    }

    /// Replaces `folder` with exactly `set`.
    static func install(_ set: FileSet, at folder: String) throws {
        if FileManager.default.fileExists(atPath: folder) { try FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for (name, data) in set { try data.write(to: URL(fileURLWithPath: folder + "/" + name)) }
    }

    /// The set as an older barproof would have recorded it: format 1 records, which carry the
    /// spec file's digest instead of the check's, and one more query, of an older encoding.
    static func formatOne(_ set: FileSet) throws -> FileSet {
        var out = set
        for (name, data) in set where name.hasSuffix(".json") {
            var record = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            record["format"] = 1
            record["schema"] = nil
            record["schema_version"] = nil
            record["check_sha256"] = nil
            record["spec_sha256"] = String(repeating: "0", count: 64)
            if name == "mmap-within-bar.json" {
                record["queries"] = ((record["queries"] as? [String]) ?? []) + ["mmap-within-bar.16k-case0.smt2"]
            }
            out[name] = try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys]) + Data("\n".utf8)
        }
        out["mmap-within-bar.16k-case0.smt2"] = Data("; an older encoding's query\n(check-sat)\n".utf8)
        return out
    }

    /// Hidden entries of the records directory: what interrupted runs left.
    static func staleEntries(_ proofs: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: proofs).filter { $0.hasPrefix(".") }.sorted()
    }

    static func digest(_ set: FileSet) -> String {
        set.keys.sorted().map { "\($0):\(SHA256.hex(Array(set[$0] ?? Data())))" }.joined(separator: ",")
    }

    static func difference(_ now: FileSet, _ old: FileSet, _ new: FileSet) -> String {
        func against(_ other: FileSet) -> String {
            let names = Set(now.keys).symmetricDifference(other.keys).sorted().prefix(4)
            let changed = now.keys.filter { other[$0] != nil && other[$0] != now[$0] }.sorted().prefix(4)
            return "names differing \(Array(names)), bytes differing \(Array(changed))"
        }
        return "against the old set: \(against(old)); against the new set: \(against(new))"
    }
}

/// A flag set from the thread that sends a signal and read by the test.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var isSet = false
    func set() { lock.withLock { isSet = true } }
    var value: Bool { lock.withLock { isSet } }
}

enum RunControlName {
    static func of(_ signal: Int32) -> String {
        switch signal {
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        default: "signal \(signal)"
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
