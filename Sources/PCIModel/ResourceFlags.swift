/// The `IORESOURCE_*` bits of a kernel `struct resource`, as the sysfs `resource` file prints them
/// in its third column.
///
/// Values are from `include/linux/ioport.h`, checked against a 6.x copy of that header
/// (NVIDIA/NV-Kernels) and against older 2.6/3.x copies, which agree for every bit below. The header
/// notes that "PCI devices expose these flags to userspace in the "resource" sysfs file, so don't move
/// them", so the values are stable across versions.
///
/// The low byte (`IORESOURCE_BITS`, 0xff) is bus-specific. For PCI it holds, depending on the
/// resource: the ROM control bits (`romEnable`, `romShadow`), the PCI control bits (`pciFixed`,
/// `pciEABEI`), and, for a BAR, the low bits of the BAR register itself, which `decode_bar()`
/// (drivers/pci/probe.c) copies in (`bar & ~PCI_BASE_ADDRESS_MEM_MASK`, or `& ~PCI_BASE_ADDRESS_IO_MASK`).
/// That is why a 64-bit prefetchable BAR reads `0x14220c`: `MEM_64|SIZEALIGN|PREFETCH|MEM` plus `0xc`.
/// Read the low byte together with the resource's kind; e.g. bit 0 is `IORESOURCE_ROM_ENABLE` on the
/// ROM but `PCI_BASE_ADDRESS_SPACE_IO` on an I/O BAR.
public struct ResourceFlags: OptionSet, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }

    // MARK: Resource type (IORESOURCE_TYPE_BITS 0x00001f00)

    /// `IORESOURCE_BITS` (0x000000ff): the bus-specific low byte, as a mask.
    public static let busSpecificMask = ResourceFlags(rawValue: 0x0000_00ff)
    /// `IORESOURCE_TYPE_BITS` (0x00001f00): the resource type, as a mask.
    public static let typeMask = ResourceFlags(rawValue: 0x0000_1f00)
    /// `IORESOURCE_IO` (0x00000100): PCI/ISA I/O ports.
    public static let io = ResourceFlags(rawValue: 0x0000_0100)
    /// `IORESOURCE_MEM` (0x00000200): memory space. vfio-pci tests exactly this bit before it lets a
    /// BAR be mmapped (`vfio_pci_probe_mmaps`).
    public static let mem = ResourceFlags(rawValue: 0x0000_0200)
    /// `IORESOURCE_REG` (0x00000300): register offsets. A type *value* (IO|MEM together), not a bit
    /// of its own; PCI resources never carry it.
    public static let reg = ResourceFlags(rawValue: 0x0000_0300)
    /// `IORESOURCE_IRQ` (0x00000400).
    public static let irq = ResourceFlags(rawValue: 0x0000_0400)
    /// `IORESOURCE_DMA` (0x00000800).
    public static let dma = ResourceFlags(rawValue: 0x0000_0800)
    /// `IORESOURCE_BUS` (0x00001000): bus numbers.
    public static let bus = ResourceFlags(rawValue: 0x0000_1000)

    // MARK: Attributes

    /// `IORESOURCE_PREFETCH` (0x00002000): no side effects.
    public static let prefetch = ResourceFlags(rawValue: 0x0000_2000)
    /// `IORESOURCE_READONLY` (0x00004000). Expansion ROMs carry it.
    public static let readOnly = ResourceFlags(rawValue: 0x0000_4000)
    /// `IORESOURCE_CACHEABLE` (0x00008000).
    public static let cacheable = ResourceFlags(rawValue: 0x0000_8000)
    /// `IORESOURCE_RANGELENGTH` (0x00010000).
    public static let rangeLength = ResourceFlags(rawValue: 0x0001_0000)
    /// `IORESOURCE_SHADOWABLE` (0x00020000).
    public static let shadowable = ResourceFlags(rawValue: 0x0002_0000)
    /// `IORESOURCE_SIZEALIGN` (0x00040000): the size is the alignment (ordinary BARs).
    public static let sizeAlign = ResourceFlags(rawValue: 0x0004_0000)
    /// `IORESOURCE_STARTALIGN` (0x00080000): `start` holds the alignment (bridge windows, and
    /// `pci_request_resource_alignment()` without resize).
    public static let startAlign = ResourceFlags(rawValue: 0x0008_0000)
    /// `IORESOURCE_MEM_64` (0x00100000): a 64-bit memory BAR or window.
    public static let mem64 = ResourceFlags(rawValue: 0x0010_0000)
    /// `IORESOURCE_WINDOW` (0x00200000): forwarded by a bridge.
    public static let window = ResourceFlags(rawValue: 0x0020_0000)
    /// `IORESOURCE_MUXED` (0x00400000): software-muxed.
    public static let muxed = ResourceFlags(rawValue: 0x0040_0000)
    /// `IORESOURCE_SYSRAM` (0x01000000, also `IORESOURCE_EXT_TYPE_BITS`): System RAM modifier.
    public static let systemRAM = ResourceFlags(rawValue: 0x0100_0000)
    /// `IORESOURCE_SYSRAM_DRIVER_MANAGED` (0x02000000).
    public static let systemRAMDriverManaged = ResourceFlags(rawValue: 0x0200_0000)
    /// `IORESOURCE_SYSRAM_MERGEABLE` (0x04000000).
    public static let systemRAMMergeable = ResourceFlags(rawValue: 0x0400_0000)
    /// `IORESOURCE_EXCLUSIVE` (0x08000000): userland may not map this resource.
    public static let exclusive = ResourceFlags(rawValue: 0x0800_0000)
    /// `IORESOURCE_DISABLED` (0x10000000).
    public static let disabled = ResourceFlags(rawValue: 0x1000_0000)
    /// `IORESOURCE_UNSET` (0x20000000): no address assigned yet. `pci_enable_resources()` refuses
    /// to enable a device with an unset BAR, so vfio-pci cannot open it.
    public static let unset = ResourceFlags(rawValue: 0x2000_0000)
    /// `IORESOURCE_AUTO` (0x40000000).
    public static let auto = ResourceFlags(rawValue: 0x4000_0000)
    /// `IORESOURCE_BUSY` (0x80000000): a driver has marked this resource busy.
    public static let busy = ResourceFlags(rawValue: 0x8000_0000)

    // MARK: PCI bits in IORESOURCE_BITS

    /// `IORESOURCE_ROM_ENABLE` (1<<0): the ROM is enabled (same as `PCI_ROM_ADDRESS_ENABLE`).
    public static let romEnable = ResourceFlags(rawValue: 1 << 0)
    /// `IORESOURCE_ROM_SHADOW` (1<<1): use the RAM image, not the ROM BAR; vfio-pci then reports a
    /// 0x20000-byte ROM region.
    public static let romShadow = ResourceFlags(rawValue: 1 << 1)
    /// `IORESOURCE_PCI_FIXED` (1<<4): do not move the resource. Enhanced Allocation resources carry
    /// it; `pci_request_resource_alignment()` ignores such BARs.
    public static let pciFixed = ResourceFlags(rawValue: 1 << 4)
    /// `IORESOURCE_PCI_EA_BEI` (1<<5): BAR Equivalent Indicator; the resource came from Enhanced
    /// Allocation (`pci_ea_flags()`, drivers/pci/pci.c).
    public static let pciEABEI = ResourceFlags(rawValue: 1 << 5)
    /// `PCI_BASE_ADDRESS_MEM_TYPE_64` (0x04) as copied from the BAR register by `decode_bar()`.
    public static let barRegisterMemType64 = ResourceFlags(rawValue: 0x04)
    /// `PCI_BASE_ADDRESS_MEM_PREFETCH` (0x08) as copied from the BAR register by `decode_bar()`.
    public static let barRegisterPrefetch = ResourceFlags(rawValue: 0x08)

    /// The `resource_type()` value: `flags & IORESOURCE_TYPE_BITS`.
    public var typeBits: UInt64 { rawValue & Self.typeMask.rawValue }

    /// The bus-specific low byte (`IORESOURCE_BITS`).
    public var busSpecificBits: UInt8 { UInt8(truncatingIfNeeded: rawValue) }

    private static let names: [(UInt64, String)] = [
        (0x0000_0100, "IO"), (0x0000_0200, "MEM"), (0x0000_0400, "IRQ"), (0x0000_0800, "DMA"),
        (0x0000_1000, "BUS"), (0x0000_2000, "PREFETCH"), (0x0000_4000, "READONLY"),
        (0x0000_8000, "CACHEABLE"), (0x0001_0000, "RANGELENGTH"), (0x0002_0000, "SHADOWABLE"),
        (0x0004_0000, "SIZEALIGN"), (0x0008_0000, "STARTALIGN"), (0x0010_0000, "MEM_64"),
        (0x0020_0000, "WINDOW"), (0x0040_0000, "MUXED"), (0x0100_0000, "SYSRAM"),
        (0x0200_0000, "SYSRAM_DRIVER_MANAGED"), (0x0400_0000, "SYSRAM_MERGEABLE"),
        (0x0800_0000, "EXCLUSIVE"), (0x1000_0000, "DISABLED"), (0x2000_0000, "UNSET"),
        (0x4000_0000, "AUTO"), (0x8000_0000, "BUSY"),
    ]

    /// Kernel names joined by `|`, highest bit first, with any leftover (low byte, unknown bits)
    /// in hex: `MEM_64|SIZEALIGN|PREFETCH|MEM|0xc`. Deterministic, for reports.
    public var description: String {
        var parts: [String] = []
        var rest = rawValue
        for (bit, name) in Self.names.reversed() where rawValue & bit != 0 {
            parts.append(name)
            rest &= ~bit
        }
        if rest != 0 || parts.isEmpty { parts.append(hex(rest)) }
        return parts.joined(separator: "|")
    }
}
