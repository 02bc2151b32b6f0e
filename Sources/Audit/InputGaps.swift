import PCIModel

/// A file that exists but that this user may not read (`EACCES`, `EPERM`). Unlike a missing or
/// malformed file (bad input, exit 65), it makes the audit incomplete: the verdicts that need it
/// are `unknown` (exit 2), and `barproof audit` says to run as root or audit a snapshot taken as root.
public struct UnreadableFile: Error, Sendable, CustomStringConvertible {
    /// Relative to the audited root.
    public var path: String
    public var reason: String

    public init(path: String, reason: String = "permission denied") {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): cannot read (\(reason))" }
}

/// What the audit could not read, each gap with the sentence a report gives as the reason of the
/// verdicts it leaves undecided. Which verdicts a gap affects is decided in ``HostAudit``; the
/// gaps themselves only say what is missing.
///
/// - A config image of 64 bytes (what `read()` of sysfs `config` returns without
///   `CAP_SYS_ADMIN`: `pci_read_config` cuts unprivileged reads to the standard header) holds the
///   capability pointer at 0x34 but not the capabilities, which start at 0x40 or above: the list
///   cannot be walked, so whether the function has MSI-X, and where its table is, is unknown
///   (``capabilities``). When Status.CAP_LIST is clear, or the pointer is 0, the function has no
///   capabilities and 64 bytes are complete. Enhanced Allocation, also a capability, is not needed:
///   the audit takes fixed and EA resources from the `resource` flags (`IORESOURCE_PCI_FIXED`,
///   `IORESOURCE_PCI_EA_BEI`), which every user can read, and no clause reads them anyway.
/// - A config file that cannot be read at all (``config``): MSI-X unknown, and the header type
///   unknown (vfio-pci binds only normal-header functions).
/// - A function whose `resource` file cannot be read (``functions``): its resources are unknown.
/// - `proc/iomem` whose addresses are hidden (every range printed as 0, read without
///   `CAP_SYS_ADMIN`), that cannot be read, or that is empty (``iomem``): the resource tree is
///   unknown: parent windows, platform resources (RAM, platform devices, ...), which window holds
///   which BAR.
public struct InputGaps: Hashable, Sendable {
    /// Why the resource tree is unknown, when it is.
    public var iomem: String?
    /// Functions whose capability list could not be walked (a 64-byte config image), with why.
    public var capabilities: [PCIAddress: String]
    /// Functions whose config file could not be read at all, with why.
    public var config: [PCIAddress: String]
    /// Entries of `sys/bus/pci/devices` whose `resource` file could not be read, by entry name.
    public var functions: [String: String]

    public init(iomem: String? = nil, capabilities: [PCIAddress: String] = [:], config: [PCIAddress: String] = [:],
                functions: [String: String] = [:]) {
        self.iomem = iomem
        self.capabilities = capabilities
        self.config = config
        self.functions = functions
    }

    public var isEmpty: Bool { iomem == nil && capabilities.isEmpty && config.isEmpty && functions.isEmpty }

    /// Why the function's MSI-X capability is unknown, when it is.
    public func msix(of address: PCIAddress) -> String? { config[address] ?? capabilities[address] }

    /// Why resources of some function are unknown, when some are.
    var unreadFunctions: String? {
        guard !functions.isEmpty else { return nil }
        let names = functions.keys.sorted()
        return "the resources of \(names.joined(separator: ", ")) could not be read (\(functions[names[0]] ?? "unreadable")), "
            + "so the rest of this BAR's pages may hold one of them"
    }
}

extension ConfigSpace {
    /// The image is the 64-byte standard header and the function has a capability list, which starts
    /// past it: capabilities (MSI-X among them) cannot be read from this image.
    public var capabilityListCutOff: Bool {
        guard bytes.count == 64, headerType.layout == .normal else { return false }
        return status & 0x10 != 0 && bytes[0x34] != 0  // PCI_STATUS_CAP_LIST, PCI_CAPABILITY_LIST
    }
}

/// A three-valued answer: a verdict the input decides one way or the other, or one it leaves open,
/// with the reasons (the gaps) it is open.
struct Decided: Equatable {
    enum Value: Equatable { case yes, no, unknown }

    var value: Value
    var reasons: [String]

    static let yes = Decided(value: .yes, reasons: [])
    static let no = Decided(value: .no, reasons: [])
    static func unknown(_ reasons: [String]) -> Decided { Decided(value: .unknown, reasons: reasons) }
    init(_ flag: Bool) { self = flag ? .yes : .no }
    init(value: Value, reasons: [String]) {
        self.value = value
        self.reasons = reasons
    }

    /// Every operand holds: no as soon as one is decided no (the others do not matter then), else
    /// unknown with every open operand's reasons, else yes. Exact when the operands depend on
    /// different missing facts; where they share one the caller decides the conjunction itself.
    static func all(_ operands: [Decided]) -> Decided {
        if operands.contains(where: { $0.value == .no }) { return .no }
        let open = operands.filter { $0.value == .unknown }
        if open.isEmpty { return .yes }
        var reasons: [String] = []
        for reason in open.flatMap(\.reasons) where !reasons.contains(reason) { reasons.append(reason) }
        return .unknown(reasons)
    }

    /// The optional Boolean reports carry: nil when unknown.
    var flag: Bool? {
        switch value {
        case .yes: true
        case .no: false
        case .unknown: nil
        }
    }
}
