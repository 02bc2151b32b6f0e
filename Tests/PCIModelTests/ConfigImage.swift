@testable import PCIModel

/// Builds a config-space image byte by byte, little-endian, as the hardware lays it out.
struct ConfigImage {
    var bytes: [UInt8]

    init(size: Int) { bytes = Array(repeating: 0, count: size) }

    mutating func set8(_ offset: Int, _ value: UInt8) { bytes[offset] = value }

    mutating func set16(_ offset: Int, _ value: UInt16) {
        bytes[offset] = UInt8(value & 0xff)
        bytes[offset + 1] = UInt8(value >> 8)
    }

    mutating func set32(_ offset: Int, _ value: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8((value >> (8 * UInt32(i))) & 0xff) }
    }

    /// A standard capability header: ID, next pointer.
    mutating func capability(_ id: UInt8, at offset: Int, next: Int) {
        set8(offset, id)
        set8(offset + 1, UInt8(next))
    }

    /// An extended capability header: ID (15:0), version (19:16), next (31:20).
    mutating func extendedCapability(_ id: UInt16, version: UInt32 = 1, at offset: Int, next: Int) {
        set32(offset, UInt32(id) | version << 16 | UInt32(next) << 20)
    }

    /// An Intel X710-like physical function (8086:1572), built register by register: BAR0 an 8 MiB
    /// 64-bit prefetchable BAR at 0x38bf_fe00_0000 (above 4 GiB), BAR3 a 32 KiB 64-bit prefetchable
    /// BAR holding the MSI-X table (129 vectors at offset 0) and PBA (offset 0x1000); capabilities
    /// PM -> MSI -> MSI-X -> PCIe; extended AER -> DSN -> ARI -> SR-IOV (64 VFs) -> Resizable BAR.
    static func intelX710(size: Int = 4096) -> ConfigImage {
        var c = ConfigImage(size: size)
        c.set16(0x00, 0x8086)  // vendor
        c.set16(0x02, 0x1572)  // device
        c.set16(0x04, 0x0406)  // command: MEMORY | MASTER | INTX_DISABLE
        c.set16(0x06, 0x0010)  // status: CAP_LIST
        c.set32(0x08, 0x0200_0002)  // class 0x020000 (Ethernet), revision 2
        c.set8(0x0e, 0x80)  // header type 0, multi-function
        c.set32(0x10, 0xfe00_000c)  // BAR0 low: 64-bit (0x4) | prefetchable (0x8)
        c.set32(0x14, 0x0000_38bf)  // BAR1: BAR0's upper half
        c.set32(0x1c, 0xfe80_800c)  // BAR3 low: 64-bit prefetchable
        c.set32(0x20, 0x0000_38bf)  // BAR4: BAR3's upper half
        c.set16(0x2c, 0x8086)  // subsystem vendor
        c.set16(0x2e, 0x0001)  // subsystem device
        c.set32(0x30, 0xab58_0000)  // ROM, not enabled
        c.set8(0x34, 0x40)  // capability pointer
        guard size > 64 else { return c }
        c.capability(0x01, at: 0x40, next: 0x50)  // PM
        c.capability(0x05, at: 0x50, next: 0x70)  // MSI
        c.capability(0x11, at: 0x70, next: 0xa0)  // MSI-X
        c.set16(0x72, 0x0080)  // QSIZE 128 -> 129 vectors, disabled
        c.set32(0x74, 0x0000_0003)  // table: BIR 3, offset 0
        c.set32(0x78, 0x0000_1003)  // PBA: BIR 3, offset 0x1000
        c.capability(0x10, at: 0xa0, next: 0x00)  // PCI Express
        guard size > 256 else { return c }
        c.extendedCapability(0x0001, version: 2, at: 0x100, next: 0x140)  // AER
        c.extendedCapability(0x0003, at: 0x140, next: 0x150)  // Device Serial Number
        c.set32(0x144, 0x1122_3344)
        c.set32(0x148, 0x5566_7788)
        c.extendedCapability(0x000e, at: 0x150, next: 0x160)  // ARI
        c.extendedCapability(0x0010, at: 0x160, next: 0x1a0)  // SR-IOV
        c.set16(0x168, 0x0000)  // control: VFs disabled
        c.set16(0x16c, 64)  // InitialVFs
        c.set16(0x16e, 64)  // TotalVFs
        c.set16(0x170, 0)  // NumVFs
        c.set16(0x174, 0x10)  // First VF offset
        c.set16(0x176, 1)  // VF stride
        c.set16(0x17a, 0x154c)  // VF device ID
        c.set32(0x17c, 0x0000_0553)  // supported page sizes
        c.set32(0x180, 0x0000_0001)  // system page size: 4 KiB
        c.set32(0x184, 0xfd40_000c)  // VF BAR0 low
        c.set32(0x188, 0x0000_38bf)  // VF BAR1: upper half
        c.set32(0x190, 0xfe41_000c)  // VF BAR3 low
        c.set32(0x194, 0x0000_38bf)  // VF BAR4: upper half
        c.extendedCapability(0x0015, at: 0x1a0, next: 0x000)  // Resizable BAR
        c.set32(0x1a4, 0x0000_0070)  // sizes: 1, 2, 4 MiB... bits 4-6 -> 1 MiB, 2 MiB, 4 MiB
        c.set32(0x1a8, 0x0000_0320)  // NBAR 1, BAR index 0, current size 2^(3+20) = 8 MiB
        return c
    }
}

/// The sysfs `resource` file the kernel prints for that X710 with CONFIG_PCI_IOV: 13 lines.
let intelX710ResourceFile = """
    0x000038bffe000000 0x000038bffe7fffff 0x000000000014220c
    0x0000000000000000 0x0000000000000000 0x0000000000000000
    0x0000000000000000 0x0000000000000000 0x0000000000000000
    0x000038bffe808000 0x000038bffe80ffff 0x000000000014220c
    0x0000000000000000 0x0000000000000000 0x0000000000000000
    0x0000000000000000 0x0000000000000000 0x0000000000000000
    0x00000000ab580000 0x00000000ab5fffff 0x0000000000046200
    0x000038bffd400000 0x000038bffd7fffff 0x000000000014220c
    0x0000000000000000 0x0000000000000000 0x0000000000000000
    0x0000000000000000 0x0000000000000000 0x0000000000000000
    0x000038bffe410000 0x000038bffe50ffff 0x000000000014220c
    0x0000000000000000 0x0000000000000000 0x0000000000000000
    0x0000000000000000 0x0000000000000000 0x0000000000000000

    """
