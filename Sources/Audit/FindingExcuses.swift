import VFIORules

// What `barproof audit --suppressions FILE` and `--baseline REPORT.json` make of a host's findings:
// each (BAR, invariant) violated or unknown can be excused by a suppressions-file entry or by the
// baseline (it was a finding there too). An excused finding is still reported, in every format,
// but does not count: not in `status` nor in the exit code.

/// One finding: a (BAR, invariant) pair violated, or unknown and violated under no assumption.
public struct AuditFinding: Hashable, Sendable {
    public var device: String
    public var bar: Int
    public var invariant: String
    /// Violated (else unknown).
    public var violated: Bool

    public init(device: String, bar: Int, invariant: String, violated: Bool) {
        self.device = device
        self.bar = bar
        self.invariant = invariant
        self.violated = violated
    }
}

/// A finding of a BAR that a suppressions-file entry excuses (JSON `bars[].suppressed[]`).
public struct SuppressedFinding: Hashable, Sendable, Codable {
    public var invariant: String
    public var justification: String
    /// `YYYY-MM-DD`: the last day the entry applies; absent when it does not expire.
    public var expires: String?
    /// The suppressions file and the entry's place in it.
    public var file: String
    public var line: Int
    public var column: Int

    public init(invariant: String, justification: String, expires: String?, file: String, line: Int, column: Int) {
        self.invariant = invariant
        self.justification = justification
        self.expires = expires
        self.file = file
        self.line = line
        self.column = column
    }
}

/// How a finding of a BAR stands against the baseline (JSON `bars[].baseline[]`).
public struct BaselineFinding: Hashable, Sendable, Codable {
    public var invariant: String
    /// `new` (not a finding in the baseline: it counts) or `unchanged` (one there too: it does not).
    public var state: String

    public init(invariant: String, state: String) {
        self.invariant = invariant
        self.state = state
    }
}

extension BARAudit {
    /// Whether the BAR's finding about `invariant` is excused: by a suppression (which names a
    /// justification), or, for a violation only, by the baseline. An unknown verdict is never
    /// accepted for having been unknown before: what could not be decided is not a pass.
    public func excused(_ invariant: String) -> Bool {
        if suppressed?.contains(where: { $0.invariant == invariant }) == true { return true }
        return violations.contains(invariant) && baseline?.contains { $0.invariant == invariant && $0.state == "unchanged" } == true
    }
}

extension AuditReport {
    /// Every finding, device by device and BAR by BAR, violations before unknowns.
    public var findings: [AuditFinding] {
        devices.flatMap { device in
            device.bars.flatMap { bar in
                bar.violations.map { AuditFinding(device: device.address, bar: bar.index, invariant: $0, violated: true) }
                    + bar.unknownInvariants.map { AuditFinding(device: device.address, bar: bar.index, invariant: $0, violated: false) }
            }
        }
    }

    /// Records, for every finding, the suppression that excuses it (if any) and, with a
    /// baseline, whether it was a finding there; then states `status` anew from the findings
    /// that count.
    public mutating func excuse(suppression: (AuditFinding) -> SuppressedFinding?, baseline: ((AuditFinding) -> Bool)?) {
        for d in devices.indices {
            for b in devices[d].bars.indices {
                let bar = devices[d].bars[b]
                let mine = bar.violations.map { AuditFinding(device: devices[d].address, bar: bar.index, invariant: $0, violated: true) }
                    + bar.unknownInvariants.map { AuditFinding(device: devices[d].address, bar: bar.index, invariant: $0, violated: false) }
                let suppressed = mine.compactMap(suppression)
                devices[d].bars[b].suppressed = suppressed.isEmpty ? nil : suppressed
                if let baseline, !mine.isEmpty {
                    devices[d].bars[b].baseline = mine.map { BaselineFinding(invariant: $0.invariant, state: baseline($0) ? "unchanged" : "new") }
                } else {
                    devices[d].bars[b].baseline = nil
                }
            }
        }
        status = violated ? "violated" : incomplete ? "incomplete" : "clean"
    }

    /// Violated (BAR, invariant) pairs a suppression or the baseline excuses.
    public var excusedViolationCount: Int {
        devices.reduce(0) { $0 + $1.bars.reduce(0) { n, bar in n + bar.violations.count { bar.excused($0) } } }
    }

    /// Unknown (BAR, invariant) pairs a suppression or the baseline excuses.
    public var excusedUnknownCount: Int {
        devices.reduce(0) { $0 + $1.bars.reduce(0) { n, bar in n + bar.unknownInvariants.count { bar.excused($0) } } }
    }

    /// Findings excused by a suppression.
    public var suppressedCount: Int { devices.reduce(0) { $0 + $1.bars.reduce(0) { $0 + ($1.suppressed?.count ?? 0) } } }

    /// Findings excused by the baseline alone (not suppressed).
    public var baselineUnchangedCount: Int {
        devices.reduce(0) { total, device in
            total + device.bars.reduce(0) { n, bar in
                n + (bar.baseline ?? []).count { b in
                    b.state == "unchanged" && bar.violations.contains(b.invariant) && bar.suppressed?.contains { $0.invariant == b.invariant } != true
                }
            }
        }
    }
}
