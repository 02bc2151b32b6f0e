/// The namespace of the rule functions, each written once over ``Logic``.
public enum Rules {}

/// One rule of the kernel, as a generic predicate over a ``Situation``.
public enum Rule: String, CaseIterable, Sendable, Codable {
    case enableRequiresClaimed = "enable-requires-claimed"
    case barRegionOnly = "bar-region-only"
    case memoryBAROnly = "memory-bar-only"
    case minimumPageSize = "min-page-size"
    case requestWithinBAR = "request-within-bar"
    case requestWithinRoundedBAR = "request-within-rounded-bar"
    case msixTableExcluded = "msix-table-excluded"
    case msixTableExcludedUnlessFiltered = "msix-table-excluded-unless-filtered"
    case subpageStartAligned = "subpage-start-aligned"
    case subpageReservation = "subpage-reservation"
    case attachInterruptRemapping = "attach-intr-remap"
    case attachIsolatedMSI = "attach-isolated-msi"
    case enableRequiresClaimedUnlessProbeOnly = "enable-requires-claimed-unless-probe-only"
    case attachBusIntrRemap = "attach-bus-intr-remap"
    case attachMSIRemap = "attach-msi-remap"
    case attachGroupMSIRemap = "attach-group-msi-remap"
    case noIOMMUFD = "no-iommufd"
    case noNoIOMMU = "no-noiommu"
    case mmapConfigured = "mmap-configured"

    /// Evaluates the rule on `situation`.
    public func holds<L: Logic>(_ situation: Situation<L>, _ l: L) -> L.Truth {
        switch self {
        case .enableRequiresClaimed: Rules.enableRequiresClaimed(situation, l)
        case .barRegionOnly: Rules.barRegionOnly(situation, l)
        case .memoryBAROnly: Rules.memoryBAROnly(situation, l)
        case .minimumPageSize: Rules.minimumPageSize(situation, l)
        case .requestWithinBAR: Rules.requestWithinBAR(situation, l)
        case .requestWithinRoundedBAR: Rules.requestWithinRoundedBAR(situation, l)
        case .msixTableExcluded: Rules.msixTableExcluded(situation, l)
        case .msixTableExcludedUnlessFiltered: Rules.msixTableExcludedUnlessFiltered(situation, l)
        case .subpageStartAligned: Rules.subpageStartAligned(situation, l)
        case .subpageReservation: Rules.subpageReservation(situation, l)
        case .attachInterruptRemapping: Rules.attachInterruptRemapping(situation, l)
        case .attachIsolatedMSI: Rules.attachIsolatedMSI(situation, l)
        case .enableRequiresClaimedUnlessProbeOnly: Rules.enableRequiresClaimedUnlessProbeOnly(situation, l)
        case .attachBusIntrRemap: Rules.attachBusIntrRemap(situation, l)
        case .attachMSIRemap: Rules.attachMSIRemap(situation, l)
        case .attachGroupMSIRemap: Rules.attachGroupMSIRemap(situation, l)
        case .noIOMMUFD: Rules.noIOMMUFD(situation, l)
        case .noNoIOMMU: Rules.noNoIOMMU(situation, l)
        case .mmapConfigured: Rules.mmapConfigured(situation, l)
        }
    }

    /// Which part of the mmap decision the rule is, for naming the clause a counterexample's mmap
    /// went through (a search view): the request's bound (the page-rounded one when a policy has
    /// both), the sub-page path (the reservation before the start-alignment test: a BAR that
    /// passes the one has passed the other), or the
    /// MSI-X table's exclusion when MSIs are not filtered. Nil for the rest, which grant no
    /// particular path (claims, regions, the attach checks).
    public enum Path: Int, Comparable, Sendable {
        case requestBound, roundedRequestBound, subpageStart, subpageReservation, tableUnlessFiltered

        public static func < (a: Path, b: Path) -> Bool { a.rawValue < b.rawValue }
    }

    public var path: Path? {
        switch self {
        case .requestWithinBAR: .requestBound
        case .requestWithinRoundedBAR: .roundedRequestBound
        case .subpageStartAligned: .subpageStart
        case .subpageReservation: .subpageReservation
        case .msixTableExcludedUnlessFiltered: .tableUnlessFiltered
        default: nil
        }
    }

    /// The host facts the rule reads.
    public var reads: Set<HostFact> {
        switch self {
        case .enableRequiresClaimedUnlessProbeOnly: [.probeOnly]
        case .attachBusIntrRemap: [.busIntrRemap]
        case .attachMSIRemap: [.msiDomainPresent, .msiDomainsRemap, .busIntrRemap]
        case .attachGroupMSIRemap: [.msiDomainPresent, .msiDomainsRemap, .groupIntrRemap]
        case .mmapConfigured: [.s390]
        default: []
        }
    }

