import PCIModel
import VFIORules

/// What the operator says about MSI isolation (interrupt remapping / isolated MSI) on the host.
public enum MSIIsolation: String, CaseIterable, Sendable, Codable {
    case yes, no, unknown

    /// The values the rules are evaluated under: both when unknown.
    public var assumptions: [Bool] {
        switch self {
        case .yes: [true]
        case .no: [false]
        case .unknown: [true, false]
        }
    }
}

/// How to audit: the policy, the page size (the host's own, or a what-if), and the platform facts.
public struct AuditOptions: Sendable {
    public var policy: Policy
    public var pageSize: PageSize
    public var msiIsolation: MSIIsolation
    /// The `allow_unsafe_interrupts` module parameter.
    public var allowUnsafeInterrupts: Bool

    public init(policy: Policy = .mainline, pageSize: PageSize = .kib4, msiIsolation: MSIIsolation = .unknown,
                allowUnsafeInterrupts: Bool = false) {
        self.policy = policy
        self.pageSize = pageSize
        self.msiIsolation = msiIsolation
        self.allowUnsafeInterrupts = allowUnsafeInterrupts
    }
}

/// A resource of the machine other than the BAR being audited.
public struct ForeignResource: Hashable, Sendable, Codable {
    /// `0000:00:02.0 BAR 0`, `0000:00:02.0 ROM`, `0000:00:02.0 VF BAR 1`, or `iomem "name"`.
    public var owner: String
    public var start: UInt64
    /// Inclusive.
    public var end: UInt64

    public init(owner: String, start: UInt64, end: UInt64) {
        self.owner = owner
        self.start = start
        self.end = end
    }
}

/// The rules' answer for one BAR under one assumption about MSI isolation.
public struct BARVerdict: Hashable, Sendable, Codable {
    public var msiIsolated: Bool
    /// Every clause holds for an mmap of the whole BAR.
    public var mmappable: Bool
    /// The ids of the clauses that refuse it, in policy order; empty when mmappable.
    public var refusedBy: [String]
    /// The ids of the invariants an allowed mmap violates.
    public var violations: [String]
}

/// One memory BAR of a function bound (hypothetically) to vfio-pci.
public struct BARAudit: Hashable, Sendable, Codable {
    public var index: Int
    public var kind: String
    public var prefetchable: Bool
    public var start: UInt64
    /// Inclusive.
    public var end: UInt64
    public var size: UInt64
    /// The bytes an mmap of the whole BAR (offset 0, length the page-rounded size) would expose.
    public var exposedStart: UInt64
    /// Inclusive.
    public var exposedEnd: UInt64
    /// Resources of other devices (or of the platform) on the exposed pages, sorted by address.
    public var foreign: [ForeignResource]
    public var msixTableExposed: Bool
    public var msixPBAExposed: Bool
    public var verdicts: [BARVerdict]
    /// The sysfs `resource` file and line the BAR came from.
    public var file: String?
    public var line: Int

    public var mmappableUnderSomeAssumption: Bool { verdicts.contains { $0.mmappable } }
    public var violations: [String] { Array(Set(verdicts.flatMap(\.violations))).sorted() }
}

/// One PCI function.
public struct DeviceAudit: Hashable, Sendable, Codable {
    public var address: String
    public var vendorID: UInt16
    public var deviceID: UInt16
    public var classCode: UInt32
    public var driver: String?
    public var iommuGroup: Int?
    /// Why the function is not audited (a bridge, which vfio-pci refuses to bind), if so.
    public var skipped: String?
    /// Facts about the device worth a reviewer's attention that no invariant covers, such as an
    /// MSI-X table that runs past its BAR.
    public var findings: [String]
    public var bars: [BARAudit]
}

/// The audit of a whole machine.
public struct AuditReport: Hashable, Sendable, Codable {
    public var policy: String
    public var pageSize: UInt64
    public var msiIsolation: MSIIsolation
    public var allowUnsafeInterrupts: Bool
    /// Notes about the input (parser warnings, hidden iomem addresses).
    public var notes: [String]
    public var devices: [DeviceAudit]

    /// Number of (BAR, invariant) pairs violated under some assumption.
    public var violationCount: Int { devices.reduce(0) { $0 + $1.bars.reduce(0) { $0 + $1.violations.count } } }
    public var violated: Bool { violationCount > 0 }
}

/// Evaluates the policy's clauses, with ``Concrete``, on every memory BAR of a host.
public enum HostAudit {
    /// The invariants the audit checks on every allowed mmap.
    public static let invariants: [Invariant] = [.pageExclusive, .msixNeedsFiltering]

