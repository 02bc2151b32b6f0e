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
        }
    }

    /// The kernel function and version the rule follows.
    public var source: String {
        switch self {
        case .enableRequiresClaimed: "pci_enable_resources (drivers/pci/setup-res.c) via vfio_pci_core_enable; all versions"
        case .barRegionOnly: "vfio_pci_mmap 3.6+, vfio_pci_core_mmap 6.x: index >= VFIO_PCI_ROM_REGION_INDEX rejected"
        case .memoryBAROnly: "vfio_pci_mmap (IORESOURCE_MEM), vfio_pci_probe_mmaps 4.8+"
        case .minimumPageSize: "vfio_pci_mmap 3.6-4.7: phys_len < PAGE_SIZE rejected"
        case .requestWithinBAR: "vfio_pci_mmap 3.6-4.7: req_start + req_len > pci_resource_len rejected"
        case .requestWithinRoundedBAR: "vfio_pci_mmap 4.8+, vfio_pci_core_mmap: phys_len = PAGE_ALIGN(pci_resource_len)"
        case .msixTableExcluded: "vfio_pci_mmap 3.6-4.15 (removed by a32295c612c5, 4.16)"
        case .msixTableExcludedUnlessFiltered: "RFC v4 6/7 (reconstructed from PowerKVM 2edb74537d44)"
        case .subpageStartAligned: "vfio_pci_probe_mmaps, 05f0c03fbac1 (4.8+)"
        case .subpageReservation: "vfio_pci_probe_mmaps, 05f0c03fbac1 (4.8+): request_resource(res->parent, dummy)"
        case .attachInterruptRemapping: "vfio_iommu_type1_attach_group, <=6.2 (pre-4.11 form UNVERIFIED)"
        case .attachIsolatedMSI: "vfio_iommu_type1_attach_group 6.3+ (6b1a7a00427c); iommufd_allow_unsafe_interrupts"
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
