import PCIModel
import VFIORules

/// Whether an IOMMU group can be passed through under the audited kernel.
public enum GroupVerdict: String, Hashable, Sendable, Codable {
    /// Every function of the group audits clean: nothing an allowed mmap exposes breaks an invariant.
    case safe
    /// Some function breaks an invariant, or the group cannot be isolated at all.
    case unsafe
    /// Nothing is violated on what could be read, but some verdict is unknown: never a pass.
    case unknown
}

/// A change that removes what makes a group unsafe, and how barproof knows it does.
public struct Remedy: Hashable, Sendable, Codable {
    public enum Kind: String, Hashable, Sendable, Codable {
        /// `pci=resource_alignment=<shift>@<bdf>` on the kernel command line, proved on the host's
        /// shape by the prover (added by `barproof audit`, which links it; the Audit module does not).
        case resourceAlignment = "resource_alignment"
        /// `allow_unsafe_interrupts=0` for vfio_iommu_type1 (and iommufd).
        case disallowUnsafeInterrupts = "disallow_unsafe_interrupts"
        /// A kernel release whose clauses refuse what this one grants.
        case kernelRelease = "kernel_release"
        /// Turn on an IOMMU, so that the function has a group vfio can isolate.
        case enableIOMMU = "enable_iommu"
        /// Read the host as root, so that the unknown verdicts are decided.
        case readAsRoot = "read_as_root"
    }

    public var kind: Kind
    /// What to do, in words an operator acts on.
    public var action: String
    /// How barproof knows it works: `evaluated` (the audit re-run on this host with the change
    /// clears every reason), `proved` (the prover showed it for every placement of this host's
    /// shape), or `named` (a known remedy barproof does not check).
    public var evidence: String
    /// The check behind `evidence`, in words.
    public var detail: String
    /// For `resource_alignment`: the parameter's value (`16@0000:00:01.0`).
    public var value: String?

    public init(kind: Kind, action: String, evidence: String, detail: String, value: String? = nil) {
        self.kind = kind
        self.action = action
        self.evidence = evidence
        self.detail = detail
        self.value = value
    }
}

/// One IOMMU group (or the functions in none) and whether it is safe to pass through.
public struct GroupAudit: Hashable, Sendable, Codable {
    /// The group's number; nil for functions that are in no IOMMU group.
    public var group: Int?
    /// Its functions, by address.
    public var devices: [String]
    public var verdict: GroupVerdict
    /// Why the group is unsafe or unknown: one line per violated or unknown invariant, or the
    /// group-level reason (no IOMMU).
    public var reasons: [String]
    public var remedies: [Remedy]

    enum CodingKeys: String, CodingKey { case group, devices, verdict, reasons, remedies }

    public init(group: Int?, devices: [String], verdict: GroupVerdict, reasons: [String], remedies: [Remedy]) {
        self.group = group
        self.devices = devices
        self.verdict = verdict
        self.reasons = reasons
        self.remedies = remedies
    }

    /// Writes `group` as `null` for the functions in no group, rather than leaving it out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(group, forKey: .group)
        try c.encode(devices, forKey: .devices)
        try c.encode(verdict, forKey: .verdict)
        try c.encode(reasons, forKey: .reasons)
        try c.encode(remedies, forKey: .remedies)
    }
}

