import Reports
import SpecFiles

/// How a `prove` run meets the records: for each check, compared with its record, or why not;
/// and the counts every report states.
struct RecordGate {
    var store: RecordStore
    var comparison: RecordComparison
    private var recorded: [String: Set<String>?] = [:]

    init(store: RecordStore, recording: Bool, required: Bool) {
        self.store = store
        comparison = RecordComparison(directory: store.directory, found: store.found, recording: recording, required: required)
    }

    /// Compares `outcome` with its record, filling in `drift`, `notes`, `record` and, when the
    /// record fails the check though no field drifted, `recordProblem`:
    /// - no records folder for the spec (or no `proofs/` at all): not compared (`none`), unless
    ///   `--require-records`;
    /// - a record missing while other checks of the spec have one: a failure, never "not compared";
    /// - a record that cannot be read or parsed: bad input (thrown, 65);
    /// - an unknown verdict is not compared (its record is still read, so a broken one is bad input).
    mutating func compare(_ outcome: inout CheckOutcome, spec: Spec, check: SpecCheck) throws {
        comparison.checks += 1
        if comparison.recording {
            // The dependency list is found only when recording; note a change from the previous
            // record (not a failure: unsat cores are not unique). A record about to be replaced
            // may be broken; that is no reason to refuse replacing it.
            outcome.record = "recording"
            if outcome.verdict != .unknown, let previous = try? store.record(spec: spec.name, check: check.name),
               let change = previous.dependencyChange(to: RecordStore.fresh(outcome, check: check)) {
                outcome.notes.append(change)
            }
            return
        }
        let names: Set<String>?
        if let cached = recorded[spec.name] {
            names = cached
        } else {
            names = store.found ? try store.recordedChecks(spec: spec.name) : nil
            recorded[spec.name] = .some(names)
        }
        let path = store.recordPath(spec: spec.name, check: check.name)
        guard let names, !names.isEmpty else {
            outcome.record = "none"
            comparison.withoutRecord += 1
            if comparison.required {
                outcome.recordProblem = "no record \(path) (--require-records); record with `barproof prove --record`"
            }
            return
        }
        guard let record = try store.record(spec: spec.name, check: check.name) else {
            outcome.record = "none"
            comparison.withoutRecord += 1
            outcome.recordProblem = "no record \(path), though other checks of \(spec.name) have one; "
                + "re-record with `barproof prove --record`"
            return
        }
        if outcome.verdict == .unknown {
            outcome.record = "inconclusive"
            comparison.inconclusive += 1
            return
        }
        outcome.drift = record.changes(to: RecordStore.fresh(outcome, check: check))
        if let note = record.formatNote { outcome.notes.append(note) }
        outcome.record = "compared"
        comparison.compared += 1
    }
}
