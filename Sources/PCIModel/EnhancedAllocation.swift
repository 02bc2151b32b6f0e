/// One entry of the Enhanced Allocation capability (standard capability ID 0x14, `PCI_CAP_ID_EA`;
/// it is in the list from 0x34, not in the extended list).
///
/// Layout from `include/uapi/linux/pci_regs.h` (`PCI_EA_*`), interpretation from `pci_ea_read()`,
/// `pci_ea_flags()` and `pci_ea_get_resource()` in drivers/pci/pci.c (the first two read in 6.x
/// copies; `pci_ea_get_resource()` partly, its VF branch recalled). EA resources are fixed by
/// hardware: the kernel marks them `IORESOURCE_PCI_FIXED | IORESOURCE_PCI_EA_BEI`, and they need not
/// be powers of two or naturally aligned (a seed for `page-exclusive` counterexamples).
public struct EnhancedAllocationEntry: Hashable, Sendable, Codable {
    /// What the BAR Equivalent Indicator names (`PCI_EA_BEI_*`).
    public enum Target: Hashable, Sendable, Codable {
        /// BEI 0-5: BAR 0-5.
        case bar(Int)
        /// BEI 6: a resource behind a bridge.
        case bridge
        /// BEI 7, and the reserved 15: equivalent not indicated.
        case notIndicated
        /// BEI 8: the expansion ROM.
        case rom
        /// BEI 9-14: VF BAR 0-5.
        case vfBAR(Int)

        init(bei: UInt8) {
            switch bei {
            case 0...5: self = .bar(Int(bei))
            case 6: self = .bridge
            case 8: self = .rom
            case 9...14: self = .vfBAR(Int(bei) - 9)
            default: self = .notIndicated
            }
        }
    }

    /// Config-space offset of the entry's first DWORD.
    public let offset: Int
    /// Entry size in bytes, `(PCI_EA_ES + 1) * 4`.
    public let size: Int
    /// `PCI_EA_BEI` (bits 7:4).
    public let bei: UInt8
    /// `PCI_EA_PP` (bits 15:8), e.g. 0x00 memory, 0x01 prefetchable memory, 0x02 I/O.
    public let primaryProperties: UInt8
    /// `PCI_EA_SP` (bits 23:16), used by the kernel when the primary is in the reserved range.
    public let secondaryProperties: UInt8
    /// `PCI_EA_WRITABLE`.
    public let writable: Bool
    /// `PCI_EA_ENABLE`.
    public let enabled: Bool
    /// Base address (`PCI_EA_FIELD_MASK`, plus the upper DWORD when `PCI_EA_IS_64`), when read.
    public let base: UInt64?
    /// MaxOffset (low 2 bits read as ones: the range is `base ... base + (maxOffset | 3)`), when read.
    public let maxOffset: UInt64?
    /// The resource `pci_ea_read()` would install, or nil when the kernel skips the entry
    /// (disabled, unsupported properties or BEI, a range that wraps, or a size mismatch).
    public let resource: Resource?
    /// The `pci_dev->resource[]` slot the kernel would fill: 0-5 BARs, 6 ROM, 7-12 VF BARs.
    public let kernelSlot: Int?

    public var target: Target { Target(bei: bei) }

    public init(offset: Int, size: Int, bei: UInt8, primaryProperties: UInt8, secondaryProperties: UInt8,
                writable: Bool, enabled: Bool, base: UInt64?, maxOffset: UInt64?, resource: Resource?,
                kernelSlot: Int?) {
        self.offset = offset
        self.size = size
        self.bei = bei
        self.primaryProperties = primaryProperties
        self.secondaryProperties = secondaryProperties
        self.writable = writable
        self.enabled = enabled
        self.base = base
        self.maxOffset = maxOffset
        self.resource = resource
        self.kernelSlot = kernelSlot
    }

    /// The property the kernel acts on: the primary, or the secondary when the primary is in the
    /// reserved range 0x08...0xfc (`pci_ea_read`).
    public var effectiveProperties: UInt8 {
        primaryProperties > 0x07 && primaryProperties < 0xfd ? secondaryProperties : primaryProperties
    }

    /// `pci_ea_flags()`: the flags for a supported property, else nil.
    static func kernelFlags(property: UInt8) -> ResourceFlags? {
        let fixed: ResourceFlags = [.pciFixed, .pciEABEI]
        switch property {
        case 0x00, 0x04: return fixed.union(.mem)  // PCI_EA_P_MEM, PCI_EA_P_VF_MEM
        case 0x01, 0x03: return fixed.union([.mem, .prefetch])  // MEM_PREFETCH, VF_MEM_PREFETCH
        case 0x02: return fixed.union(.io)  // PCI_EA_P_IO
        default: return nil
        }
    }

    /// `pci_ea_get_resource()`: which `pci_dev->resource[]` slot a (BEI, property) pair fills.
    /// The VF case needs `CONFIG_PCI_IOV`; this model assumes it.
    static func kernelSlot(bei: UInt8, property: UInt8) -> Int? {
        if bei <= 5 && property <= 0x02 { return Int(bei) }
        if (9...14).contains(bei) && (property == 0x03 || property == 0x04) { return 7 + Int(bei) - 9 }
        if bei == 8 { return BAR.romIndex }
        return nil
    }
}
