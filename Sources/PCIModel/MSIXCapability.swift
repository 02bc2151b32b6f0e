/// The MSI-X capability (ID 0x11) of a function: where its vector table and Pending Bit Array live.
///
/// Register layout from `include/uapi/linux/pci_regs.h`: Message Control at +2 (`PCI_MSIX_FLAGS`,
/// `QSIZE` 0x07ff = entries - 1, `MASKALL` 0x4000, `ENABLE` 0x8000), table at +4 (`PCI_MSIX_TABLE`,
/// `BIR` 0x7, `OFFSET` 0xfffffff8), PBA at +8 (`PCI_MSIX_PBA`, same masks).
///
/// Sizes are computed as vfio-pci and QEMU compute them: the table is
/// `((flags & PCI_MSIX_FLAGS_QSIZE) + 1) * 16` bytes (`vfio_pci_core_enable`, drivers/vfio/pci/
/// vfio_pci_core.c), the PBA `ceil(entries / 64) * 8` bytes (QEMU `msix_init`). vfio only excludes
/// the table from read()/write(); the PBA is never excluded.
public struct MSIXCapability: Hashable, Sendable, Codable {
    /// `PCI_CAP_ID_MSIX`.
    public static let capabilityID: UInt8 = 0x11
    /// `PCI_MSIX_ENTRY_SIZE`.
    public static let entrySize: UInt64 = 16
    /// `PCI_MSIX_FLAGS_QSIZE + 1`.
    public static let maxEntries = 2048

    /// BAR holding the vector table (0...5).
    public let tableBIR: Int
    /// Byte offset of the table in that BAR (8-byte aligned: the low 3 bits of the register are the BIR).
    public let tableOffset: UInt32
    /// Number of vectors, `QSIZE + 1` (1...2048).
    public let entries: Int
    /// BAR holding the Pending Bit Array (0...5).
    public let pbaBIR: Int
    /// Byte offset of the PBA in that BAR (8-byte aligned).
    public let pbaOffset: UInt32
    /// `PCI_MSIX_FLAGS_ENABLE` at the time of capture.
    public var enabled: Bool
    /// `PCI_MSIX_FLAGS_MASKALL` at the time of capture.
    public var functionMasked: Bool
    /// Offset of the capability in config space, when it was read from an image.
    public var capabilityOffset: Int?

    /// Nil when a BIR is not 0...5 (6 and 7 are reserved), an offset is not 8-byte aligned, or
    /// `entries` is not 1...2048.
    public init?(tableBIR: Int, tableOffset: UInt32, entries: Int, pbaBIR: Int, pbaOffset: UInt32,
                 enabled: Bool = false, functionMasked: Bool = false, capabilityOffset: Int? = nil) {
        guard BAR.standardIndices.contains(tableBIR), BAR.standardIndices.contains(pbaBIR),
              tableOffset & 7 == 0, pbaOffset & 7 == 0,
              (1...Self.maxEntries).contains(entries) else { return nil }
        self.tableBIR = tableBIR
        self.tableOffset = tableOffset
        self.entries = entries
        self.pbaBIR = pbaBIR
        self.pbaOffset = pbaOffset
        self.enabled = enabled
        self.functionMasked = functionMasked
        self.capabilityOffset = capabilityOffset
    }

    /// Decodes the three registers as the kernel does. Nil when a BIR is 6 or 7 (reserved); the config
    /// parser reports that as a `ParseError` with the register's offset.
    public init?(messageControl: UInt16, table: UInt32, pba: UInt32, capabilityOffset: Int? = nil) {
        self.init(tableBIR: Int(table & 0x7), tableOffset: table & 0xffff_fff8,
                  entries: Int(messageControl & 0x07ff) + 1,
                  pbaBIR: Int(pba & 0x7), pbaOffset: pba & 0xffff_fff8,
                  enabled: messageControl & 0x8000 != 0, functionMasked: messageControl & 0x4000 != 0,
                  capabilityOffset: capabilityOffset)
    }

    /// Table size in bytes: `entries * 16` (vfio's `msix_size`).
    public var tableSize: UInt64 { UInt64(entries) * Self.entrySize }