extension HostAudit {
    /// The groups of `devices`, each judged from its functions' audits: unsafe when some function
    /// violates an invariant or the functions are in no IOMMU group (vfio could drive them only in
    /// noiommu mode, which isolates nothing), else unknown when some verdict is unknown or a
    /// function was not read, else safe. Bridges, which vfio-pci does not bind, are listed but
    /// decide nothing; a group of bridges alone is left out.
    ///
    /// `reaudit` re-runs the audit of some functions under other options, so that each candidate
    /// remedy is evaluated on this host (its placement as read) before it is offered.
    static func groups(_ devices: [DeviceAudit], options: AuditOptions, iommuGroupsSeen: Bool,
                       reaudit: (AuditOptions, Set<String>) -> [DeviceAudit]) -> [GroupAudit] {
        var members: [Int?: [DeviceAudit]] = [:]
        for device in devices { members[device.iommuGroup, default: []].append(device) }
        let order = members.keys.sorted { ($0 ?? -1) < ($1 ?? -1) }
        var out: [GroupAudit] = []
        for key in order {
            let group = members[key] ?? []
            let bound = group.filter { $0.skipped == nil }
            guard !bound.isEmpty else { continue }
            var reasons = reasonLines(bound)
            let violated = bound.contains { d in d.bars.contains { !$0.violations.isEmpty } }
            let unknown = bound.contains { d in d.unread != nil || d.bars.contains { !$0.unknownInvariants.isEmpty } }
            var remedies: [Remedy] = []
            var verdict: GroupVerdict = violated ? .unsafe : unknown ? .unknown : .safe
            if key == nil {
                verdict = .unsafe
                reasons.insert(iommuGroupsSeen
                    ? "in no IOMMU group, though the host has groups: vfio-pci cannot isolate these functions (only noiommu mode would drive them, and it isolates nothing)"
                    : "the host has no IOMMU groups (no function has an iommu_group link): vfio could drive these functions only in noiommu mode (enable_unsafe_noiommu_mode), which cannot isolate their DMA or interrupts", at: 0)
                remedies.append(Remedy(kind: .enableIOMMU, action: "enable the platform's IOMMU (firmware, and intel_iommu=on or amd_iommu=on) so that each function gets an IOMMU group",
                                       evidence: "named", detail: "no mmap rule can make DMA without an IOMMU safe"))
            }
            if violated {
                remedies += evaluatedRemedies(for: Set(bound.map(\.address)), options: options, reaudit: reaudit)
            }
            if unknown && !violated {
                remedies.append(Remedy(kind: .readAsRoot, action: "audit as root, or a snapshot taken as root",
                                       evidence: "named", detail: "the unknown verdicts come from files this user could not read"))
            }
            out.append(GroupAudit(group: key, devices: group.map(\.address), verdict: verdict, reasons: reasons, remedies: remedies))
        }
        return out
    }

    /// One line per violated or unknown invariant of each BAR, and per function not read.
    static func reasonLines(_ devices: [DeviceAudit]) -> [String] {
        var lines: [String] = []
        for device in devices {
            if let unread = device.unread { lines.append("\(device.address) not read: \(unread)") }
            for bar in device.bars {
                for id in bar.violations {
                    var line = "\(device.address) BAR \(bar.index): \(id) violated"
                    if id == Invariant.pageExclusive.rawValue, let first = bar.foreign.first {
                        line += " (an mmap of the BAR exposes \(first.owner)"
                            + (bar.foreign.count + bar.foreignNotListed > 1 ? " and \(bar.foreign.count + bar.foreignNotListed - 1) more)" : ")")
                    } else if id == Invariant.msixNeedsFiltering.rawValue {
                        line += " (an mmap of the BAR exposes the MSI-X table, and MSIs are not isolated)"
                    }
                    lines.append(line)
                }
                for id in bar.unknownInvariants {
                    lines.append("\(device.address) BAR \(bar.index): \(id) unknown (\(bar.unknownReasons.first ?? "input not read"))")
                }
            }
        }
        return lines
    }

    /// The remedies that, applied to this host as read, leave no invariant of `addresses` violated:
    /// `allow_unsafe_interrupts=0` when it is set, and the first later kernel release (of the
    /// presets) that refuses what this one grants. Each is the audit re-run with the change.
    static func evaluatedRemedies(for addresses: Set<String>, options: AuditOptions,
                                  reaudit: (AuditOptions, Set<String>) -> [DeviceAudit]) -> [Remedy] {
        func clears(_ changed: AuditOptions) -> Bool {
            reaudit(changed, addresses).allSatisfy { d in d.bars.allSatisfy { $0.violations.isEmpty } }
        }
        var out: [Remedy] = []
        if options.allowUnsafeInterrupts != false {
            var changed = options
            changed.allowUnsafeInterrupts = false
            if clears(changed) {
                let modules = "allow_unsafe_interrupts=0 (vfio_iommu_type1, and iommufd where loaded)"
                let refusal = "vfio then refuses to attach a group whose MSIs are not isolated"
                out.append(Remedy(
                    kind: .disallowUnsafeInterrupts,
                    action: options.allowUnsafeInterrupts == nil
                        ? "keep \(modules), the default: it was not read, so make sure modprobe.d and the command line do not set it; \(refusal)"
                        : "set \(modules): \(refusal)",
                    evidence: "evaluated",
                    detail: "the audit re-run on this host under \(options.policy.label) with allow_unsafe_interrupts=0 finds no violation in the group; the group is then not passed through unless its MSIs are isolated"))
            }
        }
        if let current = KernelRelease.all.firstIndex(where: { $0.policy.name == options.policy.name }) {
            for later in KernelRelease.all[(current + 1)...] {
                var changed = options
                changed.policy = later.policy
                if clears(changed) {
                    out.append(Remedy(
                        kind: .kernelRelease, action: "run a kernel of release \(later.range) or later (\(later.policy.name))",
                        evidence: "evaluated",
                        detail: "the audit re-run on this host under \(later.policy.name) finds no violation in the group"))
                    break
                }
            }
        }
        return out
    }
}
