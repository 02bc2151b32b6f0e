/// A change to vfio-pci's mmap or attach rules made in one mainline release, which distribution
/// kernels carry as backports into older ones (and which a patched kernel may lack). A spec on a
/// release preset names it under `features:` (`yes` adds it, `no` takes it away); the spec parser
/// turns that into the clauses it drops and adds, so the policy is the preset's with those changes
/// and names them (`linux-4.15 - msix-table-excluded`).
///
/// A release has the feature when it holds none of `before` and all of `after`.
public struct KernelFeature: Sendable, Hashable {
    public let name: String
    /// The mainline release that introduced it.
    public let since: KernelVersion
    public let summary: String
    /// The clauses of the releases before it, replaced by it (any of them the policy holds).
    public let before: [Rule]
    /// The clauses it brings.
    public let after: [Rule]
    /// What taking the feature away restores: the clauses of the release just before it.
    public let restores: [Rule]

    init(_ name: String, since: String, _ summary: String, before: [Rule], after: [Rule], restores: [Rule]? = nil) {
        guard let version = KernelVersion(since) else { preconditionFailure("bad release \(since)") }
        self.name = name
        self.since = version
        self.summary = summary
        self.before = before
        self.after = after
        self.restores = restores ?? before
    }

    /// Whether `policy` has the feature.
    public func isIn(_ policy: Policy) -> Bool {
        let rules = Set(policy.clauses.map(\.rule))
        return rules.isDisjoint(with: before) && rules.isSuperset(of: after)
    }

    /// The clauses to drop from and add to `policy` to give it the feature (`on`) or take it away;
    /// nil when it already is so, or holds neither form (then the feature does not apply to it).
    public func change(_ policy: Policy, on: Bool) -> (drop: [Rule], add: [Rule])? {
        let rules = Set(policy.clauses.map(\.rule))
        if on {
            guard !isIn(policy), !rules.isDisjoint(with: before) else { return nil }
            return (before.filter(rules.contains), after.filter { !rules.contains($0) })
        }
        guard isIn(policy) else { return nil }
        return (after, restores.filter { !rules.contains($0) })
    }

    /// The features, each with the clauses whose doc comments cite the kernel source it changed.
    public static let all: [KernelFeature] = [
        KernelFeature("msi-remap-attach", since: "4.11",
                      "type1 attach also admits a platform whose MSI irq domains all remap (irq_domain_check_msi_remap())",
                      before: [.attachBusIntrRemap], after: [.attachMSIRemap]),
        KernelFeature("msix-mappable", since: "4.16",
                      "the MSI-X table's BAR maps whole (VFIO_REGION_INFO_CAP_MSIX_MAPPABLE): no page of it is excluded",
                      before: [.msixTableExcluded], after: []),
        KernelFeature("group-msi-remap", since: "5.19",
                      "type1 attach also admits a group with one device whose IOMMU remaps interrupts",
                      before: [.attachMSIRemap], after: [.attachGroupMSIRemap]),
        KernelFeature("isolated-msi", since: "6.3",
                      "type1 and iommufd attach require every device of the group to have isolated MSIs (iommu_group_has_isolated_msi())",
                      before: [.attachGroupMSIRemap, .attachMSIRemap, .attachBusIntrRemap], after: [.attachIsolatedMSI],
                      restores: [.attachGroupMSIRemap]),
    ]

    public static func named(_ name: String) -> KernelFeature? { all.first { $0.name == name } }
}
