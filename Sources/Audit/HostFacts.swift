import PCIModel
import VFIORules

/// A fact and the file it was read from, relative to the root, so that a report can say where
/// each claim about the host comes from.
public struct Sourced<Value: Hashable & Sendable>: Hashable, Sendable {
    public var value: Value
    public var source: String

    public init(_ value: Value, source: String) {
        self.value = value
        self.source = source
    }
}

/// A value worked out from several facts, with the sentence that says why and the files it rests on.
public struct Derived<Value: Hashable & Sendable>: Hashable, Sendable {
    public var value: Value
    public var reason: String
    public var sources: [String]

    public init(_ value: Value, reason: String, sources: [String]) {
        self.value = value
        self.reason = reason
        self.sources = sources
    }
}

/// What the host says about itself beyond its PCI functions: kernel release, IOMMU groups,
/// vfio's module parameters, interrupt-remapping evidence, the PCI/IOMMU command line and
/// `resource_alignment`. Every fact keeps the file it came from; a file that does not exist
/// leaves its fact nil, one this user may not read leaves it nil and is listed in
/// ``unreadable``, and one that exists but does not read as the kernel writes it is bad input.
///
/// Kernel sources were read through the torvalds/linux history held by the search index (diffs
/// and file versions, not one checked-out release), or, where a comment says "read in" and names
/// releases, in a source tree of each of those releases; where a release is named without a tree
/// it was read in, the comment says UNVERIFIED.
public struct HostFacts: Hashable, Sendable {
    // MARK: Paths

    public static let osReleaseFile = "proc/sys/kernel/osrelease"
    public static let kernelDirectory = "sys/kernel"
    /// `iommu_groups` kset, created by `iommu_init()` (drivers/iommu/iommu.c) whenever
    /// CONFIG_IOMMU_API is built, groups or not.
    public static let iommuGroupsDirectory = "sys/kernel/iommu_groups"
    public static let iommuClassDirectory = "sys/class/iommu"
    public static let interruptsFile = "proc/interrupts"
    public static let commandLineFile = "proc/cmdline"
    /// `bus_attr_resource_alignment`, added to the PCI bus by `pci_resource_alignment_sysfs_init()`
    /// (drivers/pci/pci.c): `BUS_ATTR(resource_alignment, 0644, ...)` in 4.4.0-5.0.1, `BUS_ATTR_RW`
    /// in 5.2.1-6.18.2 (read in 4.4.0, 4.18.0, 4.19.1, 5.0.1, 5.2.1, 5.3.1, 5.4.59, 5.10.7, 5.12.9,
    /// 5.15.0, 6.1.20, 6.18.2). It reads and writes the `resource_alignment_param` that
    /// `pci=resource_alignment=` sets, so its text has that value's syntax; how each release prints
    /// it is in `resourceAlignmentValue(shown:commandLine:)`.
    public static let resourceAlignmentFile = "sys/bus/pci/resource_alignment"

    // MARK: Facts

    /// `proc/sys/kernel/osrelease`: `6.1.0-18-amd64`, `4.19.304`, `5.15.0-91-generic`.
    public var kernelRelease: Sourced<String>?
    /// Whether `sys/kernel/iommu_groups` exists: nil when that is unknown (the tree has no
    /// `sys/kernel` at all, as a fixture or a version 1 snapshot has not, or it could not be
    /// listed). Absent from a sysfs that has `sys/kernel` means the kernel has no IOMMU API.
    public var iommuGroupsDirectoryExists: Sourced<Bool>?
    /// The groups under `sys/kernel/iommu_groups`, by number.
    public var iommuGroups: [IOMMUGroup]
    /// vfio's module parameters, read from `sys/module/<module>/parameters/<name>` (present only
    /// while the module is loaded, or built in).
    public var moduleParameters: [ModuleParameter: Sourced<Bool>]
    /// `sys/class/iommu` entries: nil when the directory does not exist.
    public var iommuClassEntries: Sourced<[String]>?
    public var intelIOMMUs: [IntelIOMMU]
    public var amdIOMMUs: [AMDIOMMU]
    public var interrupts: InterruptChips?
    public var commandLine: CommandLine?
    /// `sys/bus/pci/resource_alignment`, its text and what it parses to.
    public var resourceAlignment: Sourced<String>?
    public var parsedResourceAlignment: ResourceAlignmentParameter?
    /// Fact files that exist but that this user could not read, relative to the root, sorted: the
    /// facts they hold are unknown.
    public var unreadable: [String]

