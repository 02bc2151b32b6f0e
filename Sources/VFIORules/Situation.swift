/// The IOMMU backend a vfio group or device is attached through.
public enum Backend: String, CaseIterable, Sendable, Codable, Hashable {
    /// `vfio_iommu_type1` (x86, arm64, ...).
    case type1
    /// `iommufd` (6.2+).
    case iommufd
    /// `vfio_iommu_spapr_tce` (POWER).
    case spapr
    /// vfio no-IOMMU mode (`enable_unsafe_noiommu_mode`).
    case noiommu
}

/// Platform facts as terms.
public struct PlatformTerms<L: Logic> {
    /// `PAGE_SIZE`.
    public var pageSize: L.Word
    /// `PAGE_SHIFT` when the page size is fixed for this query (faster encodings); nil when symbolic.
    public var pageShift: Int?
    /// The device's MSIs are filtered: an isolated-MSI irq domain on its path (≥6.3,
    /// `msi_device_has_isolated_msi`), `IOMMU_CAP_INTR_REMAP` before that.
    public var msiIsolated: L.Truth
    /// The `allow_unsafe_interrupts` module parameter (vfio_iommu_type1, and iommufd's own).
    public var allowUnsafeInterrupts: L.Truth
    /// Which backend the device is attached through; exactly one holds.
    public var type1: L.Truth
    public var iommufd: L.Truth
    public var spapr: L.Truth
    public var noiommu: L.Truth
    /// The platform may place firmware-fixed (`IORESOURCE_PCI_FIXED`) or Enhanced Allocation
    /// resources that are not naturally aligned.
    public var unalignedFixedAllowed: L.Truth
    /// The host facts older kernels' clauses read (``HostFact``), one truth each.
    public var hostFacts: [HostFact: L.Truth]

    public init(pageSize: L.Word, pageShift: Int?, msiIsolated: L.Truth, allowUnsafeInterrupts: L.Truth,
                type1: L.Truth, iommufd: L.Truth, spapr: L.Truth, noiommu: L.Truth, unalignedFixedAllowed: L.Truth,
                hostFacts: [HostFact: L.Truth]) {
        self.pageSize = pageSize
        self.pageShift = pageShift
        self.msiIsolated = msiIsolated
        self.allowUnsafeInterrupts = allowUnsafeInterrupts
        self.type1 = type1
        self.iommufd = iommufd
        self.spapr = spapr
        self.noiommu = noiommu
        self.unalignedFixedAllowed = unalignedFixedAllowed
        self.hostFacts = hostFacts
    }

    /// The truth of `fact`. Every layout sets all of them (``SituationLayout/platform(_:pageShift:word:truth:)``).
    public subscript(_ fact: HostFact) -> L.Truth {
        guard let truth = hostFacts[fact] else { preconditionFailure("platform terms without host fact \(fact.rawValue)") }
        return truth
    }
}

/// Facts of the host that the clauses of older kernels read, beside the isolation of the device's
/// own MSIs (``PlatformTerms/msiIsolated``), which is what the invariants speak of. Before 6.3 the
/// type1 attach check did not ask about the device: it asked the irq domains, the bus or the
/// group, so a device whose MSIs are not remapped could attach (``Rules/attachBusIntrRemap(_:_:)``).
///
/// Each fact is a platform variable `platform.<raw value>`; a spec fixes it or leaves it open.
public enum HostFact: String, CaseIterable, Sendable, Codable, Hashable, Comparable {
    /// At least one MSI irq domain is registered (`irq_domain_list` holds a domain for which
    /// `irq_domain_is_msi`).
    case msiDomainPresent = "msi-domain-present"
    /// Every registered MSI irq domain remaps (`irq_domain_hierarchical_is_msi_remap`); with none
    /// registered this says nothing. `irq_domain_check_msi_remap()` is true when no MSI domain is
    /// present or all of them remap.
    case msiDomainsRemap = "msi-domains-remap"
    /// `iommu_capable(bus, IOMMU_CAP_INTR_REMAP)` for the device's bus: the bus's IOMMU driver
    /// reports interrupt remapping. ARM SMMU (v2 and v3) answered true unconditionally until 4.15
    /// ("MSIs are just memory writes", `arm_smmu_capable`, read in 4.4.121 and 4.9.0), so the
    /// answer does not imply that the device's MSIs are remapped.
    case busIntrRemap = "bus-intr-remap"
    /// Some device of the IOMMU group reports `IOMMU_CAP_INTR_REMAP`
    /// (`iommu_group_for_each_dev(..., vfio_iommu_device_capable)` stops at the first that does).
    case groupIntrRemap = "group-intr-remap"
    /// `PCI_PROBE_ONLY` is set (arm/arm64 device tree `linux,pci-probe-only`, pseries): the kernel
    /// keeps the firmware's BAR assignment.
    case probeOnly = "probe-only"
    /// The host is s390, where `CONFIG_VFIO_PCI_MMAP` is off (`def_bool y if !S390`).
    case s390 = "s390"

