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
    /// The `allow_unsafe_interrupts` module parameter; nil when it could not be read (the module is
    /// not loaded and the command line does not set it), and then the rules are evaluated both ways.
    public var allowUnsafeInterrupts: Bool?
    /// Unknown verdicts (input that could not be read) are reported but do not make the audit
    /// incomplete: the exit code comes from the decided verdicts alone (`--allow-incomplete`).
    public var allowIncomplete: Bool
    /// The host facts older kernels' clauses read (``HostFact``); one not given takes the value
    /// that grants the most, so the audit reports what such a host could map.
    public var hostFacts: [HostFact: Bool]
    /// Whether the host has IOMMU groups at all (``HostFacts/iommuGroupsPresent()``); nil when
    /// not read, and then the functions' `iommu_group` links tell.
    public var iommuGroupsPresent: Bool?

    public init(policy: Policy = .mainline, pageSize: PageSize = .kib4, msiIsolation: MSIIsolation = .unknown,
                allowUnsafeInterrupts: Bool? = false, allowIncomplete: Bool = false, hostFacts: [HostFact: Bool] = [:]) {
        self.policy = policy
        self.pageSize = pageSize
        self.msiIsolation = msiIsolation
        self.allowUnsafeInterrupts = allowUnsafeInterrupts
        self.allowIncomplete = allowIncomplete
        self.hostFacts = hostFacts
    }

    /// The values of `allow_unsafe_interrupts` the rules are evaluated under: both when unknown.
    public var unsafeInterruptAssumptions: [Bool] { allowUnsafeInterrupts.map { [$0] } ?? [false, true] }
}

/// Evaluates the policy's clauses, with ``Concrete``, on every memory BAR of a host.
public enum HostAudit {
    /// The invariants the audit checks on every allowed mmap.
    public static let invariants: [Invariant] = [.pageExclusive, .msixNeedsFiltering]

    public static func run(_ host: HostInventory, options: AuditOptions) -> AuditReport {
        let resources = HostResources(host)
        var notes = host.warnings
        let gaps = host.gaps
        if let tree = gaps.iomem {
            notes.append("\(tree); claims are taken from the resource files (a BAR placed without IORESOURCE_UNSET counts as claimed)")
        }
        for own in resources.ownReservations {
            var note = "\(HostInventory.iomemFile): \(hexText(own.start))-\(hexText(own.end)) \"\(HostResources.subpageReservationName)\" "
                + "is vfio-pci's own reservation for \(own.owner) BAR \(own.barIndex) (the device is open, under a kernel with "
                + "\(PageSize(rawValue: own.pageSize)?.description ?? hexText(own.pageSize)) pages): counted as the device's"
            if own.pageSize != options.pageSize.rawValue { note += "; the audit's page size differs from the one it was made with" }
            notes.append(note)
        }
        var audits = host.devices.map { device in
            audit(device, host: host, resources: resources, options: options)
        }
        for (name, reason) in gaps.functions.sorted(by: { $0.key < $1.key }) {
            audits.append(DeviceAudit(address: name, vendorID: 0, deviceID: 0, classCode: 0, driver: nil, iommuGroup: nil,
                                      skipped: nil, findings: [], bars: [], unread: reason))
        }
        audits.sort { $0.address < $1.address }
        var report = AuditReport(policy: options.policy.label, pageSize: options.pageSize.rawValue,
                                 msiIsolation: options.msiIsolation, allowUnsafeInterrupts: options.allowUnsafeInterrupts,
                                 notes: notes, devices: audits, allowIncomplete: options.allowIncomplete)
        report.status = report.violated ? "violated" : report.incomplete ? "incomplete" : "clean"
        report.groups = groups(audits, options: options, iommuGroupsSeen: options.iommuGroupsPresent ?? host.devices.contains { $0.iommuGroup != nil }) { changed, addresses in
            host.devices.filter { addresses.contains($0.address.description) }.map {
                audit($0, host: host, resources: resources, options: changed)
            }
        }
        if report.incomplete && options.allowIncomplete {
            report.notes.append("incomplete: \(report.unknownCount) verdict\(report.unknownCount == 1 ? "" : "s") unknown"
                                + (report.unreadCount > 0 ? ", \(report.unreadCount) function\(report.unreadCount == 1 ? "" : "s") not read" : "")
                                + "; --allow-incomplete: the exit code comes from the decided verdicts only")
        }
        return report
    }