    public init(kernelRelease: Sourced<String>? = nil, iommuGroupsDirectoryExists: Sourced<Bool>? = nil,
                iommuGroups: [IOMMUGroup] = [], moduleParameters: [ModuleParameter: Sourced<Bool>] = [:],
                iommuClassEntries: Sourced<[String]>? = nil, intelIOMMUs: [IntelIOMMU] = [], amdIOMMUs: [AMDIOMMU] = [],
                interrupts: InterruptChips? = nil, commandLine: CommandLine? = nil, resourceAlignment: Sourced<String>? = nil,
                parsedResourceAlignment: ResourceAlignmentParameter? = nil, unreadable: [String] = []) {
        self.kernelRelease = kernelRelease
        self.iommuGroupsDirectoryExists = iommuGroupsDirectoryExists
        self.iommuGroups = iommuGroups
        self.moduleParameters = moduleParameters
        self.iommuClassEntries = iommuClassEntries
        self.intelIOMMUs = intelIOMMUs
        self.amdIOMMUs = amdIOMMUs
        self.interrupts = interrupts
        self.commandLine = commandLine
        self.resourceAlignment = resourceAlignment
        self.parsedResourceAlignment = parsedResourceAlignment
        self.unreadable = unreadable
    }

    /// `major.minor` of ``kernelRelease``, or nil when there is none or it does not start so.
    public var kernelVersion: KernelVersion? { kernelRelease.flatMap { KernelVersion($0.value) } }

    /// The release preset covering the host's kernel, or nil with the reason (no release file, a
    /// release that is not a version, or one no preset covers, such as 6.15-6.17).
    public func kernelPreset() -> Derived<KernelRelease?> {
        guard let kernelRelease else {
            return Derived(nil, reason: "\(Self.osReleaseFile) was not read, so the kernel release is unknown", sources: [])
        }
        do {
            let preset = try KernelRelease.named(kernelRelease.value)
            return Derived(preset, reason: "kernel \(kernelRelease.value) is covered by preset linux-\(preset.name) (\(preset.range))",
                           sources: [kernelRelease.source])
        } catch {
            return Derived(nil, reason: "kernel \(kernelRelease.value): \(error)", sources: [kernelRelease.source])
        }
    }

    /// One `sys/kernel/iommu_groups/<N>` directory.
    public struct IOMMUGroup: Hashable, Sendable {
        /// The directory's name, the group number.
        public var name: String
        /// The names in `devices/` (links to each member device: PCI addresses, and other buses'
        /// device names); nil when the directory could not be listed.
        public var devices: Sourced<[String]>?
        /// `type`: the group's default domain, as `iommu_group_show_type()` (drivers/iommu/iommu.c)
        /// prints it. The attribute (commit c52c72d3dee81, "iommu: Add sysfs attribyte for domain
        /// type", as later Fixes: tags name it) came in 4.19: read absent in 4.18.0, present in
        /// 4.19.1-6.18.2, so older kernels have none. 4.19.1 and 5.0.1 print `DMA` without a newline
        /// (5.2.1 on add one).
        public var type: Sourced<IOMMUDomainType>?
        /// `reserved_regions` (`iommu_group_show_resv_regions()`: `0x%016llx 0x%016llx %s` a line).
        public var reservedRegions: Sourced<[ReservedRegion]>?

        public init(name: String, devices: Sourced<[String]>? = nil, type: Sourced<IOMMUDomainType>? = nil,
                    reservedRegions: Sourced<[ReservedRegion]>? = nil) {
            self.name = name
            self.devices = devices
            self.type = type
            self.reservedRegions = reservedRegions
        }

        /// The members that are PCI functions.
        public var pciDevices: [PCIAddress] {
            (devices?.value ?? []).compactMap { try? PCIAddress(parsing: $0) }
        }
    }

    /// `iommu_group_show_type()`'s words: `blocked`, `identity`, `unmanaged`, `DMA`, `DMA-FQ`, and
    /// `unknown` when the group has no default domain. A word this barproof does not know (a
    /// later kernel's type) is kept as ``other(_:)``.
    public enum IOMMUDomainType: Hashable, Sendable {
        case blocked, identity, unmanaged, dma, dmaFQ, noDefaultDomain
        case other(String)

        public init(word: String) {
            switch word {
            case "blocked": self = .blocked
            case "identity": self = .identity
            case "unmanaged": self = .unmanaged
            case "DMA": self = .dma
            case "DMA-FQ": self = .dmaFQ
            case "unknown": self = .noDefaultDomain
            default: self = .other(word)
            }
        }
    }

    /// One line of `reserved_regions`: inclusive range and `iommu_group_resv_type_string[]`'s
    /// word (`direct`, `direct-relaxable`, `reserved`, `msi`).
    public struct ReservedRegion: Hashable, Sendable {
        public var start: UInt64
        public var end: UInt64
        public var type: String

        public init(start: UInt64, end: UInt64, type: String) {
            self.start = start
            self.end = end
            self.type = type
        }
    }