    public static func run(_ host: HostInventory, options: AuditOptions) -> AuditReport {
        let placed = PlacedResource.all(in: host)
        let pciRanges = Set(placed.map(\.range))
        var notes = host.warnings
        if host.iomem.roots.isEmpty { notes.append("\(HostInventory.iomemFile) is empty: every BAR counts as claimed and parentless") }
        let audits = host.devices.map { device in
            audit(device, host: host, placed: placed, pciRanges: pciRanges, options: options)
        }
        if host.iomem.hidesAddresses {
            notes.append("\(HostInventory.iomemFile) hides addresses (read without CAP_SYS_ADMIN): claims and parents are unknown; every BAR counts as claimed")
        }
        return AuditReport(policy: options.policy.label, pageSize: options.pageSize.rawValue,
                           msiIsolation: options.msiIsolation, allowUnsafeInterrupts: options.allowUnsafeInterrupts,
                           notes: notes, devices: audits)
    }

    static func audit(_ device: PCIDevice, host: HostInventory, placed: [PlacedResource], pciRanges: Set<ClosedRange<UInt64>>,
                      options: AuditOptions) -> DeviceAudit {
        var result = DeviceAudit(address: device.address.description, vendorID: device.vendorID, deviceID: device.deviceID,
                                 classCode: device.classCode, driver: device.driver, iommuGroup: device.iommuGroup,
                                 skipped: nil, findings: [], bars: [])
        guard !device.isBridge else {
            result.skipped = "a bridge: vfio-pci binds only normal-header functions (vfio_pci_core_register_device)"
            return result
        }
        let directory = host.directories[device.address]
        if let msix = device.msix {
            let config = directory.map { "\($0)/config" } ?? "config"
            let capability = msix.capabilityOffset.map { " (capability at 0x\(String($0, radix: 16)))" } ?? ""
            if device.msixTableBAR.map({ $0.size == 0 }) ?? true {
                result.findings.append("\(config)\(capability): the MSI-X table is in BAR \(msix.tableBIR), which is not implemented")
            } else if device.msixTableFitsBAR == false {
                result.findings.append("\(config)\(capability): the MSI-X table runs past the end of BAR \(msix.tableBIR)")
            }
            if device.msixPBABAR.map({ $0.size == 0 }) ?? true {
                result.findings.append("\(config)\(capability): the MSI-X PBA is in BAR \(msix.pbaBIR), which is not implemented")
            } else if device.msixPBAFitsBAR == false {
                result.findings.append("\(config)\(capability): the MSI-X PBA runs past the end of BAR \(msix.pbaBIR)")
            }
        }
        for bar in device.bars where bar.kind.isMemory && bar.size > 0 {
            guard let target = placed.first(where: { $0.owner == device.address && $0.index == bar.index }) else { continue }
            result.bars.append(auditBAR(target, device: device, placed: placed, pciRanges: pciRanges, iomem: host.iomem,
                                        options: options,
                                        file: directory.map { "\($0)/resource" }))
        }
        return result
    }

    static func auditBAR(_ target: PlacedResource, device: PCIDevice, placed: [PlacedResource],
                         pciRanges: Set<ClosedRange<UInt64>>, iomem: ResourceTree, options: AuditOptions,
                         file: String?) -> BARAudit {
        let page = options.pageSize
        let (initial, neighbours) = mmapAssignment(
            target, device: device, placed: placed, pciRanges: pciRanges, iomem: iomem, pageSize: page,
            offset: 0, length: page.pageUp(target.size), allowUnsafeInterrupts: options.allowUnsafeInterrupts,
            backend: .type1)
        var assignment = initial

        let l = Concrete()
        var verdicts: [BARVerdict] = []
        var exposed = (first: UInt64(0), last: UInt64(0))
        var tableExposed = false
        for isolated in options.msiIsolation.assumptions {
            assignment.truths["platform.msi-isolated"] = isolated
            let s = Situation.concrete(assignment, neighbours: neighbours.count, pageShift: page.shift)
            let refused = options.policy.clauses.filter { !$0.rule.holds(s, l) }.map(\.id)
            let violations = refused.isEmpty ? invariants.filter { $0.violated(s, l) }.map(\.rawValue) : []
            verdicts.append(BARVerdict(msiIsolated: isolated, mmappable: refused.isEmpty, refusedBy: refused,
                                       violations: violations))
            let x = s.exposed(l)
            exposed = (x.first, x.last)
            tableExposed = s.tableReachable(l)
        }
        let exposedRange = exposed.first...exposed.last
        let foreign = neighbours.filter { $0.owner != device.address && $0.range.overlaps(exposedRange) }
            .map { ForeignResource(owner: $0.label, start: $0.start, end: $0.end) }
            .sorted { ($0.start, $0.owner) < ($1.start, $1.owner) }
        var pbaExposed = false
        if let msix = device.msix {
            let holders = [target] + neighbours.filter { $0.owner == device.address }
            for holder in holders where holder.index == msix.pbaBIR && UInt64(msix.pbaOffset) < holder.size {
                let first = holder.start &+ UInt64(msix.pbaOffset)
                let last = min(holder.end, first &+ msix.pbaSize &- 1)
                if first <= exposedRange.upperBound && exposedRange.lowerBound <= last { pbaExposed = true }
            }
        }
        return BARAudit(index: target.index, kind: target.kind, prefetchable: target.prefetchable,
                        start: target.start, end: target.end, size: target.size,
                        exposedStart: exposed.first, exposedEnd: exposed.last, foreign: foreign,
                        msixTableExposed: tableExposed, msixPBAExposed: pbaExposed, verdicts: verdicts,
                        file: file, line: SysfsResourceFile.lineNumber(ofResource: target.index))
    }

