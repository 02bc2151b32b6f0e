import PCIModel
import VFIORules

/// What the operator fixed for an audit (the command line's options); each value left nil is
/// taken from the host's own facts (``HostFacts``), and the report says which and from where.
public struct AuditOverrides: Sendable {
    /// The base policy (`--kernel` or `--policy`), and the option that named it.
    public var policy: Policy?
    public var policySource: String?
    /// Catalogue clauses added to the policy, and clause names removed from it.
    public var added: [Rule]
    public var dropped: [String]
    public var pageSize: PageSize?
    public var msiIsolation: MSIIsolation?
    public var allowUnsafeInterrupts: Bool?
    public var allowIncomplete: Bool
    public var hostFacts: [HostFact: Bool]

    public init(policy: Policy? = nil, policySource: String? = nil, added: [Rule] = [], dropped: [String] = [],
                pageSize: PageSize? = nil, msiIsolation: MSIIsolation? = nil, allowUnsafeInterrupts: Bool? = nil,
                allowIncomplete: Bool = false, hostFacts: [HostFact: Bool] = [:]) {
        self.policy = policy
        self.policySource = policySource
        self.added = added
        self.dropped = dropped
        self.pageSize = pageSize
        self.msiIsolation = msiIsolation
        self.allowUnsafeInterrupts = allowUnsafeInterrupts
        self.allowIncomplete = allowIncomplete
        self.hostFacts = hostFacts
    }
}

extension HostAudit {
    /// The options `host` is audited under: each override, else what the host's facts say (the
    /// preset of its kernel release, else mainline; MSI isolation as ``HostFacts/msiIsolation()``
    /// derives it; `allow_unsafe_interrupts` from the module or the command line, else the
    /// module's default, off), with one ``ReportedFact`` per choice naming its source.
    /// `defaultPageSize` is the snapshot's, or this machine's for a live tree.
    public static func options(for host: HostInventory, overrides: AuditOverrides,
                               defaultPageSize: PageSize) throws(PolicyError) -> (options: AuditOptions, facts: [ReportedFact]) {
        let facts = host.facts
        var reported: [ReportedFact] = []
        if let release = facts.kernelRelease {
            reported.append(ReportedFact(name: "kernel_release", value: release.value, source: release.source))
        }
        let named: Policy
        if let chosen = overrides.policy {
            named = chosen
            reported.append(ReportedFact(name: "policy", value: chosen.name, source: overrides.policySource ?? "option"))
        } else {
            let preset = facts.kernelPreset()
            if let release = preset.value {
                named = release.policy
                reported.append(ReportedFact(name: "policy", value: named.name, source: preset.reason))
            } else {
                named = .mainline
                reported.append(ReportedFact(name: "policy", value: "mainline",
                                             source: preset.reason + "; audited under mainline (give --kernel or --policy)"))
            }
        }
        let policy = try named.adding(overrides.added).removing(overrides.dropped)
        let isolation: MSIIsolation
        if let given = overrides.msiIsolation {
            isolation = given
            reported.append(ReportedFact(name: "msi_isolation", value: given.rawValue, source: "--msi-isolated"))
        } else {
            let derived = facts.msiIsolation()
            isolation = derived.value
            reported.append(ReportedFact(name: "msi_isolation", value: derived.value.rawValue, source: derived.reason))
        }
        let unsafe: Bool?
        if let given = overrides.allowUnsafeInterrupts {
            unsafe = given
            reported.append(ReportedFact(name: "allow_unsafe_interrupts", value: given ? "Y" : "N",
                                         source: given ? "--allow-unsafe-interrupts" : "--no-allow-unsafe-interrupts"))
        } else {
            // Not read (the module is not loaded and the command line does not set it): the value
            // it takes when vfio loads it comes from modprobe.d or the loader, which the audit does
            // not read, so both values are evaluated.
            let derived = facts.allowUnsafeInterrupts()
            unsafe = derived.value
            reported.append(ReportedFact(
                name: "allow_unsafe_interrupts", value: derived.value.map { $0 ? "Y" : "N" } ?? "unknown",
                source: derived.value == nil
                    ? derived.reason + "; evaluated both ways (the module's default is N, but modprobe.d, which is not read, may set Y)"
                    : derived.reason))
        }
        let groups = facts.iommuGroupsPresent()
        if let present = groups.value {
            reported.append(ReportedFact(name: "iommu_groups", value: present ? "\(facts.iommuGroups.count)" : "none", source: groups.reason))
        }
        let backend = facts.backend()
        if let value = backend.value {
            reported.append(ReportedFact(name: "backend", value: value.rawValue, source: backend.reason))
        }
        if let words = facts.commandLine, !words.words.isEmpty {
            reported.append(ReportedFact(name: "command_line", value: words.words.joined(separator: " "), source: words.source))
        }
        if let alignment = facts.resourceAlignment, !alignment.value.isEmpty {
            reported.append(ReportedFact(name: "resource_alignment", value: alignment.value, source: alignment.source))
        }
        var options = AuditOptions(policy: policy, pageSize: overrides.pageSize ?? defaultPageSize, msiIsolation: isolation,
                                   allowUnsafeInterrupts: unsafe, allowIncomplete: overrides.allowIncomplete,
                                   hostFacts: overrides.hostFacts)
        options.iommuGroupsPresent = groups.value
        return (options, reported)
    }

    /// Audits `host` under ``options(for:overrides:defaultPageSize:)``; the report names `host`
    /// as `name` and carries the facts that chose its options, which are returned beside it.
    public static func run(_ host: HostInventory, overrides: AuditOverrides, defaultPageSize: PageSize,
                           name: String?) throws(PolicyError) -> (report: AuditReport, options: AuditOptions) {
        let chosen = try options(for: host, overrides: overrides, defaultPageSize: defaultPageSize)
        var report = run(host, options: chosen.options)
        report.host = name
        report.facts = chosen.facts
        return (report, chosen.options)
    }
}
