import Dispatch
import PCIModel
import Synchronization

/// The audits of many hosts in one run (`barproof audit SNAPSHOT...`), schema
/// `barproof-audit-fleet` version 1: each host's `barproof-audit` document, independent of the
/// others, and one summary row per host.
public struct FleetAudit: Sendable, Encodable {
    public static let schemaName = "barproof-audit-fleet"
    public static let schemaVersion = 1

    /// One host at a glance.
    public struct Row: Hashable, Sendable, Encodable {
        public var host: String
        public var kernel: String?
        public var policy: String
        public var groupsSafe: Int
        public var groupsUnsafe: Int
        public var groupsUnknown: Int
        public var violations: Int
        public var status: String

        enum CodingKeys: String, CodingKey {
            case host, kernel, policy, violations, status
            case groupsSafe = "groups_safe", groupsUnsafe = "groups_unsafe", groupsUnknown = "groups_unknown"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(host, forKey: .host)
            try c.encode(kernel, forKey: .kernel)
            try c.encode(policy, forKey: .policy)
            try c.encode(groupsSafe, forKey: .groupsSafe)
            try c.encode(groupsUnsafe, forKey: .groupsUnsafe)
            try c.encode(groupsUnknown, forKey: .groupsUnknown)
            try c.encode(violations, forKey: .violations)
            try c.encode(status, forKey: .status)
        }
    }

    public var barproofVersion: String
    public var hosts: [AuditReport]
    public var summary: [Row]
    /// The hosts' documents as their workers wrote them, in host order, written in place of
    /// ``hosts`` when set: a fleet's reports are encoded in parallel, not one after another.
    public var hostDocuments: [any Encodable & Sendable]?

    public init(_ hosts: [AuditReport], barproofVersion: String) {
        self.barproofVersion = barproofVersion
        self.hosts = hosts
        summary = hosts.map { r in
            Row(host: r.host ?? "host", kernel: r.facts.first { $0.name == "kernel_release" }?.value, policy: r.policy,
                groupsSafe: r.groups.count { $0.verdict == .safe }, groupsUnsafe: r.groups.count { $0.verdict == .unsafe },
                groupsUnknown: r.groups.count { $0.verdict == .unknown }, violations: r.violationCount, status: r.status)
        }
    }

    /// 1 when any host violates an invariant, else 2 when any is incomplete (and not allowed),
    /// else 0: the worst host decides, as one audit's worst BAR does.
    public var exitCode: Int32 {
        let codes = hosts.map(\.exitCode)
        return codes.contains(1) ? 1 : codes.contains(2) ? 2 : 0
    }

    public var status: String {
        hosts.contains { $0.violated } ? "violated" : hosts.contains { $0.incomplete } ? "incomplete" : "clean"
    }

    enum CodingKeys: String, CodingKey {
        case schema, hosts, summary, status
        case schemaVersion = "schema_version", barproofVersion = "barproof_version", exitCode = "exit_code"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.schemaName, forKey: .schema)
        try c.encode(Self.schemaVersion, forKey: .schemaVersion)
        try c.encode(barproofVersion, forKey: .barproofVersion)
        if let hostDocuments {
            var list = c.nestedUnkeyedContainer(forKey: .hosts)
            for document in hostDocuments { try list.encode(document) }
        } else {
            try c.encode(hosts, forKey: .hosts)
        }
        try c.encode(summary, forKey: .summary)
        try c.encode(status, forKey: .status)
        try c.encode(Int(exitCode), forKey: .exitCode)
    }

    /// The summary table, then each host's unsafe and unknown groups with their first reason and
    /// remedy. Control characters from the input are escaped.
    public var text: String {
        var out = ["barproof audit: \(hosts.count) hosts", ""]
        let rows = summary.map { r in
            [r.host, r.kernel ?? "-", r.policy, "\(r.groupsSafe)", "\(r.groupsUnsafe)", "\(r.groupsUnknown)", "\(r.violations)", r.status]
        }
        out += table(["host", "kernel", "policy", "safe", "unsafe", "unknown", "violations", "status"], rows)
        for report in hosts {
            let flagged = report.groups.filter { $0.verdict != .safe }
            guard !flagged.isEmpty else { continue }
            out.append("")
            out.append("\(report.host ?? "host"):")
            for group in flagged {
                out.append("  \(group.group.map { "group \($0)" } ?? "no group") (\(group.devices.joined(separator: ", "))): \(group.verdict.rawValue)")
                for reason in group.reasons.prefix(3) { out.append("    because \(reason)") }
                if group.reasons.count > 3 { out.append("    ... and \(group.reasons.count - 3) more") }
                for remedy in group.remedies { out.append("    remedy (\(remedy.evidence)): \(remedy.action)") }
            }
        }
        out.append("")
        let violated = hosts.count { $0.violated }, incomplete = hosts.count { !$0.violated && $0.incomplete }
        out.append("\(violated) of \(hosts.count) hosts violate an invariant; \(incomplete) incomplete")
        return out.map(\.escapingControlCharacters).joined(separator: "\n") + "\n"
    }
}

extension FleetAudit {
    /// `body(i)` for every `i` in `0..<count` on up to `jobs` threads, the results in index order.
    /// The hosts of a fleet are independent (nothing of one is read for another), so a fleet is
    /// audited in parallel; `body` must not print, so that the output stays in input order.
    public static func map<T: Sendable>(_ count: Int, jobs: Int, _ body: @Sendable (Int) -> T) -> [T] {
        guard count > 0 else { return [] }
        let results = Mutex<[T?]>(Array(repeating: nil, count: count))
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, count))) { _ in
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < count else { return }
                let result = body(i)
                results.withLock { $0[i] = result }
            }
        }
        return results.withLock { $0.compactMap { $0 } }
    }
}