    /// The bool module parameters that decide whether vfio may use a device without isolated
    /// MSIs, or without an IOMMU. Each is registered 0644 (`S_IRUGO | S_IWUSR`), so it can change
    /// after boot, and reads `Y` or `N` (`param_get_bool`).
    public enum ModuleParameter: String, CaseIterable, Hashable, Sendable, Comparable {
        /// `module_param_named(allow_unsafe_interrupts, ..., bool, S_IRUGO | S_IWUSR)` in
        /// drivers/vfio/vfio_iommu_type1.c (every release with type1, 3.6+).
        case type1AllowUnsafeInterrupts = "vfio_iommu_type1.allow_unsafe_interrupts"
        /// `module_param(allow_unsafe_interrupts, bool, S_IRUGO | S_IWUSR)` in
        /// drivers/iommu/iommufd/device.c, linked into `iommufd` (`iommufd-y := device.o ...`):
        /// read absent in 6.1.20 (no drivers/iommu/iommufd), present in 6.2.12, 6.3.8 and 6.18.2.
        case iommufdAllowUnsafeInterrupts = "iommufd.allow_unsafe_interrupts"
        /// `module_param_named(enable_unsafe_noiommu_mode, ..., bool, S_IRUGO | S_IWUSR)` under
        /// CONFIG_VFIO_NOIOMMU, linked into the `vfio` module: read absent in 4.4.0; in
        /// drivers/vfio/vfio.c in 4.5.7-5.15.0, container.c in 6.1.20 and 6.2.12 (built only with
        /// CONFIG_VFIO_CONTAINER), vfio_main.c in 6.3.8 and 6.18.2.
        case vfioNoIOMMUMode = "vfio.enable_unsafe_noiommu_mode"

        public var module: String { String(rawValue.prefix { $0 != "." }) }
        public var name: String { String(rawValue.drop { $0 != "." }.dropFirst()) }
        public var path: String { "sys/module/\(module)/parameters/\(name)" }

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// An Intel VT-d unit, `sys/class/iommu/dmar<N>/intel-iommu/`.
    public struct IntelIOMMU: Hashable, Sendable {
        public var name: String
        /// `ecap`, the Extended Capability Register, as `ecap_show()` prints it (`%llx`, no `0x`).
        public var ecap: Sourced<UInt64>?

        public init(name: String, ecap: Sourced<UInt64>? = nil) {
            self.name = name
            self.ecap = ecap
        }

        /// `ecap_ir_support(e)`, `((e) >> 3) & 0x1` (include/linux/intel-iommu.h, later
        /// drivers/iommu/intel/iommu.h): the hardware can remap interrupts. Capability, not
        /// enablement: `intremap=off` leaves the bit set.
        public var interruptRemappingCapable: Bool? { ecap.map { $0.value >> 3 & 1 == 1 } }
    }

    /// An AMD-Vi unit, `sys/class/iommu/ivhd<N>/amd-iommu/`.
    ///
    /// `features` prints the Extended Feature Register: `%llx` in older kernels, then
    /// `%llx:%llx` (`features2:features`, and in later kernels `efr:efr2`: the order changed).
    /// No EFR bit says that interrupt remapping is supported or on (AMD-Vi's remapping is
    /// described by the IVRS table and enabled by the driver), so the file is used only as
    /// evidence that an AMD IOMMU is present.
    public struct AMDIOMMU: Hashable, Sendable {
        public var name: String
        /// The hex words of `features`, in the file's order.
        public var features: Sourced<[UInt64]>?

        public init(name: String, features: Sourced<[UInt64]>? = nil) {
            self.name = name
            self.features = features
        }
    }

    /// The interrupt chips `proc/interrupts` names (the field after the per-CPU counts).
    public struct InterruptChips: Hashable, Sendable {
        public var source: String
        /// Chips whose MSIs pass through interrupt remapping: `IR-` (the x86 `pci_msi_ir_controller`
        /// "IR-PCI-MSI" in arch/x86/kernel/apic/msi.c, later the `.prefix = "IR-"` of the Intel
        /// `dmar_msi_parent_ops` and AMD `amdvi_msi_parent_ops` giving `IR-PCI-MSIX-<bdf>`), and
        /// `vIR-` (a virtual IOMMU's remapping, in the kernels that had `virt_dmar_msi_parent_ops`).
        public var remapped: [String]
        /// arm64 GIC ITS chips: `ITS-MSI` (drivers/irqchip/irq-gic-v3-its-pci-msi.c) and `ITS-pMSI`
        /// (-platform-msi.c) in 4.18.0-6.3.8, `ITS-fMSI` (-fsl-mc-msi.c) in 4.18.0-6.18.2, and in
        /// 6.18.2 the per-device chips of `gic_v3_its_msi_parent_ops` (irq-gic-its-msi-parent.c,
        /// `.prefix = "ITS-"`, GICv5 `"ITS-v5-"`), such as `ITS-PCI-MSIX-<bdf>`. The ITS tags each
        /// MSI with its device ID, and irq-gic-v3-its.c flags its domain IRQ_DOMAIN_FLAG_MSI_REMAP
        /// (read in 4.18.0-6.2.12) or IRQ_DOMAIN_FLAG_ISOLATED_MSI (6.3.8, 6.18.2), which
        /// vfio_iommu_type1 checks. The one exception, the Socionext SynQuacer pre-ITS quirk
        /// (firmware property `socionext,synquacer-pre-its`), clears the flag, and `proc/interrupts`
        /// does not show it.
        public var its: [String]
        /// PCI MSI chips without a remapping prefix (`PCI-MSI`, `PCI-MSIX-<bdf>`, ...): MSIs that
        /// are not remapped.
        public var plainMSI: [String]