    /// The platform variable's name.
    public var variable: String { Self.variables[self] ?? "platform.\(rawValue)" }
    private static let variables = Dictionary(uniqueKeysWithValues: allCases.map { ($0, "platform.\($0.rawValue)") })

    /// The value that lets every clause reading the fact grant the most: a witness search tries it
    /// first for an open fact.
    public var permissive: Bool {
        switch self {
        case .msiDomainPresent, .s390: false
        case .msiDomainsRemap, .busIntrRemap, .groupIntrRemap, .probeOnly: true
        }
    }

    /// How reports name the fact and its value.
    public func text(_ value: Bool) -> String {
        switch self {
        case .msiDomainPresent: value ? "an MSI irq domain is registered" : "no MSI irq domain"
        case .msiDomainsRemap: value ? "every MSI irq domain remaps" : "some MSI irq domain does not remap"
        case .busIntrRemap: value ? "the bus's IOMMU reports INTR_REMAP" : "the bus's IOMMU does not report INTR_REMAP"
        case .groupIntrRemap: value ? "a device of the group reports INTR_REMAP" : "no device of the group reports INTR_REMAP"
        case .probeOnly: value ? "PCI_PROBE_ONLY" : "not PCI_PROBE_ONLY"
        case .s390: value ? "s390" : "not s390"
        }
    }

    public static func < (a: HostFact, b: HostFact) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A resource `[start, start + size - 1]` with `size >= 1`.
public struct ResourceTerms<L: Logic> {
    public var start: L.Word
    public var size: L.Word
    public init(start: L.Word, size: L.Word) {
        self.start = start
        self.size = size
    }
}

/// A BAR (or any device resource) as the kernel's `struct resource` describes it.
public struct BARTerms<L: Logic> {
    /// The vfio region index: 0...5 for BARs, 6 for the ROM (`VFIO_PCI_ROM_REGION_INDEX`).
    public var index: L.Word
    /// `IORESOURCE_MEM` (an I/O BAR or an empty slot is not memory).
    public var isMemory: L.Truth
    /// `IORESOURCE_PCI_FIXED` or an Enhanced Allocation entry: placed by firmware, not by the
    /// PCI core's allocator.
    public var fixed: L.Truth
    /// Assigned and inserted in the kernel resource tree (`res->parent != NULL`, no `IORESOURCE_UNSET`).
    public var claimed: L.Truth
    public var resource: ResourceTerms<L>

    public init(index: L.Word, isMemory: L.Truth, fixed: L.Truth, claimed: L.Truth, resource: ResourceTerms<L>) {
        self.index = index
        self.isMemory = isMemory
        self.fixed = fixed
        self.claimed = claimed
        self.resource = resource
    }
}

/// Another resource near the target BAR: a BAR of another device, or another BAR of the same device.
public struct NeighbourTerms<L: Logic> {
    public var bar: BARTerms<L>
    /// Belongs to the device whose BAR is mmapped.
    public var sameDevice: L.Truth
    /// A child of the target's parent window; otherwise it lies elsewhere in the tree.
    public var inParent: L.Truth

    public init(bar: BARTerms<L>, sameDevice: L.Truth, inParent: L.Truth) {
        self.bar = bar
        self.sameDevice = sameDevice
        self.inParent = inParent
    }
}

/// The MSI-X capability of the device (`vfio_pci_core_enable`: `msix_bar`, `msix_offset`, `msix_size`).
public struct MSIXTerms<L: Logic> {
    public var present: L.Truth
    /// Table BIR (`PCI_MSIX_TABLE_BIR`, 0...7; 6 and 7 are reserved).
    public var tableBIR: L.Word
    /// Table offset in its BAR (`PCI_MSIX_TABLE_OFFSET`, QWORD aligned).
    public var tableOffset: L.Word
    /// `(QSIZE + 1) * 16` bytes.
    public var tableSize: L.Word
    public var pbaBIR: L.Word
    public var pbaOffset: L.Word
    /// `ceil((QSIZE + 1) / 64) * 8` bytes.
    public var pbaSize: L.Word

