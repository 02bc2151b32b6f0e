/// A Linux release range whose vfio-pci mmap and attach rules barproof states as one policy: the
/// clauses of the catalogue (``Rule``) that release applies, in the order the kernel tests them.
///
/// Each preset names the trees its clauses were read in (every clause's own doc comment quotes
/// the code); a release between two trees read is covered only where the preset's range says so.
/// Rules a release has that no invariant here depends on (the fault-time and zap machinery of 5.8,
/// huge faults of 6.12) do not change its clause set; those presets exist so that the lifecycle
/// rules can be added to them.
public struct KernelRelease: Sendable, Hashable {
    /// The preset's name, the release specs and `barproof list` know it by (`"4.8"`).
    public let name: String
    public let first: KernelVersion
    public let last: KernelVersion
    public let summary: String
    /// The single-release trees (stable release and what was read there) the clauses were checked in.
    public let trees: [String]
    public let rules: [Rule]

    /// The preset as a policy named `linux-<name>` (clause ids such as `linux-4.8.subpage-reservation`).
    public var policy: Policy { Policy(name: "linux-" + name, summary: summary, rules: rules) }

    /// `first`-`last` as text, e.g. `4.8-4.10`.
    public var range: String { first == last ? "\(first)" : "\(first)-\(last)" }

    init(_ name: String, from first: String? = nil, through last: String, _ summary: String, trees: [String], rules: [Rule]) {
        self.name = name
        self.first = KernelVersion(first ?? name)!
        self.last = KernelVersion(last)!
        self.summary = summary
        self.trees = trees
        self.rules = rules
    }

    /// The preset covering `version`, or nil when no preset covers it.
    public static func covering(_ version: KernelVersion) -> KernelRelease? {
        all.first { $0.first <= version && version <= $0.last }
    }

    /// The preset named `text` (`"4.9"` picks the preset covering 4.9), or an error that says
    /// which presets exist.
    public static func named(_ text: String) throws(KernelReleaseError) -> KernelRelease {
        guard let version = KernelVersion(text) else { throw .notAVersion(text) }
        guard let release = covering(version) else { throw .notCovered(version) }
        return release
    }

    // The mmap path before vfio_pci_probe_mmaps (3.6-4.7), read in 4.4.121 and 4.6.2.
    private static let early: [Rule] = [.barRegionOnly, .memoryBAROnly, .minimumPageSize, .requestWithinBAR, .msixTableExcluded]
    // vfio_pci_probe_mmaps and PAGE_ALIGN (4.8+), read in 4.9.0 ... 6.18.2; mmap-configured until 6.14.
    private static let probed: [Rule] = [.enableRequiresClaimed, .barRegionOnly, .memoryBAROnly, .mmapConfigured,
                                         .subpageStartAligned, .subpageReservation, .requestWithinRoundedBAR]

