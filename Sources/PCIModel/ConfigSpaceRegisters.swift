/// The header type register (config offset 0x0e, `PCI_HEADER_TYPE`, include/uapi/linux/pci_regs.h).
public struct HeaderType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The register's layout field, `PCI_HEADER_TYPE_MASK` (0x7f).
    public enum Layout: UInt8, Hashable, Sendable, Codable {
        /// `PCI_HEADER_TYPE_NORMAL`: an endpoint; six BARs. Only these can bind to vfio-pci.
        case normal = 0
        /// `PCI_HEADER_TYPE_BRIDGE`: a PCI-PCI bridge; two BARs and bridge windows.
        case bridge = 1
        /// `PCI_HEADER_TYPE_CARDBUS`: one BAR.
        case cardBus = 2
    }

    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public init(_ layout: Layout, multiFunction: Bool = false) {
        rawValue = layout.rawValue | (multiFunction ? 0x80 : 0)
    }

    /// Nil for reserved layouts (3...0x7f).
    public var layout: Layout? { Layout(rawValue: rawValue & 0x7f) }
    /// `PCI_HEADER_TYPE_MFD` (0x80).
    public var isMultiFunction: Bool { rawValue & 0x80 != 0 }

    /// How many BAR registers the layout has (`pci_setup_device`: 6, 2 or 1).
    public var barCount: Int {
        switch layout {
        case .normal: 6
        case .bridge: 2
        case .cardBus: 1
        case nil: 0
        }
    }

    public var description: String {
        let name = switch layout {
        case .normal: "normal"
        case .bridge: "bridge"
        case .cardBus: "cardbus"
        case nil: "reserved(\(hex(rawValue & 0x7f)))"
        }
        return isMultiFunction ? "\(name), multi-function" : name
    }
}

/// A BAR register as read from config space: its decoded type and base address. Config space does
/// not tell a BAR's size (the kernel sizes BARs by writing all ones); the sysfs `resource` file does.
public struct BARRegister: Hashable, Sendable, Codable {
    /// Slot 0...5 (or VF BAR 0...5 in the SR-IOV capability).
    public let index: Int
    /// `.none` for a register that reads 0 (config space alone cannot tell an unimplemented BAR from
    /// an unassigned 32-bit one), and for the upper half of a 64-bit BAR.
    public let kind: BARKind
    /// `PCI_BASE_ADDRESS_MEM_PREFETCH`.
    public let prefetchable: Bool
    /// The base address with the type bits masked off (`PCI_BASE_ADDRESS_MEM_MASK` ~0x0f,
    /// `PCI_BASE_ADDRESS_IO_MASK` ~0x03); for a 64-bit BAR, both halves combined.
    public let address: UInt64
    /// This slot is the upper 32 bits of the 64-bit BAR in slot `index - 1`.
    public let isUpperHalf: Bool
    /// The register value as read.
    public let rawValue: UInt32

    public init(index: Int, kind: BARKind, prefetchable: Bool, address: UInt64, isUpperHalf: Bool, rawValue: UInt32) {
        self.index = index
        self.kind = kind
        self.prefetchable = prefetchable
        self.address = address
        self.isUpperHalf = isUpperHalf
        self.rawValue = rawValue
    }
}

/// The expansion ROM base address register (0x30 for type 0, 0x38 for type 1).
public struct ROMRegister: Hashable, Sendable, Codable {
    /// Bits 31..11 (`PCI_ROM_ADDRESS_MASK` ~0x7ff).
    public let address: UInt32
    /// `PCI_ROM_ADDRESS_ENABLE` (bit 0).
    public let enabled: Bool

    public init(address: UInt32, enabled: Bool) {
        self.address = address & ~0x7ff
        self.enabled = enabled
    }
}

/// The windows a type-1 header forwards, decoded as `pci_read_bridge_io()`, `pci_read_bridge_mmio()`
/// and `pci_read_bridge_mmio_pref()` do (drivers/pci/probe.c; recalled, UNVERIFIED; register offsets
/// and masks checked in pci_regs.h). A window whose base is above its limit
/// is closed (nil). The I/O window assumes 4 KiB granularity; bridges with the Intel 1 KiB extension
/// (`io_window_1k`) decode finer, which config space alone does not show.
public struct BridgeWindowRegisters: Hashable, Sendable, Codable {
    /// `PCI_IO_BASE`/`PCI_IO_LIMIT` (+ `_UPPER16` when 32-bit): 4 KiB granular.
    public let io: ClosedRange<UInt64>?
    /// `PCI_MEMORY_BASE`/`PCI_MEMORY_LIMIT`: 1 MiB granular, 32-bit.
    public let memory: ClosedRange<UInt64>?
    /// `PCI_PREF_MEMORY_BASE`/`LIMIT` (+ `PCI_PREF_BASE_UPPER32`/`LIMIT_UPPER32` when 64-bit): 1 MiB granular.
    public let prefetchable: ClosedRange<UInt64>?
    /// `PCI_PREF_RANGE_TYPE_64`.
    public let prefetchable64Bit: Bool
    /// Primary, secondary and subordinate bus numbers (0x18, 0x19, 0x1a).
    public let primaryBus: UInt8
    public let secondaryBus: UInt8
    public let subordinateBus: UInt8

    public init(io: ClosedRange<UInt64>?, memory: ClosedRange<UInt64>?, prefetchable: ClosedRange<UInt64>?,
                prefetchable64Bit: Bool, primaryBus: UInt8, secondaryBus: UInt8, subordinateBus: UInt8) {
        self.io = io
        self.memory = memory
        self.prefetchable = prefetchable
        self.prefetchable64Bit = prefetchable64Bit
        self.primaryBus = primaryBus
        self.secondaryBus = secondaryBus
        self.subordinateBus = subordinateBus
    }
}

/// A standard capability found by walking the list from 0x34.
public struct CapabilityHeader: Hashable, Sendable, Codable {
    /// `PCI_CAP_ID_*`, e.g. 0x10 PCI Express, 0x11 MSI-X, 0x14 Enhanced Allocation.
    public let id: UInt8
    public let offset: Int

    public init(id: UInt8, offset: Int) {
        self.id = id
        self.offset = offset
    }
}

/// An extended capability found by walking the list from 0x100 (4096-byte images only).
public struct ExtendedCapabilityHeader: Hashable, Sendable, Codable {
    /// `PCI_EXT_CAP_ID_*`, e.g. 0x10 SR-IOV, 0x15 Resizable BAR.
    public let id: UInt16
    /// `PCI_EXT_CAP_VER`.
    public let version: UInt8
    public let offset: Int

    public init(id: UInt16, version: UInt8, offset: Int) {
        self.id = id
        self.version = version
        self.offset = offset
    }
}