        public init(source: String, remapped: [String] = [], its: [String] = [], plainMSI: [String] = []) {
            self.source = source
            self.remapped = remapped
            self.its = its
            self.plainMSI = plainMSI
        }
    }

    /// The PCI, IOMMU and vfio words of `proc/cmdline` (``keptWords(of:)``) and what they say.
    public struct CommandLine: Hashable, Sendable {
        public var source: String
        /// The kept words, in command-line order.
        public var words: [String]

        public init(source: String, words: [String]) {
            self.source = source
            self.words = words
        }

        /// Every `pci=` option, each word split on `,` as `pci_setup()` does, in order.
        public var pciOptions: [String] {
            words.filter { $0.hasPrefix("pci=") }.flatMap { $0.dropFirst(4).split(separator: ",").map(String.init) }
        }

        /// The last `pci=resource_alignment=` value.
        public var resourceAlignment: String? {
            ResourceAlignmentParameter.value(inKernelCommandLine: words.joined(separator: " "))
        }

        /// `pci=realloc` (or `realloc=on`) → true, `realloc=off` → false, the last one winning.
        public var pciRealloc: Bool? {
            var value: Bool?
            for option in pciOptions {
                if option == "realloc" || option == "realloc=on" { value = true }
                if option == "realloc=off" { value = false }
            }
            return value
        }

        /// Module parameters given as `module.param=value` (a bare `module.param` is a bool set to
        /// true), `-` read as `_` in the name as `parameq()` does; the last one wins.
        public var moduleParameters: [String: String] {
            var out: [String: String] = [:]
            for word in words {
                let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0].map { $0 == "-" ? "_" : $0 })
                guard name.contains(".") else { continue }
                out[name] = parts.count == 2 ? String(parts[1]) : "1"
            }
            return out
        }

        /// A bool module parameter as the command line sets it (`kstrtobool`: y/Y/1/on, n/N/0/off),
        /// or nil when it is not given or not a bool value.
        public func bool(_ parameter: ModuleParameter) -> Bool? {
            guard let value = moduleParameters[parameter.rawValue] else { return nil }
            return HostFacts.kernelBool(value)
        }

        /// The words that leave interrupt remapping off, each as given: `intremap=off` (with no
        /// later `on`) and `nointremap` (`setup_irqremap()` / `setup_nointremap()` in
        /// drivers/iommu/irq_remapping.c, x86), and `amd_iommu=off`: `parse_amd_iommu_options()`
        /// sets `amd_iommu_disabled`, the init state machine stops in IOMMU_CMDLINE_DISABLED, so
        /// `amd_iommu_prepare()` fails and `irq_remapping_prepare()` takes no AMD remapping ops (read
        /// in drivers/iommu/amd_iommu_init.c of 4.19.1, amd/init.c of 5.10.7-6.18.2). The option is
        /// an `amd_iommu=` item that starts with `off` (6.1.20-6.18.2); 4.19.1-5.15.0 also take an
        /// `off` anywhere in the value.
        public var interruptRemappingOff: [String] {
            var off: [String] = []
            for word in words {
                if word == "nointremap" { off.append(word) }
                if word.hasPrefix("intremap=") {
                    // setup_irqremap(): each comma item, later ones overriding.
                    for item in word.dropFirst("intremap=".count).split(separator: ",") {
                        if item.hasPrefix("off") { off.append(word) }
                        if item.hasPrefix("on") { off.removeAll { $0.hasPrefix("intremap=") || $0 == "nointremap" } }
                    }
                }
                if word.hasPrefix("amd_iommu="), word.dropFirst("amd_iommu=".count).split(separator: ",").contains(where: { $0.hasPrefix("off") }) {
                    off.append(word)
                }
            }
            return off
        }