    /// One line: what the rule requires.
    public var summary: String {
        switch self {
        case .enableRequiresClaimed: "the device opens only if all its BARs are assigned and claimed in the resource tree"
        case .barRegionOnly: "only BAR regions 0-5 map; ROM and VGA never do"
        case .memoryBAROnly: "only non-empty memory BARs map; I/O BARs never do"
        case .minimumPageSize: "a BAR smaller than a page never maps"
        case .requestWithinBAR: "the mmap ends within the BAR's exact length"
        case .requestWithinRoundedBAR: "the mmap ends within the BAR's page-rounded length"
        case .msixTableExcluded: "no mmap of the MSI-X BAR overlaps the table"
        case .msixTableExcludedUnlessFiltered: "no mmap of the MSI-X BAR overlaps the table unless MSIs are filtered"
        case .subpageStartAligned: "a sub-page BAR maps only if it starts on a page boundary"
        case .subpageReservation: "a sub-page BAR maps only if the rest of its page is reserved (request_resource succeeds)"
        case .attachInterruptRemapping: "type1 attach requires interrupt remapping or allow_unsafe_interrupts"
        case .attachIsolatedMSI: "type1/iommufd attach requires isolated MSI or allow_unsafe_interrupts"
        case .enableRequiresClaimedUnlessProbeOnly: "the device opens only if all its BARs are assigned and claimed, unless PCI_PROBE_ONLY (arm/arm64)"
        case .attachBusIntrRemap: "type1 attach requires the bus's IOMMU to report INTR_REMAP, or allow_unsafe_interrupts"
        case .attachMSIRemap: "type1 attach requires every MSI irq domain to remap (or none to exist), the bus's IOMMU to report INTR_REMAP, or allow_unsafe_interrupts"
        case .attachGroupMSIRemap: "type1 attach requires every MSI irq domain to remap (or none to exist), a device of the group to report INTR_REMAP, or allow_unsafe_interrupts"
        case .noIOMMUFD: "there is no iommufd backend"
        case .noNoIOMMU: "there is no no-IOMMU mode"
        case .mmapConfigured: "no BAR maps on s390 (CONFIG_VFIO_PCI_MMAP is off there)"
        }
    }

    /// The kernel function, file and releases the rule follows (the doc comment of its function
    /// in ``Rules`` quotes the code and names the trees read).
    public var source: String {
        switch self {
        case .enableRequiresClaimed: "pci_enable_resources (drivers/pci/setup-res.c) via pci_enable_device at open; all releases"
        case .barRegionOnly: "vfio_pci_mmap / vfio_pci_core_mmap: index >= VFIO_PCI_ROM_REGION_INDEX rejected; all releases"
        case .memoryBAROnly: "vfio_pci_mmap (IORESOURCE_MEM) 3.6-4.7; vfio_pci_probe_mmaps 4.8+"
        case .minimumPageSize: "vfio_pci_mmap 3.6-4.7: phys_len < PAGE_SIZE rejected"
        case .requestWithinBAR: "vfio_pci_mmap 3.6-4.7: req_start + req_len > pci_resource_len rejected"
        case .requestWithinRoundedBAR: "vfio_pci_mmap 4.8+, vfio_pci_core_mmap: phys_len = PAGE_ALIGN(pci_resource_len)"
        case .msixTableExcluded: "vfio_pci_mmap 3.6-4.15, u32 msix_offset + u16 msix_size (removed by a32295c612c5, 4.16)"
        case .msixTableExcludedUnlessFiltered: "RFC v4 6/7 (reconstructed from PowerKVM 2edb74537d44; the v4 diff was not found)"
        case .subpageStartAligned: "vfio_pci_probe_mmaps 4.8+ (05f0c03fbac1): sub-page BAR must start on a page"
        case .subpageReservation: "vfio_pci_probe_mmaps 4.8+ (05f0c03fbac1): request_resource(res->parent, dummy)"
        case .attachInterruptRemapping: "vfio_iommu_type1_attach_group before 6.3, as the legacy and RFC policies state it (the device's isolation)"
        case .attachIsolatedMSI: "vfio_iommu_type1_attach_group 6.3+ (iommu_group_has_isolated_msi); iommufd attach 6.3, bind 6.6+"
        case .enableRequiresClaimedUnlessProbeOnly: "pcibios_enable_device on arm/arm64 4.4: returns 0 under PCI_PROBE_ONLY"
        case .attachBusIntrRemap: "vfio_iommu_type1_attach_group 3.x-4.10: iommu_capable(bus, IOMMU_CAP_INTR_REMAP)"
        case .attachMSIRemap: "vfio_iommu_type1_attach_group 4.11-5.18: irq_domain_check_msi_remap() || iommu_capable(bus, ...)"
        case .attachGroupMSIRemap: "vfio_iommu_type1_attach_group 5.19-6.2: irq_domain_check_msi_remap() || a capable device in the group"
        case .noIOMMUFD: "iommufd arrives in 6.2"
        case .noNoIOMMU: "vfio no-IOMMU mode arrives in 4.5"
        case .mmapConfigured: "vfio_pci_probe_mmaps 4.8-6.14: CONFIG_VFIO_PCI_MMAP (def_bool y if !S390)"
        }
    }
}

/// A named clause of a policy: a rule as that policy states it, with a stable id such as
/// `mainline.subpage-reservation`.
public struct Clause: Hashable, Sendable, Codable {
    public let policy: String
    public let rule: Rule

    public init(policy: String, rule: Rule) {
        self.policy = policy
        self.rule = rule
    }

    /// `policy.rule`, the id proofs and specs use.
    public var id: String { "\(policy).\(rule.rawValue)" }
    /// The id without the policy prefix, as specs name clauses to drop.
    public var shortName: String { rule.rawValue }
}