    public static let all: [KernelRelease] = [
        KernelRelease("4.4", from: "3.6", through: "4.4", "3.6-4.4 (4.4 read, earlier releases taken to be alike): whole-page BARs only, MSI-X table excluded, bus INTR_REMAP at attach, no noiommu",
                      trees: ["4.4.121"],
                      rules: [.enableRequiresClaimedUnlessProbeOnly] + early + [.attachBusIntrRemap, .noNoIOMMU, .noIOMMUFD]),
        KernelRelease("4.6", from: "4.5", through: "4.7", "4.5-4.7: as 4.4, with no-IOMMU mode and the sparse-mmap capability",
                      trees: ["4.6.2"],
                      rules: [.enableRequiresClaimedUnlessProbeOnly] + early + [.attachBusIntrRemap, .noIOMMUFD]),
        KernelRelease("4.8", through: "4.10", "4.8-4.10: sub-page reservation with the MSI-X table still excluded, bus INTR_REMAP at attach",
                      trees: ["4.9.0"],
                      rules: probed + [.msixTableExcluded, .attachBusIntrRemap, .noIOMMUFD]),
        KernelRelease("4.11", through: "4.15", "4.11-4.15: as 4.8, attach by irq_domain_check_msi_remap() or bus INTR_REMAP",
                      trees: ["4.15.0"],
                      rules: probed + [.msixTableExcluded, .attachMSIRemap, .noIOMMUFD]),
        KernelRelease("4.16", through: "5.7", "4.16-5.7: MSI-X table mappable (MSIX_MAPPABLE), attach as 4.11",
                      trees: ["4.19.304", "5.4.273"],
                      rules: probed + [.attachMSIRemap, .noIOMMUFD]),
        KernelRelease("5.8", through: "5.18", "5.8-5.18: as 4.16; BAR pages inserted at fault time and zapped when decode is off",
                      trees: ["5.8.1"],
                      rules: probed + [.attachMSIRemap, .noIOMMUFD]),
        KernelRelease("5.19", through: "6.1", "5.19-6.1: attach by irq_domain_check_msi_remap() or a capable device of the group",
                      trees: ["6.1.20"],
                      rules: probed + [.attachGroupMSIRemap, .noIOMMUFD]),
        // 6.2's iommufd MSI test was not read; leaving iommufd unchecked grants more than any test
        // would, so proofs stay sound and a refutation through iommufd on 6.2 is a question, not a finding.
        KernelRelease("6.2", through: "6.2", "6.2: as 5.19 for type1; iommufd arrives (its MSI test not read: none modelled)",
                      trees: [],
                      rules: probed + [.attachGroupMSIRemap]),
        KernelRelease("6.3", through: "6.5", "6.3-6.5: isolated-MSI attach check for type1 and iommufd (at attach)",
                      trees: ["6.3.8"],
                      rules: probed + [.attachIsolatedMSI]),
        KernelRelease("6.6", through: "6.11", "6.6-6.11: as 6.3, iommufd's test at bind",
                      trees: ["6.6.9", "6.11.11"],
                      rules: probed + [.attachIsolatedMSI]),
        KernelRelease("6.12", through: "6.14", "6.12-6.14: as 6.6, with huge (PMD/PUD) faults",
                      trees: ["6.12.0"],
                      rules: probed + [.attachIsolatedMSI]),
        // Between 6.14 and 6.18 CONFIG_VFIO_PCI_MMAP gave way to pdev->non_mappable_bars (s390 ISM
        // only); the release was not read, so 6.15-6.17 have no preset.
        KernelRelease("6.18", through: "6.18", "6.18: as 6.12; s390 BARs map (only ISM devices' do not, not modelled)",
                      trees: ["6.18.2"],
                      rules: probed.filter { $0 != .mmapConfigured } + [.attachIsolatedMSI]),
    ]
}

/// A kernel version as `major.minor` (a stable sublevel or suffix is accepted and ignored:
/// presets cover whole releases).
public struct KernelVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    /// Parses `4.9`, `4.19.304`, `6.1.0-27-amd64`.
    public init?(_ text: String) {
        let numbers = text.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard numbers.count >= 2, let major = Int(numbers[0]), let minor = Int(numbers[1].prefix { $0.isNumber }),
              numbers[1].first?.isNumber == true, (2...99).contains(major), (0...99).contains(minor) else { return nil }
        self.major = major
        self.minor = minor
    }

    public var description: String { "\(major).\(minor)" }

    public static func < (a: KernelVersion, b: KernelVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
}

public enum KernelReleaseError: Error, Equatable, Sendable, CustomStringConvertible {
    case notAVersion(String)
    case notCovered(KernelVersion)

    public var description: String {
        let presets = KernelRelease.all.map(\.range).joined(separator: ", ")
        switch self {
        case let .notAVersion(text): return "'\(text)' is not a kernel release (write it as 4.9 or 6.1.20); presets: \(presets)"
        case let .notCovered(version): return "no preset covers kernel \(version) (its rules were not read); presets: \(presets)"
        }
    }
}