    public init(present: L.Truth, tableBIR: L.Word, tableOffset: L.Word, tableSize: L.Word,
                pbaBIR: L.Word, pbaOffset: L.Word, pbaSize: L.Word) {
        self.present = present
        self.tableBIR = tableBIR
        self.tableOffset = tableOffset
        self.tableSize = tableSize
        self.pbaBIR = pbaBIR
        self.pbaOffset = pbaOffset
        self.pbaSize = pbaSize
    }
}

/// An mmap of the BAR's region: `req_start = pgoff << PAGE_SHIFT`, `req_len = vm_end - vm_start`.
public struct RequestTerms<L: Logic> {
    public var offset: L.Word
    public var length: L.Word
    public init(offset: L.Word, length: L.Word) {
        self.offset = offset
        self.length = length
    }
}

/// Everything a rule looks at when it decides one mmap: the platform, the BAR being mapped,
/// its parent window in the resource tree, the request, the device's MSI-X capability, and the
/// resources around it.
public struct Situation<L: Logic> {
    public var platform: PlatformTerms<L>
    public var bar: BARTerms<L>
    public var parent: ResourceTerms<L>
    public var request: RequestTerms<L>
    public var msix: MSIXTerms<L>
    public var neighbours: [NeighbourTerms<L>]

    public init(platform: PlatformTerms<L>, bar: BARTerms<L>, parent: ResourceTerms<L>, request: RequestTerms<L>,
                msix: MSIXTerms<L>, neighbours: [NeighbourTerms<L>]) {
        self.platform = platform
        self.bar = bar
        self.parent = parent
        self.request = request
        self.msix = msix
        self.neighbours = neighbours
    }
}

// MARK: - Derived quantities, each as the kernel computes it

extension Logic {
    /// The bytes of a resource.
    public func span(_ r: ResourceTerms<Self>) -> Span<Self> {
        Span(first: r.start, last: lastByte(start: r.start, size: r.size))
    }

    /// `start + size - 1` (wrapping): the last byte of `size` bytes from `start`.
    public func lastByte(start: Word, size: Word) -> Word { add(start, sub(size, word(1))) }

    /// `x & PAGE_MASK`.
    public func pageDown(_ x: Word, _ p: PlatformTerms<Self>) -> Word {
        if let shift = p.pageShift { return pageDown(x, shift: shift) }
        return bitAnd(x, bitNot(sub(p.pageSize, word(1))))
    }

    /// `x & PAGE_MASK` for a page of `2^shift` bytes.
    public func pageDown(_ x: Word, shift: Int) -> Word { bitAnd(x, word(~((1 << UInt64(shift)) - 1))) }

    /// `PAGE_ALIGN(x)` (wraps on overflow, as in the kernel).
    public func pageUp(_ x: Word, _ p: PlatformTerms<Self>) -> Word {
        if let shift = p.pageShift { return pageUp(x, shift: shift) }
        return pageDown(add(x, sub(p.pageSize, word(1))), p)
    }

    /// `PAGE_ALIGN(x)` for a page of `2^shift` bytes (wraps on overflow). With a fixed page size the
    /// platform's page size is this same literal, so both forms build the same terms.
    public func pageUp(_ x: Word, shift: Int) -> Word {
        pageDown(add(x, sub(word(1 << UInt64(shift)), word(1))), shift: shift)
    }

    /// `!(x & ~PAGE_MASK)`.
    public func isPageAligned(_ x: Word, _ p: PlatformTerms<Self>) -> Truth {
        if let shift = p.pageShift { return lowBitsZero(x, bits: shift) }
        return isAligned(x, to: p.pageSize)
    }

    /// `NATALIGN`: a power-of-two size and a start aligned to it (standard BAR sizing).
    public func naturallyAligned(_ r: ResourceTerms<Self>) -> Truth {
        naturallyAligned(start: r.start, size: r.size)
    }
}

extension Situation {
    /// The physical bytes a granted mmap exposes. `vma_to_pfn`/`remap_pfn_range` anchor the
    /// mapping at `pci_resource_start >> PAGE_SHIFT`, so it starts at the page holding the
    /// BAR, not at the BAR itself: `[pgdn(start) + req_start, pgdn(start) + req_start + req_len)`.
    public func exposed(_ l: L) -> Span<L> {
        let base = l.add(l.pageDown(bar.resource.start, platform), request.offset)
        return Span(first: base, last: l.add(base, l.sub(request.length, l.word(1))))
    }