        /// The words that turn DMA translation off (`intel_iommu=off`, `amd_iommu=off`, `iommu=off`).
        /// Kept apart from ``interruptRemappingOff``: on Intel, `intel_iommu=off` disables DMA
        /// remapping only, and interrupt remapping is set up separately (`intel_prepare_irq_remapping()`).
        public var dmaTranslationOff: [String] {
            words.filter { ["intel_iommu=", "amd_iommu=", "iommu="].contains(where: $0.hasPrefix)
                && $0.split(separator: "=", maxSplits: 1).last?.split(separator: ",").contains("off") == true }
        }
    }

    /// The command-line words a snapshot and the facts keep: those that configure PCI, the IOMMU,
    /// interrupt remapping or vfio (and their module parameters), up to `--` (what follows goes to init).
    public static func keptWords(of commandLine: String) -> [String] {
        var out: [String] = []
        for word in commandLine.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            if word == "--" { break }
            if isPCIOrIOMMUParameter(String(word)) { out.append(String(word)) }
        }
        return out
    }

    /// Whether `word` configures PCI, the IOMMU, interrupt remapping or vfio.
    public static func isPCIOrIOMMUParameter(_ word: String) -> Bool {
        ["pci=", "iommu", "intel_iommu=", "amd_iommu", "vfio", "pcie_", "noiommu", "swiotlb=", "intremap=", "nointremap"]
            .contains { word.hasPrefix($0) }
    }

    /// `kstrtobool()`'s reading of a value: y/Y/1/on true, n/N/0/off false.
    static func kernelBool(_ value: String) -> Bool? {
        let v = value.lowercased()
        if v.hasPrefix("y") || v.hasPrefix("1") || v == "on" { return true }
        if v.hasPrefix("n") || v.hasPrefix("0") || v == "off" { return false }
        return nil
    }

    // MARK: Derived

    /// Whether the host's IOMMU groups exist: true when `sys/kernel/iommu_groups` has a group,
    /// false when it is empty or absent from a tree that has `sys/kernel` (vfio could then only
    /// use no-IOMMU mode), nil when unknown.
    public func iommuGroupsPresent() -> Derived<Bool?> {
        guard let exists = iommuGroupsDirectoryExists else {
            return Derived(nil, reason: "\(Self.iommuGroupsDirectory) could not be looked at (the tree has no \(Self.kernelDirectory), "
                           + "or it could not be listed), so whether the host has IOMMU groups is unknown", sources: [])
        }
        guard exists.value else {
            return Derived(false, reason: "\(Self.iommuGroupsDirectory) does not exist: the kernel has no IOMMU API, "
                           + "so vfio could only use no-IOMMU mode", sources: [exists.source])
        }
        if iommuGroups.isEmpty {
            return Derived(false, reason: "\(Self.iommuGroupsDirectory) has no groups: no device is behind an IOMMU, "
                           + "so vfio could only use no-IOMMU mode", sources: [exists.source])
        }
        return Derived(true, reason: "\(Self.iommuGroupsDirectory) has \(iommuGroups.count) group(s)", sources: [exists.source])
    }

    /// Whether MSIs are isolated: yes only on evidence that interrupt remapping (or an ITS) is in
    /// use, no only on evidence that it is off or absent, else unknown. Hardware capability alone
    /// (an `ecap` with the IR bit) is not a yes.
    public func msiIsolation() -> Derived<MSIIsolation> {
        if let chips = interrupts {
            let isolating = chips.remapped + chips.its
            if !isolating.isEmpty && chips.plainMSI.isEmpty {
                return Derived(.yes, reason: "\(chips.source) shows MSIs through remapping chips (\(isolating.joined(separator: ", "))) "
                               + "and none without", sources: [chips.source])
            }
            if !isolating.isEmpty {
                return Derived(.unknown, reason: "\(chips.source) shows MSIs both through remapping chips (\(isolating.joined(separator: ", "))) "
                               + "and without (\(chips.plainMSI.joined(separator: ", "))), so whether a given device's are isolated is unknown",
                               sources: [chips.source])
            }
        }
        if let commandLine, !commandLine.interruptRemappingOff.isEmpty {
            return Derived(.no, reason: "\(commandLine.source) turns interrupt remapping off (\(commandLine.interruptRemappingOff.joined(separator: " ")))",
                           sources: [commandLine.source])
        }
        if let chips = interrupts, !chips.plainMSI.isEmpty {
            return Derived(.no, reason: "\(chips.source) shows MSIs only through chips without remapping (\(chips.plainMSI.joined(separator: ", ")))",
                           sources: [chips.source])
        }
        let capabilities = intelIOMMUs.map(\.interruptRemappingCapable)
        if !intelIOMMUs.isEmpty, amdIOMMUs.isEmpty, capabilities.allSatisfy({ $0 == false }) {
            return Derived(.no, reason: "no Intel IOMMU (\(intelIOMMUs.map(\.name).joined(separator: ", "))) has the interrupt-remapping "
                           + "capability (ecap bit 3) and there is no AMD IOMMU", sources: intelIOMMUs.compactMap(\.ecap?.source))
        }
        var sources: [String] = []
        if let interrupts { sources.append(interrupts.source) }
        if let commandLine { sources.append(commandLine.source) }
        return Derived(.unknown, reason: "no file shows whether MSIs are remapped (\(Self.interruptsFile) names no MSI chip"
                       + (interrupts == nil ? ", or was not read" : "") + ")", sources: sources)
    }

    /// `allow_unsafe_interrupts` for `backend`: the loaded module's parameter wins (it can be
    /// written after boot), else the command line's `module.allow_unsafe_interrupts=`, else nil.
    public func allowUnsafeInterrupts(backend: Backend = .type1) -> Derived<Bool?> {
        let parameter: ModuleParameter
        switch backend {
        case .type1: parameter = .type1AllowUnsafeInterrupts
        case .iommufd: parameter = .iommufdAllowUnsafeInterrupts
        case .spapr, .noiommu:
            return Derived(nil, reason: "\(backend.rawValue) has no allow_unsafe_interrupts parameter", sources: [])
        }
        if let live = moduleParameters[parameter] {
            return Derived(live.value, reason: "\(live.source) reads \(live.value ? "Y" : "N")", sources: [live.source])
        }
        if let commandLine, let value = commandLine.bool(parameter) {
            return Derived(value, reason: "\(parameter.module) is not loaded; \(commandLine.source) sets \(parameter.rawValue)=\(value ? "1" : "0")",
                           sources: [commandLine.source])
        }
        return Derived(nil, reason: "\(parameter.path) was not read (\(parameter.module) not loaded) and the command line does not set it",
                       sources: [])
    }

    /// The backend vfio would use: type1 when the host has IOMMU groups (iommufd is possible from
    /// 6.2 but is not the default container); no-IOMMU mode only when there are no groups and
    /// `enable_unsafe_noiommu_mode` is on; nil when neither can be told.
    public func backend() -> Derived<Backend?> {
        let groups = iommuGroupsPresent()
        switch groups.value {
        case true?:
            return Derived(.type1, reason: groups.reason + ": vfio_iommu_type1 is the default backend", sources: groups.sources)
        case false?:
            let live = moduleParameters[.vfioNoIOMMUMode]
            let onLine = commandLine?.bool(.vfioNoIOMMUMode)
            if let live {
                return live.value
                    ? Derived(.noiommu, reason: groups.reason + "; \(live.source) reads Y", sources: groups.sources + [live.source])
                    : Derived(nil, reason: groups.reason + "; \(live.source) reads N, so vfio binds no device", sources: groups.sources + [live.source])
            }
            if let onLine, let commandLine {
                return onLine
                    ? Derived(.noiommu, reason: groups.reason + "; \(commandLine.source) sets vfio.enable_unsafe_noiommu_mode",
                              sources: groups.sources + [commandLine.source])
                    : Derived(nil, reason: groups.reason + "; \(commandLine.source) leaves no-IOMMU mode off", sources: groups.sources + [commandLine.source])
            }
            return Derived(nil, reason: groups.reason + "; whether no-IOMMU mode is on is unknown (vfio not loaded)", sources: groups.sources)
        case nil:
            return Derived(nil, reason: groups.reason, sources: groups.sources)
        }
    }
}

