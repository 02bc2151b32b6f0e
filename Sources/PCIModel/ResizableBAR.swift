/// One BAR described by the Resizable BAR extended capability (`PCI_EXT_CAP_ID_REBAR` 0x15).
///
/// Layout from `include/uapi/linux/pci_regs.h`: for BAR entry n, `PCI_REBAR_CAP` at 4 + 8n (sizes:
/// `PCI_REBAR_CAP_SIZES` 0xfffffff0, bit k set = 2^(k+16) bytes, so bit 4 = 1 MiB ... bit 31 = 128 TiB)
/// and `PCI_REBAR_CTRL` at 8 + 8n (`BAR_IDX` 0x7, `NBAR` 0xe0 in entry 0, `BAR_SIZE` 0x3f00 =
/// log2(size) - 20). The extra sizes in CTRL bits 31:16 (2^(k+32) bytes, 256 TiB and up) follow the
/// PCIe 6.0 layout as recalled, not checked against a source (UNVERIFIED).
public struct ResizableBAR: Hashable, Sendable, Codable {
    public static let extendedCapabilityID: UInt16 = 0x15

    /// The BAR this entry resizes (`PCI_REBAR_CTRL_BAR_IDX`).
    public let barIndex: Int
    /// Supported sizes in bytes, ascending.
    public let supportedSizes: [UInt64]
    /// The size currently programmed, `1 MiB << BAR_SIZE`; nil when that would not fit in 64 bits.
    public let currentSize: UInt64?

    public init(barIndex: Int, supportedSizes: [UInt64], currentSize: UInt64?) {
        self.barIndex = barIndex
        self.supportedSizes = supportedSizes
        self.currentSize = currentSize
    }

    /// Decodes one CAP/CTRL register pair.
    public init(capability: UInt32, control: UInt32) {
        var sizes: [UInt64] = []
        for bit in 4..<32 where capability & (1 << bit) != 0 { sizes.append(1 << UInt64(bit + 16)) }
        for bit in 16..<32 where control & (1 << bit) != 0 { sizes.append(1 << UInt64(bit + 32)) }
        let log2 = Int((control >> 8) & 0x3f) + 20
        self.init(barIndex: Int(control & 0x7), supportedSizes: sizes,
                  currentSize: log2 < 64 ? 1 << UInt64(log2) : nil)
    }
}