    static func audit(_ device: PCIDevice, host: HostInventory, resources: HostResources, options: AuditOptions) -> DeviceAudit {
        var result = DeviceAudit(address: device.address.description, vendorID: device.vendorID, deviceID: device.deviceID,
                                 classCode: device.classCode, driver: device.driver, iommuGroup: device.iommuGroup,
                                 skipped: nil, findings: [], bars: [])
        guard !device.isBridge else {
            result.skipped = "a bridge: vfio-pci binds only normal-header functions (vfio_pci_core_register_device)"
            return result
        }
        let directory = host.directories[device.address]
        result.msixKnown = host.gaps.msix(of: device.address) == nil
        result.msix = device.msix.map { msixLocation($0, of: device) }
        if let msix = device.msix {
            let config = directory.map { "\($0)/config" } ?? "config"
            let capability = msix.capabilityOffset.map { " (capability at \(hexText(UInt64($0))))" } ?? ""
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
        let own = resources.resources(of: device.address)
        for bar in device.bars where bar.kind.isMemory && bar.size > 0 {
            guard let target = own.first(where: { $0.index == bar.index }) else { continue }
            result.bars.append(auditBAR(target, device: device, resources: resources, options: options, gaps: host.gaps,
                                        file: directory.map { "\($0)/resource" }))
        }
        return result
    }

    /// Where the table and PBA of `msix` lie: each structure's BAR, offset and bytes, and its
    /// physical range when that BAR is implemented and placed (`bar.start + offset` on, the whole
    /// structure, even where it runs past the BAR, which a finding then reports).
    static func msixLocation(_ msix: MSIXCapability, of device: PCIDevice) -> MSIXLocation {
        func structure(bir: Int, offset: UInt32, bytes: UInt64) -> MSIXStructure {
            var out = MSIXStructure(bar: bir, offset: UInt64(offset), bytes: bytes)
            if let bar = device.bar(bir), bar.size > 0, let range = bar.resource.range {
                let (first, o1) = range.lowerBound.addingReportingOverflow(UInt64(offset))
                let (last, o2) = first.addingReportingOverflow(bytes - 1)
                if !o1, !o2 {
                    out.start = HexWord(first)
                    out.end = HexWord(last)
                }
            }
            return out
        }
        return MSIXLocation(entries: msix.entries, capabilityOffset: msix.capabilityOffset.map { HexWord(UInt64($0)) },
                            table: structure(bir: msix.tableBIR, offset: msix.tableOffset, bytes: msix.tableSize),
                            pba: structure(bir: msix.pbaBIR, offset: msix.pbaOffset, bytes: msix.pbaSize))
    }

    /// The verdicts for an mmap of the whole of `target`, under each MSI-isolation assumption.
    ///
    /// Each clause and invariant is first evaluated, with ``Concrete``, on the machine as read (a
    /// function whose MSI-X could not be read counted as having none; a hidden resource tree as no
    /// platform resources, one parent spanning everything, every placed BAR claimed). Then each
    /// answer that a missing fact could change is made `unknown`, with the gap as its reason, and
    /// every other answer stands: a verdict is unknown only when some completion of the missing
    /// facts gives another answer. Which answers a gap can change (`InputGaps` says what is missing):
    ///
    /// - **MSI-X unknown** (64-byte config, or no config). Only two clauses read MSI-X,
    ///   `msix-table-excluded` and (when MSIs are not isolated) `msix-table-excluded-unless-filtered`;
    ///   each holds without MSI-X and refuses the whole-BAR mmap when the table sits at offset 0 of
    ///   this BAR, so it is unknown where it applies, and it can only refuse more. A BAR refused by
    ///   another clause is therefore decided: not mmappable, nothing violated.
    ///   `msix-needs-filtering` needs MSIs not isolated, so it stays decided (not violated) under
    ///   the isolated assumption. Otherwise it is violated iff the mmap is allowed and a table byte
    ///   is exposed: without a clause that reads MSI-X a table at offset 0 of this BAR is exposed,
    ///   so it is unknown unless another clause refuses; with one, a table in this BAR that is
    ///   exposed is also refused, so only a table in another BAR of the function on the exposed
    ///   pages can be reached, and it is decided (not violated) when there is no such BAR.
    ///   `page-exclusive` does not read MSI-X; it is unknown only through an unknown `mmappable`.
    /// - **Resource tree unknown** (iomem addresses hidden, unreadable or empty). Claims are taken
    ///   from the resource files (not an unknown: the kernel keeps a BAR placed only when it could
    ///   insert it, and marks one it could not `IORESOURCE_UNSET`). Under `tree-consistent` no other
    ///   resource overlaps a BAR's own bytes, so the unseen platform resources matter only on the
    ///   exposed bytes outside the BAR (the rest of a sub-page BAR's page, the page head of a BAR
    ///   that does not start on a page): `page-exclusive` is unknown for a BAR whose exposed range
    ///   extends past it, and decided violated when a BAR of another function, placed per its
    ///   resource file, is exposed (a ROM or VF BAR counts only when claimed, which the hidden tree
    ///   does not tell). `subpage-reservation` (sub-page BARs only) depends on the parent window
    ///   and every claimed child of it: it is unknown unless the resources read already make it fail
    ///   (a claimed BAR on the dummy range conflicts inside any parent that contains the dummy, and
    ///   a parent that does not contain it fails the request anyway). No other clause reads the tree.
    /// - **A function's resources unknown** (its `resource` file unreadable). With the tree read,
    ///   its claimed resources appear in iomem, named by the function, and are found there; its
    ///   unclaimed ones, or all of them with the tree unknown, can lie only outside other BARs'
    ///   own bytes, so `page-exclusive` is unknown for a BAR whose exposed range extends past it.
    /// - **Config unreadable**: MSI-X unknown as above, and the header type unknown; vfio-pci binds
    ///   only normal-header functions, which can only refuse more, so `mmappable` is unknown unless
    ///   a clause refuses.
    static func auditBAR(_ target: PlacedResource, device: PCIDevice, resources: HostResources, options: AuditOptions,
                         gaps: InputGaps = InputGaps(), file: String?) -> BARAudit {
        let page = options.pageSize
        let (initial, neighbours, foreignOnExposed) = mmapAssignment(
            target, device: device, resources: resources, pageSize: page,
            offset: 0, length: page.pageUp(target.size), allowUnsafeInterrupts: options.allowUnsafeInterrupts ?? false,
            backend: .type1)
        var assignment = initial
        assignment.setHostFacts(options.hostFacts)
        let msixGap = gaps.msix(of: device.address)
        let configGap = gaps.config[device.address]
        let treeGap = gaps.iomem
        let functionsGap = gaps.unreadFunctions

        let l = Concrete()
        var verdicts: [BARVerdict] = []
        var reasons: [String] = []
        var exposed = (first: UInt64(0), last: UInt64(0))
        var tableExposed = false
        let assumptions = options.msiIsolation.assumptions.flatMap { isolated in
            options.unsafeInterruptAssumptions.map { (isolated: isolated, unsafe: $0) }
        }
        // The situation is built once: the assumptions change only its two platform truths.
        let placed = Situation.concrete(assignment, neighbours: neighbours.count, pageShift: page.shift)
        for (isolated, unsafe) in assumptions {
            assignment.truths[SituationLayout.Name.msiIsolated] = isolated
            assignment.truths[SituationLayout.Name.allowUnsafeInterrupts] = unsafe
            var s = placed
            s.platform.msiIsolated = isolated
            s.platform.allowUnsafeInterrupts = unsafe
            let x = s.exposed(l)
            exposed = (x.first, x.last)
            tableExposed = s.tableReachable(l)
            let exposedRange = x.first...x.last
            let extendsPastBAR = x.first < target.start || x.last > target.end

            // Clauses.
            let readsMSIX: (Rule) -> Bool = { $0 == .msixTableExcluded || ($0 == .msixTableExcludedUnlessFiltered && !isolated) }
            var clauses: [(id: String, rule: Rule?, value: Decided)] = []
            for clause in options.policy.clauses {
                let held = clause.rule.holds(s, l)
                var value = Decided(held)
                if let msixGap, held, readsMSIX(clause.rule) {
                    value = .unknown([msixGap])
                } else if let treeGap, clause.rule == .subpageReservation, target.size < page.rawValue {
                    // Fails on what was read only if the BARs read make it fail: ROMs and VF BARs,
                    // whose claims the hidden tree does not tell, are tried unclaimed.
                    var permissive = assignment
                    for (i, n) in neighbours.enumerated() where n.index > 5 { permissive.truths["other\(i).claimed"] = false }
                    let p = Situation.concrete(permissive, neighbours: neighbours.count, pageShift: page.shift)
                    if held || clause.rule.holds(p, l) { value = .unknown([treeGap]) }
                }
                clauses.append((clause.id, clause.rule, value))
            }
            if let configGap {
                clauses.append(("vfio-pci.normal-header", nil, .unknown([configGap])))
            }
            let mmappable = Decided.all(clauses.map(\.value))

            // page-exclusive: the foreign resources on the exposed bytes.
            let foreign = neighbours.filter { $0.owner != device.address && $0.range.overlaps(exposedRange) }
            var exclusiveIfAllowed = Decided(Invariant.pageExclusive.violated(s, l))
            if let treeGap {
                if foreign.contains(where: { $0.owner != nil && $0.index <= 5 }) {
                    exclusiveIfAllowed = .yes
                } else if extendsPastBAR || !foreign.isEmpty {
                    exclusiveIfAllowed = .unknown([treeGap])
                }
            }
            if let functionsGap, exclusiveIfAllowed.value == .no, extendsPastBAR {
                exclusiveIfAllowed = .unknown([functionsGap])
            }
            let pageExclusive = Decided.all([mmappable, exclusiveIfAllowed])

            // msix-needs-filtering.
            let filtering: Decided
            if let msixGap {
                if isolated {
                    filtering = .no
                } else {
                    let guarded = options.policy.clauses.contains { readsMSIX($0.rule) }
                    let sharedPage = neighbours.contains { $0.owner == device.address && $0.index <= 5 && $0.range.overlaps(exposedRange) }
                    let others = Decided.all(clauses.filter { $0.rule.map { !readsMSIX($0) } ?? true }.map(\.value))
                    filtering = guarded && !sharedPage ? .no : Decided.all([others, .unknown([msixGap])])
                }
            } else {
                filtering = Decided.all([mmappable, Decided(Invariant.msixNeedsFiltering.violated(s, l))])
            }

            let decided: [(Invariant, Decided)] = [(.pageExclusive, pageExclusive), (.msixNeedsFiltering, filtering)]
            var verdict = BARVerdict(
                msiIsolated: isolated, allowUnsafeInterrupts: unsafe, mmappable: mmappable.flag,
                refusedBy: mmappable.value == .no ? clauses.filter { $0.value.value == .no }.map(\.id) : [],
                violations: decided.filter { $0.1.value == .yes }.map(\.0.rawValue),
                unknown: decided.filter { $0.1.value == .unknown }.map(\.0.rawValue))
            if mmappable.value == .unknown {
                verdict.unknownClauses = clauses.filter { $0.value.value == .unknown }.map(\.id)
            }
            verdicts.append(verdict)
            for (_, d) in decided where d.value == .unknown {
                for reason in d.reasons where !reasons.contains(reason) { reasons.append(reason) }
            }
        }
        verdicts = BARVerdict.merged(verdicts)
        let exposedRange = exposed.first...exposed.last
        let foreign = foreignOnExposed.listed
        var pbaExposed = false
        if let msix = device.msix {
            let holders = [target] + neighbours.filter { $0.owner == device.address }
            for holder in holders where holder.index == msix.pbaBIR && UInt64(msix.pbaOffset) < holder.size {
                let first = holder.start &+ UInt64(msix.pbaOffset)
                let last = min(holder.end, first &+ msix.pbaSize &- 1)
                if first <= exposedRange.upperBound && exposedRange.lowerBound <= last { pbaExposed = true }
            }
        }
        var audit = BARAudit(index: target.index, kind: target.kind, prefetchable: target.prefetchable,
                             start: target.start, end: target.end, size: target.size,
                             exposedStart: exposed.first, exposedEnd: exposed.last, foreign: foreign,
                             msixTableExposed: tableExposed, msixPBAExposed: pbaExposed, msixKnown: msixGap == nil,
                             verdicts: verdicts, file: file, line: SysfsResourceFile.lineNumber(ofResource: target.index))
        audit.foreignNotListed = foreignOnExposed.count - foreign.count
        audit.verdict = !audit.violations.isEmpty ? "violated" : !audit.unknownInvariants.isEmpty ? "unknown" : "clean"
        audit.unknownReasons = audit.unknownInvariants.isEmpty ? [] : reasons
        return audit
    }

    /// The foreign resources listed per BAR; the rest are counted (``BARAudit/foreignNotListed``).
    public static let foreignListLimit = 16

    /// The foreign resources (other functions' and the platform's) on the bytes an mmap exposes:
    /// the first `limit` by address, then owner, and how many there are in all.
    struct ForeignOnExposed {
        var listed: [ForeignResource]
        var count: Int
    }

    /// The assignment the rules read for one mmap of `target` (`offset` and `length` as vfio-pci
    /// receives them: `pgoff << PAGE_SHIFT` and `vm_end - vm_start`), with every resource that can
    /// change the answer as a neighbour: the device's other resources, and the memory resources on
    /// the BAR's pages or on the exposed bytes. `platform.msi-isolated` is left for the caller.
    ///
    /// The clauses and invariants read a resource of another function or of the platform only
    /// through whether it overlaps the exposed bytes, whether it overlaps the sub-page dummy, whether
    /// it shares the target's parent and whether it is claimed (`subpage-reservation`,
    /// `page-exclusive`), and ``auditBAR`` also through whether it is a BAR, a ROM or VF BAR, or a
    /// platform node. Each answer is "does some such resource exist", so one resource of each
    /// combination of those facts decides the same as all of them: the neighbours are at most
    /// 48 foreign resources, whatever the number on the page (a crafted snapshot of 2,000
    /// functions sharing one range made every BAR carry 2,000 neighbours, and the audit n^2 memory).
    static func mmapAssignment(_ target: PlacedResource, device: PCIDevice, resources: HostResources, pageSize page: PageSize,
                               offset: UInt64, length: UInt64, allowUnsafeInterrupts: Bool, backend: Backend,
                               listLimit: Int = foreignListLimit) -> (Assignment, [PlacedResource], ForeignOnExposed) {
        var extent = page.pageDown(target.start)...(page.pageUp(target.end &+ 1) &- 1)
        // A request past the BAR (refused or not) exposes bytes off the BAR's pages; its resources
        // must be neighbours too. For an mmap of the whole BAR the exposed bytes lie inside `extent`.
        let exposedFirst = page.pageDown(target.start) &+ offset
        let exposedLast = exposedFirst &+ (length &- 1)
        if length > 0, exposedFirst <= exposedLast {
            extent = min(extent.lowerBound, exposedFirst)...max(extent.upperBound, exposedLast)
        }
        var neighbours = resources.resources(of: device.address).filter { $0 != target }

        // The exposed bytes and the sub-page dummy, computed as the rules compute them.
        var base = Assignment()
        base.words[SituationLayout.barNames.start] = target.start
        base.words[SituationLayout.barNames.size] = target.size
        base.words[SituationLayout.Name.mmapOffset] = offset
        base.words[SituationLayout.Name.mmapLength] = length
        let l = Concrete()
        let bare = Situation.concrete(base, neighbours: 0, pageShift: page.shift)
        let exposed = bare.exposed(l), dummy = bare.subpageReservation(l)
        let found = resources.foreign(of: target, extent: extent, exposed: (exposed.first, exposed.last),
                                      dummy: (dummy.first, dummy.last), listLimit: listLimit)
        neighbours += found.representatives

        var assignment = Assignment()
        assignment.words.reserveCapacity(13 + 3 * neighbours.count)
        assignment.truths.reserveCapacity(8 + HostFact.allCases.count + 5 * neighbours.count)
        func put(_ names: SituationLayout.ResourceNames, _ r: PlacedResource) {
            assignment.words[names.start] = r.start
            assignment.words[names.size] = r.size
            assignment.words[names.index] = UInt64(r.index)
            assignment.truths[names.memory] = r.isMemory
            assignment.truths[names.fixed] = r.fixed
            assignment.truths[names.claimed] = r.claimed
        }
        put(SituationLayout.barNames, target)
        // iomem_resource itself spans all 2^64 addresses: start 0, size 2^64 wraps to 0, and the
        // span's last byte `start + size - 1` wraps to 2^64 - 1, as the rules compute it.
        assignment.words[SituationLayout.Name.parentStart] = target.parent?.start ?? 0
        assignment.words[SituationLayout.Name.parentSize] = target.parent.map { $0.end &- $0.start &+ 1 } ?? 0
        assignment.words[SituationLayout.Name.mmapOffset] = offset
        assignment.words[SituationLayout.Name.mmapLength] = length
        if let msix = device.msix {
            assignment.truths[SituationLayout.Name.msixPresent] = true
            assignment.words[SituationLayout.Name.tableBIR] = UInt64(msix.tableBIR)
            assignment.words[SituationLayout.Name.tableOffset] = UInt64(msix.tableOffset)
            assignment.words[SituationLayout.Name.tableSize] = msix.tableSize
            assignment.words[SituationLayout.Name.pbaBIR] = UInt64(msix.pbaBIR)
            assignment.words[SituationLayout.Name.pbaOffset] = UInt64(msix.pbaOffset)
            assignment.words[SituationLayout.Name.pbaSize] = msix.pbaSize
        }
        for (i, n) in neighbours.enumerated() {
            let names = SituationLayout.neighbourNames(i)
            put(names, n)
            assignment.truths[names.sameDevice] = n.owner == device.address
            assignment.truths[names.inParent] = n.parent == target.parent
        }
        assignment.truths[SituationLayout.Name.type1] = backend == .type1
        assignment.truths[SituationLayout.Name.iommufd] = backend == .iommufd
        assignment.truths[SituationLayout.Name.spapr] = backend == .spapr
        assignment.truths[SituationLayout.Name.noiommu] = backend == .noiommu
        assignment.truths[SituationLayout.Name.allowUnsafeInterrupts] = allowUnsafeInterrupts
        return (assignment, neighbours, ForeignOnExposed(listed: found.listed, count: found.count))
    }
}

extension ResourceTree {
    /// Read without `CAP_SYS_ADMIN`: every range prints as 0.
    var hidesAddresses: Bool { !roots.isEmpty && allNodes.allSatisfy { $0.node.start == 0 && $0.node.end == 0 } }
}
