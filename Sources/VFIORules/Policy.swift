/// A vfio-pci mmap policy: the list of named clauses that must all hold for an mmap to be
/// granted. Dropping a clause grants more, so a spec can ask what each clause prevents.
public struct Policy: Hashable, Sendable {
    public let name: String
    public let summary: String
    public let clauses: [Clause]
    /// Short names of the clauses removed from the full policy, sorted.
    public let removed: [String]
    /// Short names of the catalogue clauses added to it, sorted.
    public let added: [String]

    init(name: String, summary: String, rules: [Rule]) {
        self.name = name
        self.summary = summary
        self.clauses = rules.map { Clause(policy: name, rule: $0) }
        self.removed = []
        self.added = []
    }

    private init(name: String, summary: String, clauses: [Clause], removed: [String], added: [String]) {
        self.name = name
        self.summary = summary
        self.clauses = clauses
        self.removed = removed
        self.added = added
    }

    /// vfio-pci before 4.8 (the MSI-X table exclusion lasts until 4.15).
    public static let legacy = Policy(
        name: "legacy", summary: "vfio-pci before 4.8 (MSI-X table exclusion until 4.15)",
        rules: [.enableRequiresClaimed, .barRegionOnly, .memoryBAROnly, .minimumPageSize, .requestWithinBAR,
                .msixTableExcluded, .attachInterruptRemapping, .noIOMMUFD])

    /// The 2016 RFC v4: sub-page BARs mmappable when their page is exclusive; the MSI-X table
    /// mmappable when MSIs are filtered (IOMMU_CAP_INTR_REMAP).
    public static let rfcV4 = Policy(
        name: "rfc-v4", summary: "2016 RFC v4: sub-page BARs with an exclusive page; MSI-X table when MSIs are filtered",
        rules: [.enableRequiresClaimed, .barRegionOnly, .memoryBAROnly, .subpageStartAligned, .subpageReservation,
                .requestWithinRoundedBAR, .msixTableExcludedUnlessFiltered, .attachInterruptRemapping, .noIOMMUFD])

    /// Current kernels: sub-page reservation (4.8), MSIX_MAPPABLE (4.16), isolated-MSI attach check (6.3).
    public static let mainline = Policy(
        name: "mainline", summary: "current kernels: sub-page reservation, MSIX_MAPPABLE, isolated-MSI attach check",
        rules: [.enableRequiresClaimed, .barRegionOnly, .memoryBAROnly, .subpageStartAligned, .subpageReservation,
                .requestWithinRoundedBAR, .attachIsolatedMSI])

    public static let all: [Policy] = [.legacy, .rfcV4, .mainline]

    /// The policy named `name`: `legacy`, `rfc-v4`, `mainline`, or a release preset's
    /// `linux-<release>` (``KernelRelease``).
    public static func named(_ name: String) -> Policy? {
        all.first { $0.name == name } ?? KernelRelease.all.lazy.map(\.policy).first { $0.name == name }
    }

    /// The policy with `rules` added after its own clauses, each named as this policy's
    /// (`<name>.<rule>`): a kernel with those rules added. Rules it already has are left as they are.
    public func adding(_ rules: [Rule]) -> Policy {
        let new = rules.filter { rule in !clauses.contains { $0.rule == rule } }
        return Policy(name: name, summary: summary, clauses: clauses + new.map { Clause(policy: name, rule: $0) }, removed: removed,
                      added: (added + new.map(\.rawValue)).sorted())
    }

    /// The policy without the clauses named (short names such as `subpage-reservation`, or full ids).
    public func removing(_ names: [String]) throws(PolicyError) -> Policy {
        var remaining = clauses
        var removedNow: [String] = []
        for name in names {
            guard let index = remaining.firstIndex(where: { $0.shortName == name || $0.id == name }) else {
                throw PolicyError.unknownClause(name, policy: self.name, known: clauses.map(\.shortName))
            }
            removedNow.append(remaining[index].shortName)
            remaining.remove(at: index)
        }
        return Policy(name: name, summary: summary, clauses: remaining, removed: (removed + removedNow).sorted(), added: added)
    }

    /// The policy's name with added and removed clauses, e.g. `mainline - subpage-reservation`,
    /// `linux-4.16 + msix-table-excluded`.
    public var label: String { name + added.map { " + " + $0 }.joined() + removed.map { " - " + $0 }.joined() }

    /// The host facts its clauses read, in catalogue order.
    public var readHostFacts: [HostFact] {
        let read = Set(clauses.flatMap(\.rule.reads))
        return HostFact.allCases.filter(read.contains)
    }

    /// All clauses hold: the mmap is granted.
    public func allows<L: Logic>(_ s: Situation<L>, _ l: L) -> L.Truth { l.and(clauses.map { $0.rule.holds(s, l) }) }
}

public enum PolicyError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownClause(String, policy: String, known: [String])

    public var description: String {
        switch self {
        case let .unknownClause(name, policy, known):
            "policy \(policy) has no clause '\(name)'; its clauses: \(known.joined(separator: ", "))"
        }
    }
}