// MARK: Reading

extension HostFacts {
    /// Reads every fact from `files`. A missing file leaves its fact nil; an unreadable one
    /// (``UnreadableFile``) leaves it nil and is listed in ``unreadable``; a file that does not
    /// read as the kernel writes it throws ``AuditInputError`` naming it (and the line).
    public static func read(from files: some SysfsFiles) throws(AuditInputError) -> HostFacts {
        var reader = Reader(files: files)
        var facts = HostFacts()

        if let text = try reader.text(osReleaseFile) {
            let release = text.hasSuffix("\n") ? String(text.dropLast()) : text
            guard !release.isEmpty, !release.contains(where: { $0 == " " || $0 == "\n" || $0 == "\t" }) else {
                throw AuditInputError(file: osReleaseFile, message: "line 1: a kernel release is one word, such as 6.1.0-18-amd64")
            }
            facts.kernelRelease = Sourced(release, source: osReleaseFile)
        }

        if let groups = try reader.list(iommuGroupsDirectory) {
            facts.iommuGroupsDirectoryExists = Sourced(true, source: iommuGroupsDirectory)
            for name in groups.sorted(by: { (Int($0) ?? .max, $0) < (Int($1) ?? .max, $1) }) {
                let directory = "\(iommuGroupsDirectory)/\(name)"
                var group = IOMMUGroup(name: name)
                if let devices = try reader.list("\(directory)/devices") {
                    group.devices = Sourced(devices.sorted(), source: "\(directory)/devices")
                }
                let typePath = "\(directory)/type"
                if let text = try reader.text(typePath) {
                    let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
                    guard words.count == 1 else {
                        throw AuditInputError(file: typePath, message: "line 1: expected one word (DMA, DMA-FQ, identity, blocked, unmanaged), found \(words.count)")
                    }
                    group.type = Sourced(IOMMUDomainType(word: String(words[0])), source: typePath)
                }
                let regionsPath = "\(directory)/reserved_regions"
                if let text = try reader.text(regionsPath) {
                    group.reservedRegions = Sourced(try parseReservedRegions(text, path: regionsPath), source: regionsPath)
                }
                facts.iommuGroups.append(group)
            }
        } else if !reader.wasUnreadable(iommuGroupsDirectory), try reader.list(kernelDirectory) != nil {
            facts.iommuGroupsDirectoryExists = Sourced(false, source: iommuGroupsDirectory)
        }

        for parameter in ModuleParameter.allCases {
            guard let text = try reader.text(parameter.path) else { continue }
            switch text {
            case "Y\n", "Y": facts.moduleParameters[parameter] = Sourced(true, source: parameter.path)
            case "N\n", "N": facts.moduleParameters[parameter] = Sourced(false, source: parameter.path)
            default:
                throw AuditInputError(file: parameter.path, message: "line 1: a bool module parameter reads Y or N, not '\(text.prefix(40))'")
            }
        }

        if let entries = try reader.list(iommuClassDirectory) {
            let sorted = entries.sorted()
            facts.iommuClassEntries = Sourced(sorted, source: iommuClassDirectory)
            for name in sorted where name.hasPrefix("dmar") {
                let path = "\(iommuClassDirectory)/\(name)/intel-iommu/ecap"
                var unit = IntelIOMMU(name: name)
                if let text = try reader.text(path) {
                    guard let words = parseHexWords(text, separator: nil), words.count == 1 else {
                        throw AuditInputError(file: path, message: "line 1: expected the register in hex (as ecap_show() prints it)")
                    }
                    unit.ecap = Sourced(words[0], source: path)
                }
                facts.intelIOMMUs.append(unit)
            }
            for name in sorted where name.hasPrefix("ivhd") {
                let path = "\(iommuClassDirectory)/\(name)/amd-iommu/features"
                var unit = AMDIOMMU(name: name)
                if let text = try reader.text(path) {
                    guard let words = parseHexWords(text, separator: ":"), (1...2).contains(words.count) else {
                        throw AuditInputError(file: path, message: "line 1: expected one or two hex words separated by ':'")
                    }
                    unit.features = Sourced(words, source: path)
                }
                facts.amdIOMMUs.append(unit)
            }
        }

        if let text = try reader.text(interruptsFile) {
            facts.interrupts = try parseInterrupts(text)
        }

        if let text = try reader.text(commandLineFile) {
            facts.commandLine = CommandLine(source: commandLineFile, words: keptWords(of: text))
        }

        if let text = try reader.text(resourceAlignmentFile) {
            let value = resourceAlignmentValue(shown: text, commandLine: facts.commandLine?.resourceAlignment)
            facts.resourceAlignment = Sourced(value, source: resourceAlignmentFile)
            do {
                // The text as shown (the parser drops one trailing newline), or the value 5.4-5.12 mangled.
                facts.parsedResourceAlignment = try ResourceAlignmentParameter(parsing: text.hasSuffix("\n\0") ? value : text)
            } catch {
                throw AuditInputError(file: resourceAlignmentFile, parseError: error)
            }
        }

        facts.unreadable = reader.unreadable.sorted()
        return facts
    }