    /// The assignment the rules read for one mmap of `target` (`offset` and `length` as vfio-pci
    /// receives them: `pgoff << PAGE_SHIFT` and `vm_end - vm_start`), with every resource that can
    /// change the answer as a neighbour: the device's other resources, and every memory resource on
    /// the BAR's pages or on the exposed bytes. `platform.msi-isolated` is left for the caller.
    static func mmapAssignment(_ target: PlacedResource, device: PCIDevice, placed: [PlacedResource],
                               pciRanges: Set<ClosedRange<UInt64>>, iomem: ResourceTree, pageSize page: PageSize,
                               offset: UInt64, length: UInt64, allowUnsafeInterrupts: Bool,
                               backend: Backend) -> (Assignment, [PlacedResource]) {
        var extent = page.pageDown(target.start)...(page.pageUp(target.end &+ 1) &- 1)
        // A request past the BAR (refused or not) exposes bytes off the BAR's pages; its resources
        // must be neighbours too. For an mmap of the whole BAR the exposed bytes lie inside `extent`.
        let exposedFirst = page.pageDown(target.start) &+ offset
        let exposedLast = exposedFirst &+ (length &- 1)
        if length > 0, exposedFirst <= exposedLast {
            extent = min(extent.lowerBound, exposedFirst)...max(extent.upperBound, exposedLast)
        }
        // Only same-device resources and those on these bytes can change the answer; leaving the
        // rest out keeps a large host linear per BAR.
        var neighbours = placed.filter { n in
            n != target && (n.owner == device.address || n.isMemory && n.start <= extent.upperBound && extent.lowerBound <= n.end)
        }
        neighbours += PlacedResource.platformNodes(near: target, extent: extent, iomem: iomem, pciRanges: pciRanges)

        var assignment = Assignment()
        func put(_ prefix: String, _ r: PlacedResource) {
            assignment.words["\(prefix).start"] = r.start
            assignment.words["\(prefix).size"] = r.size
            assignment.words["\(prefix).index"] = UInt64(r.index)
            assignment.truths["\(prefix).memory"] = r.isMemory
            assignment.truths["\(prefix).fixed"] = r.fixed
            assignment.truths["\(prefix).claimed"] = r.claimed
        }
        put("bar", target)
        // iomem_resource itself spans all 2^64 addresses: start 0, size 2^64 wraps to 0, and the
        // span's last byte `start + size - 1` wraps to 2^64 - 1, as the rules compute it.
        assignment.words["parent.start"] = target.parent?.start ?? 0
        assignment.words["parent.size"] = target.parent.map { $0.end &- $0.start &+ 1 } ?? 0
        assignment.words["mmap.offset"] = offset
        assignment.words["mmap.length"] = length
        if let msix = device.msix {
            assignment.truths["msix.present"] = true
            assignment.words["msix.table-bir"] = UInt64(msix.tableBIR)
            assignment.words["msix.table-offset"] = UInt64(msix.tableOffset)
            assignment.words["msix.table-size"] = msix.tableSize
            assignment.words["msix.pba-bir"] = UInt64(msix.pbaBIR)
            assignment.words["msix.pba-offset"] = UInt64(msix.pbaOffset)
            assignment.words["msix.pba-size"] = msix.pbaSize
        }
        for (i, n) in neighbours.enumerated() {
            put("other\(i)", n)
            assignment.truths["other\(i).same-device"] = n.owner == device.address
            assignment.truths["other\(i).in-parent"] = n.parent == target.parent
        }
        assignment.truths["platform.backend-type1"] = backend == .type1
        assignment.truths["platform.backend-iommufd"] = backend == .iommufd
        assignment.truths["platform.backend-spapr"] = backend == .spapr
        assignment.truths["platform.backend-noiommu"] = backend == .noiommu
        assignment.truths["platform.allow-unsafe-interrupts"] = allowUnsafeInterrupts
        return (assignment, neighbours)
    }
}

extension ResourceTree {
    /// Read without `CAP_SYS_ADMIN`: every range prints as 0.
    var hidesAddresses: Bool { !roots.isEmpty && allNodes.allSatisfy { $0.node.start == 0 && $0.node.end == 0 } }
}