    /// The dummy resource vfio requests for a sub-page BAR: "vfio sub-page reserved",
    /// `[res->end + 1, res->start + PAGE_SIZE - 1]` (`vfio_pci_probe_mmaps`, 4.8+).
    public func subpageReservation(_ l: L) -> Span<L> {
        let barLast = l.span(bar.resource).last
        return Span(first: l.add(barLast, l.word(1)), last: l.add(bar.resource.start, l.sub(platform.pageSize, l.word(1))))
    }

    /// The BAR is smaller than a page.
    public func isSubpage(_ l: L) -> L.Truth { l.less(bar.resource.size, platform.pageSize) }

    /// The request overlaps the MSI-X table in BAR-offset space, as legacy `vfio_pci_mmap` tests it:
    /// `!(req_start >= msix_offset + msix_size || req_start + req_len <= msix_offset)`.
    ///
    /// In the kernel's widths: `msix_offset` is `u32` and `msix_size` `u16` (`struct vfio_pci_device`,
    /// `drivers/vfio/pci/vfio_pci_private.h`, read in 4.4.121, 4.6.2, 4.9.0 and 4.15.0), so their sum
    /// is computed as `unsigned int` and wraps at 2^32 before it meets the `u64` `req_start`: a
    /// table ending at or past BAR offset 2^32 (a 64-bit BAR over 4 GiB) has its end seen near 0,
    /// and a request starting past that wrapped end passes the test over the table.
    public func requestOverlapsTable(_ l: L) -> L.Truth {
        let tableEnd = l.truncated(l.add(msix.tableOffset, msix.tableSize), bits: 32)
        let requestEnd = l.add(request.offset, request.length)
        return l.not(l.or(l.greaterOrEqual(request.offset, tableEnd), l.lessOrEqual(requestEnd, msix.tableOffset)))
    }

    /// The bytes of the MSI-X table that a resource holding it decodes: `exists` when the table
    /// starts inside the resource, and then `span`. The table starts at `start + offset` and is cut
    /// at the resource's end (a table running past its BAR is a malformed device; only the bytes
    /// the BAR decodes count).
    public func tableBytes(in holder: ResourceTerms<L>, _ l: L) -> (exists: L.Truth, span: Span<L>) {
        let holderSpan = l.span(holder)
        let first = l.add(holder.start, msix.tableOffset)
        let room = l.sub(holderSpan.last, first)  // bytes after `first` inside the holder
        let tail = l.sub(msix.tableSize, l.word(1))
        let last = l.ite(l.lessOrEqual(tail, room), l.add(first, tail), holderSpan.last)
        return (l.less(msix.tableOffset, holder.size), Span(first: first, last: last))
    }

    /// Some byte of the device's MSI-X table lies in the exposed range: in the mmapped BAR itself
    /// when it is the table BAR, or in another BAR of the same device that shares a page with it.
    public func tableReachable(_ l: L) -> L.Truth { l.or(tableReachableCases(l).map(\.exact)) }

    /// ``tableReachable(_:)`` as one case per resource that may hold the table: the mmapped BAR,
    /// then each neighbour. The prover checks them as separate queries.
    ///
    /// For the mmapped BAR itself the test is made in offsets from the mapping's base page
    /// `pgdn(start)`, where the kernel's arithmetic lives: the mapping covers offsets
    /// `[req_start, req_start + req_len)` and the table sits at `(start & ~PAGE_MASK) + msix_offset`.
    /// This equals the physical test wherever physical addresses exist: the kernel computes page
    /// frame numbers (`(start >> PAGE_SHIFT) + pgoff`), which do not wrap at 2^64 bytes.
    ///
    /// A neighbour's table bytes lie inside the neighbour, so reaching them implies reaching the
    /// neighbour: that is the case's relaxation, which the prover refutes first.
    public func tableReachableCases(_ l: L) -> [Case<L>] {
        let ownBytes = tableBytes(in: ResourceTerms(start: l.word(0), size: bar.resource.size), l)
        let inPage = l.sub(bar.resource.start, l.pageDown(bar.resource.start, platform))
        let exposedOffsets = Span<L>(first: request.offset, last: l.add(request.offset, l.sub(request.length, l.word(1))))
        let tableOffsets = Span<L>(first: l.add(inPage, ownBytes.span.first), last: l.add(inPage, ownBytes.span.last))
        var cases = [Case<L>(l.and(msix.present, l.equal(bar.index, msix.tableBIR), ownBytes.exists,
                                   l.overlaps(exposedOffsets, tableOffsets)))]
        let x = exposed(l)
        for n in neighbours {
            let bytes = tableBytes(in: n.bar.resource, l)
            let holds = l.and(msix.present, n.sameDevice, l.equal(n.bar.index, msix.tableBIR))
            cases.append(Case(l.and(holds, bytes.exists, l.overlaps(x, bytes.span)),
                              relaxation: l.and(holds, l.overlaps(x, l.span(n.bar.resource)))))
        }
        return cases
    }