    /// The value `resource_alignment_show()` (drivers/pci/pci.c) printed as `shown`, without the
    /// newline it ends in:
    /// - 5.15.0-6.18.2 print the value and `\n` (`_store()` cuts a written value at its first `\n`).
    /// - 4.4.0-5.3.1 print the stored bytes as they are: none after a value from the command line,
    ///   the `\n` that `echo` wrote after one written to the file.
    /// - 5.4.59-5.12.9 print the stored bytes with the last replaced by `\n` and a NUL after it
    ///   (when there are two or more and the last but one is not `\n`). The replaced byte was the
    ///   `\n` of an `echo`, or the last character of a command-line value: the latter when
    ///   `commandLine` (the command line's `pci=resource_alignment=`) without its last character
    ///   is what is left. A value written without a newline has lost its last character.
    static func resourceAlignmentValue(shown text: String, commandLine: String?) -> String {
        if text.hasSuffix("\n\0") {
            let left = text.dropLast(2)
            if let commandLine, commandLine.count >= 2, commandLine.dropLast() == left { return commandLine }
            return String(left)
        }
        return text.hasSuffix("\n") ? String(text.dropLast()) : text
    }

    /// Reads through `files`, turning ``UnreadableFile`` into an entry of `unreadable`.
    struct Reader<Files: SysfsFiles> {
        var files: Files
        var unreadable: Set<String> = []

