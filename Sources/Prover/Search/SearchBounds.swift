import PCIModel
import VFIORules

/// What `barproof search` may build.
public struct SearchBounds: Hashable, Sendable {
    /// Most functions on the machine (``deviceRange``).
    public var devices: Int
    /// Most BARs a function implements (``barRange``).
    public var barsPerDevice: Int
    /// Most PCI-PCI bridges on the root bus (``bridgeRange``).
    public var bridges: Int
    /// Memory BAR sizes: powers of two in `minBARSize...maxBARSize` (firmware-fixed/EA BARs on a
    /// platform that allows them unaligned: any multiple of 4 bytes in the range). The default
    /// minimum is 4 KiB, the PCI specification's recommended smallest memory decode.
    public var minBARSize: UInt64
    public var maxBARSize: UInt64
    /// Where the host bridge's memory window may lie.
    public var mmio: Topology.Window
    /// `pci=resource_alignment=`, applied as the kernel applies an explicit parameter (resize).
    public var resourceAlignment: ResourceAlignmentParameter?
    /// BARs may be firmware-fixed (`IORESOURCE_PCI_FIXED`) or Enhanced Allocation entries, which
    /// keep their place: unaligned where the platform allows it, never realigned by `resource_alignment`.
    public var fixedBARs: Bool
    /// A deliberately broken allocator fact, for one test only: memory BARs at least a page, so the
    /// model leaves out the sub-page BARs real machines have (a fact too strong: no concrete
    /// re-check can notice a machine that is not built). `MachineModelAgreementTests` sets it to
    /// show that its comparison with the pair model fails when the machine model is wrong.
    /// Internal, and set by no initialiser, spec key or option: false in every run of `barproof`,
    /// where the facts read as they did without it.
    var brokenNoSubpageBARs = false

    public init(devices: Int = 4, barsPerDevice: Int = 6, bridges: Int = 1, minBARSize: UInt64 = 4096,
                maxBARSize: UInt64 = 1 << 30, mmio: Topology.Window = Topology.Window(start: 0x8000_0000, end: (1 << 48) - 1),
                resourceAlignment: ResourceAlignmentParameter? = nil, fixedBARs: Bool = true) {
        self.devices = devices
        self.barsPerDevice = barsPerDevice
        self.bridges = bridges
        self.minBARSize = minBARSize
        self.maxBARSize = maxBARSize
        self.mmio = mmio
        self.resourceAlignment = resourceAlignment
        self.fixedBARs = fixedBARs
    }

    /// The ranges the bounds may take, here once for the spec parser and ``problems``.
    public static let deviceRange = 1...24
    public static let barRange = 1...BAR.standardIndices.count
    public static let bridgeRange = 0...4
    /// PCI's smallest memory BAR: 16 bytes (the low 4 bits of a memory BAR are its type bits).
    public static let smallestBARSize: UInt64 = 16

    /// Whether `size` may bound the BAR sizes: a power of two of at least ``smallestBARSize``.
    public static func isBARSizeBound(_ size: UInt64) -> Bool { size >= smallestBARSize && size & (size - 1) == 0 }

    /// Problems with the bounds themselves, for spec errors.
    public var problems: [String] {
        var out: [String] = []
        if !Self.deviceRange.contains(devices) { out.append("devices must be \(Self.deviceRange), not \(devices)") }
        if !Self.barRange.contains(barsPerDevice) { out.append("bars must be \(Self.barRange), not \(barsPerDevice)") }
        if !Self.bridgeRange.contains(bridges) { out.append("bridges must be \(Self.bridgeRange), not \(bridges)") }
        for (name, size) in [("smallest BAR size", minBARSize), ("largest BAR size", maxBARSize)] where !Self.isBARSizeBound(size) {
            out.append("\(name) \(size) is not a power of two of at least \(Self.smallestBARSize)")
        }
        if minBARSize > maxBARSize { out.append("smallest BAR size exceeds the largest") }
        if mmio.start > mmio.end { out.append("the MMIO range is empty") }
        return out
    }
}