    /// Facts every situation satisfies by construction of the hardware and the kernel's encodings.
    /// They are not named in proofs because no policy or platform can change them.
    public func wellFormed(_ l: L) -> L.Truth {
        var facts: [L.Truth] = []
        let p = platform
        facts.append(l.isPowerOfTwo(p.pageSize))
        facts.append(l.greaterOrEqual(p.pageSize, l.word(4096)))
        // Exactly one backend.
        let backends = [p.type1, p.iommufd, p.spapr, p.noiommu]
        facts.append(l.or(backends))
        for i in backends.indices {
            for j in backends.indices where j > i { facts.append(l.not(l.and(backends[i], backends[j]))) }
        }
        // Resources are non-empty and end at or below 2^64 - 1 (`resource_size_t` end is inclusive).
        func resourceFacts(_ r: ResourceTerms<L>) -> L.Truth {
            l.and(l.notEqual(r.size, l.word(0)), l.addsWithoutOverflow(r.start, l.sub(r.size, l.word(1))))
        }
        facts.append(resourceFacts(bar.resource))
        facts.append(resourceFacts(parent))
        facts.append(l.lessOrEqual(bar.index, l.word(6)))
        for (i, n) in neighbours.enumerated() {
            facts.append(resourceFacts(n.bar.resource))
            facts.append(l.lessOrEqual(n.bar.index, l.word(6)))
            // A device has one resource per index.
            facts.append(l.implies(n.sameDevice, l.notEqual(n.bar.index, bar.index)))
            for m in neighbours[(i + 1)...] {
                facts.append(l.implies(l.and(n.sameDevice, m.sameDevice), l.notEqual(n.bar.index, m.bar.index)))
            }
        }
        // The request: page-granular offset (`vm_pgoff`) below the 1 TiB region window
        // (VFIO_PCI_OFFSET_SHIFT = 40), a non-empty page-granular length no larger than a
        // user address space (2^57 bytes with 5-level paging).
        facts.append(l.isPageAligned(request.offset, p))
        facts.append(l.isPageAligned(request.length, p))
        facts.append(l.notEqual(request.length, l.word(0)))
        facts.append(l.less(request.offset, l.word(1 << 40)))
        facts.append(l.lessOrEqual(request.length, l.word(1 << 57)))
        // MSI-X (include/uapi/linux/pci_regs.h): QWORD-aligned 32-bit offsets, BIR in 0...7,
        // 1...2048 entries of 16 bytes, one PBA bit per entry in QWORDs.
        let m = msix
        facts.append(l.lowBitsZero(m.tableOffset, bits: 3))
        facts.append(l.less(m.tableOffset, l.word(1 << 32)))
        facts.append(l.lowBitsZero(m.pbaOffset, bits: 3))
        facts.append(l.less(m.pbaOffset, l.word(1 << 32)))
        facts.append(l.lessOrEqual(m.tableBIR, l.word(7)))
        facts.append(l.lessOrEqual(m.pbaBIR, l.word(7)))
        facts.append(l.lowBitsZero(m.tableSize, bits: 4))
        facts.append(l.lessOrEqual(l.word(16), m.tableSize))
        facts.append(l.lessOrEqual(m.tableSize, l.word(2048 * 16)))
        let entries = l.shiftRight(m.tableSize, l.word(4))
        facts.append(l.equal(m.pbaSize, l.shiftLeft(l.shiftRight(l.add(entries, l.word(63)), l.word(6)), l.word(3))))
        return l.and(facts)
    }
}

/// One case of a disjunction the prover checks separately: the exact formula, and optionally a
/// weaker one it implies. When the relaxation is unsatisfiable, so is the case, and it is cheaper.
public struct Case<L: Logic> {
    public var exact: L.Truth
    public var relaxation: L.Truth?

    public init(_ exact: L.Truth, relaxation: L.Truth? = nil) {
        self.exact = exact
        self.relaxation = relaxation
    }

    /// The case with `extra` conjoined to both formulas.
    public func and(_ extra: L.Truth, _ l: L) -> Case<L> {
        Case(l.and(exact, extra), relaxation: relaxation.map { l.and($0, extra) })
    }
}