        func wasUnreadable(_ path: String) -> Bool { unreadable.contains(path) }

        mutating func text(_ path: String) throws(AuditInputError) -> String? {
            switch try files.classifiedContents(of: path) {
            case .read(let bytes): return bytes.map { String(decoding: $0, as: UTF8.self) }
            case .unreadable(let error):
                unreadable.insert(error.path)
                return nil
            }
        }

        /// A directory's names; one that cannot be listed is unreadable (its facts unknown), not
        /// bad input: these directories are world-readable in sysfs, and a copy may not be.
        mutating func list(_ path: String) throws(AuditInputError) -> [String]? {
            do {
                return try files.entries(of: path)
            } catch let error as AuditInputError {
                throw error
            } catch let error as UnreadableFile {
                unreadable.insert(error.path)
                return nil
            } catch {
                unreadable.insert(path)
                return nil
            }
        }
    }

    static func parseReservedRegions(_ text: String, path: String) throws(AuditInputError) -> [ReservedRegion] {
        var regions: [ReservedRegion] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let fields = line.split(separator: " ")
            guard fields.count == 3, let start = HexWord(text: String(fields[0]).lowercased()),
                  let end = HexWord(text: String(fields[1]).lowercased()), start <= end else {
                throw AuditInputError(file: path, message: "line \(n + 1): expected '0xSTART 0xEND TYPE' with START <= END, "
                                      + "as iommu_group_show_resv_regions() prints it")
            }
            regions.append(ReservedRegion(start: start.value, end: end.value, type: String(fields[2])))
        }
        return regions
    }

    /// Hex words (an optional `0x` each) on one line, split on `separator`, or nil.
    static func parseHexWords(_ text: String, separator: Character?) -> [UInt64]? {
        var line = Substring(text)
        if line.hasSuffix("\n") { line = line.dropLast() }
        guard !line.isEmpty, !line.contains("\n") else { return nil }
        let parts = separator.map { s in line.split(separator: s, omittingEmptySubsequences: false) } ?? [line]
        var out: [UInt64] = []
        for part in parts {
            let digits = part.hasPrefix("0x") ? part.dropFirst(2) : part
            guard !digits.isEmpty, digits.count <= 16, let value = UInt64(digits, radix: 16) else { return nil }
            out.append(value)
        }
        return out
    }

    /// `show_interrupts()` (kernel/irq/proc.c): a header of CPU names, then for each numbered IRQ
    /// its label, one count per CPU in the header, and the chip name. Other lines (`NMI:`, `LOC:`,
    /// `ERR:`, ...) have no chip and are skipped.
    static func parseInterrupts(_ text: String) throws(AuditInputError) -> InterruptChips {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let header = lines.first.map { $0.split(separator: " ") } ?? []
        let cpus = header.filter { $0.hasPrefix("CPU") }.count
        guard cpus > 0, cpus == header.count else {
            throw AuditInputError(file: interruptsFile, message: "line 1: expected the CPU header (CPU0 CPU1 ...)")
        }
        var remapped: Set<String> = [], its: Set<String> = [], plain: Set<String> = []
        for (n, line) in lines.enumerated().dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let label = fields.first, label.hasSuffix(":"), label.dropLast().allSatisfy(\.isNumber), !label.dropLast().isEmpty else {
                continue
            }
            guard fields.count > cpus, fields[1...cpus].allSatisfy({ $0.allSatisfy(\.isNumber) }) else {
                throw AuditInputError(file: interruptsFile, message: "line \(n + 1): IRQ \(label.dropLast()) does not have \(cpus) counts")
            }
            guard fields.count > cpus + 1 else { continue }
            let chip = String(fields[cpus + 1])
            if chip.hasPrefix("IR-") || chip.hasPrefix("vIR-") {
                remapped.insert(chip)
            } else if chip.hasPrefix("ITS-") {
                its.insert(chip)
            } else if chip.hasPrefix("PCI-MSI") {
                plain.insert(chip)
            }
        }
        return InterruptChips(source: interruptsFile, remapped: remapped.sorted(), its: its.sorted(), plainMSI: plain.sorted())
    }
}