    /// PBA size in bytes: one bit per vector, in whole QWORDs: `ceil(entries / 64) * 8`.
    public var pbaSize: UInt64 { UInt64((entries + 63) / 64) * 8 }

    /// Byte range of the table within its BAR, `[tableOffset, tableOffset + tableSize)`.
    public var tableRange: Range<UInt64> { UInt64(tableOffset)..<(UInt64(tableOffset) + tableSize) }

    /// Byte range of the PBA within its BAR.
    public var pbaRange: Range<UInt64> { UInt64(pbaOffset)..<(UInt64(pbaOffset) + pbaSize) }

    /// Whether the whole table lies inside a BAR of `barSize` bytes. A table that runs past its BAR is
    /// not a parse error (config space alone does not know BAR sizes) but a finding for the audit.
    public func tableFits(in barSize: UInt64) -> Bool { tableRange.upperBound <= barSize }

    /// Whether the whole PBA lies inside a BAR of `barSize` bytes. QEMU refuses a PBA outside its BAR
    /// except for quirked devices ("MSIX PBA outside of specified BAR", `vfio_msix_early_setup`).
    public func pbaFits(in barSize: UInt64) -> Bool { pbaRange.upperBound <= barSize }

    /// Table and PBA share bytes (same BAR, intersecting ranges). The spec lets them share a page,
    /// never bytes.
    public var tableOverlapsPBA: Bool { tableBIR == pbaBIR && tableRange.overlaps(pbaRange) }

    // The Codable form (in `barproof search` JSON and a fixture's topology.json): snake_case keys,
    // the offsets as ``HexWord`` strings, BIRs and the entry count as numbers. Decoding goes
    // through the failable initialiser, so a document cannot hold a capability the kernel would
    // not read (a reserved BIR, an unaligned offset).
    enum CodingKeys: String, CodingKey {
        case entries, enabled
        case tableBIR = "table_bir"
        case tableOffset = "table_offset"
        case pbaBIR = "pba_bir"
        case pbaOffset = "pba_offset"
        case functionMasked = "function_masked"
        case capabilityOffset = "capability_offset"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func offset32(_ key: CodingKeys) throws -> UInt32 {
            let word = try c.decode(HexWord.self, forKey: key)
            guard let value = UInt32(exactly: word.value) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(word) is not a 32-bit offset")
            }
            return value
        }
        let capabilityOffset = try c.decodeIfPresent(HexWord.self, forKey: .capabilityOffset)
        guard let capability = MSIXCapability(
            tableBIR: try c.decode(Int.self, forKey: .tableBIR), tableOffset: try offset32(.tableOffset),
            entries: try c.decode(Int.self, forKey: .entries), pbaBIR: try c.decode(Int.self, forKey: .pbaBIR),
            pbaOffset: try offset32(.pbaOffset), enabled: try c.decode(Bool.self, forKey: .enabled),
            functionMasked: try c.decode(Bool.self, forKey: .functionMasked),
            capabilityOffset: try capabilityOffset.map { word in
                guard word.value <= 0xfff else {
                    throw DecodingError.dataCorruptedError(forKey: .capabilityOffset, in: c,
                                                           debugDescription: "\(word) is past config space (0xfff)")
                }
                return Int(word.value)
            }) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: c.codingPath,
                debugDescription: "not an MSI-X capability: a BIR outside 0...5, an offset not 8-byte aligned, or entries outside 1...2048"))
        }
        self = capability
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tableBIR, forKey: .tableBIR)
        try c.encode(HexWord(UInt64(tableOffset)), forKey: .tableOffset)
        try c.encode(entries, forKey: .entries)
        try c.encode(pbaBIR, forKey: .pbaBIR)
        try c.encode(HexWord(UInt64(pbaOffset)), forKey: .pbaOffset)
        try c.encode(enabled, forKey: .enabled)
        try c.encode(functionMasked, forKey: .functionMasked)
        try c.encodeIfPresent(capabilityOffset.map { HexWord(UInt64(clamping: $0)) }, forKey: .capabilityOffset)
    }
}
