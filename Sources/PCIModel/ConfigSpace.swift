/// A function's configuration space, parsed from the binary sysfs `config` file.
///
/// The file is 64 bytes when read without `CAP_SYS_ADMIN` (the standard header only), 256 bytes for
/// conventional PCI, 4096 bytes for PCI Express (`PCI_CFG_SPACE_SIZE`, `PCI_CFG_SPACE_EXP_SIZE`,
/// include/uapi/linux/pci_regs.h). Any other length is an error.
///
/// The capability walks follow the kernel (`__pci_find_next_cap_ttl`, `pci_find_next_ext_capability`,
/// drivers/pci/pci.c; recalled, not re-read: UNVERIFIED in detail) but are strict where the kernel is
/// silent: a pointer loop, or a pointer into the
/// standard header, is a `ParseError` naming the offset of the pointer; the kernel would stop after 48
/// steps or at the bad pointer. Soft problems (a 64-byte image that hides the capability list, reserved
/// low bits in a pointer, an Enhanced Allocation entry the kernel would skip) are `warnings`.
public struct ConfigSpace: Hashable, Sendable {
    /// The lengths a sysfs `config` file can have.
    public static let validSizes = [64, 256, 4096]

    public let bytes: [UInt8]
    public let vendorID: UInt16
    public let deviceID: UInt16
    /// `PCI_COMMAND` (0x04).
    public let command: UInt16
    /// `PCI_STATUS` (0x06).
    public let status: UInt16
    public let revision: UInt8
    /// Base class, subclass, programming interface: `PCI_CLASS_REVISION >> 8`, 24 bits.
    public let classCode: UInt32
    public let headerType: HeaderType
    /// `PCI_SUBSYSTEM_VENDOR_ID` (type 0 only).
    public let subsystemVendorID: UInt16?
    /// `PCI_SUBSYSTEM_ID` (type 0 only).
    public let subsystemDeviceID: UInt16?
    /// One register per BAR slot of the header layout (6, 2 or 1).
    public let barRegisters: [BARRegister]
    /// Nil when the register reads 0, or for CardBus.
    public let romRegister: ROMRegister?
    /// Type-1 headers only.
    public let bridgeWindows: BridgeWindowRegisters?
    /// Standard capabilities in list order.
    public let capabilities: [CapabilityHeader]
    /// Extended capabilities in list order (4096-byte images only).
    public let extendedCapabilities: [ExtendedCapabilityHeader]
    public let msix: MSIXCapability?
    public let enhancedAllocation: [EnhancedAllocationEntry]
    public let sriov: SRIOVCapability?
    public let resizableBARs: [ResizableBAR]
    public let warnings: [ParseWarning]

    /// `PCI_COMMAND_MEMORY`: memory decoding was enabled when the image was taken.
    public var memoryDecodeEnabled: Bool { command & 0x2 != 0 }

    /// Parses a config image. Errors carry the byte offset of the register to blame.
    public init(bytes: [UInt8]) throws(ParseError) {
        var p = ConfigParser(b: bytes)
        guard Self.validSizes.contains(bytes.count) else {
            throw p.error(bytes.count, "the config image is \(bytes.count) bytes; expected 64 (the standard header, as an unprivileged reader gets it), 256 (conventional PCI) or 4096 (PCI Express); is the copy truncated?")
        }
        let vendor = readLE16(bytes, 0)
        guard vendor != 0xffff else {
            throw p.error(0, "vendor ID 0xffff: the function did not respond (an all-ones read); it is absent or powered off")
        }
        if vendor == 0 { p.warn(0, "vendor ID 0x0000 is not a valid PCI vendor") }
        let headerType = HeaderType(rawValue: bytes[0x0e])
        guard let layout = headerType.layout else {
            throw p.error(0x0e, "header type \(hex(headerType.rawValue, width: 2)) has reserved layout \(hex(headerType.rawValue & 0x7f)); the kernel ignores such a device (pci_setup_device: \"unknown header type\")")
        }
        self.bytes = bytes
        vendorID = vendor
        deviceID = readLE16(bytes, 2)
        command = readLE16(bytes, 4)
        status = readLE16(bytes, 6)
        revision = bytes[8]
        classCode = readLE32(bytes, 8) >> 8
        self.headerType = headerType
        if layout == .normal {
            subsystemVendorID = readLE16(bytes, 0x2c)
            subsystemDeviceID = readLE16(bytes, 0x2e)
        } else {
            subsystemVendorID = nil
            subsystemDeviceID = nil
        }
        let bars = p.decodeBARs(at: 0x10, count: headerType.barCount, virtualFunction: false)
        barRegisters = bars
        romRegister = p.decodeROM(layout: layout)
        bridgeWindows = layout == .bridge ? p.decodeBridgeWindows() : nil

        let caps = try p.walkCapabilities(layout: layout, status: status)
        capabilities = caps
        var msix: MSIXCapability?
        var ea: [EnhancedAllocationEntry] = []
        var seenEA = false
        for cap in caps {
            switch cap.id {
            case MSIXCapability.capabilityID:
                if msix == nil {
                    msix = try p.decodeMSIX(at: cap.offset, bars: bars, layout: layout)
                } else {
                    p.warn(cap.offset, "a second MSI-X capability; the kernel uses the first, at \(hex(msix?.capabilityOffset ?? 0))")
                }
            case 0x14 where !seenEA:  // PCI_CAP_ID_EA: a standard capability, not an extended one
                seenEA = true
                ea = try p.decodeEnhancedAllocation(at: cap.offset, layout: layout)
            default:
                break
            }
        }
        self.msix = msix
        enhancedAllocation = ea

        let ext = try p.walkExtendedCapabilities()
        extendedCapabilities = ext
        var sriov: SRIOVCapability?
        var rebar: [ResizableBAR] = []
        for cap in ext {
            if cap.id == SRIOVCapability.extendedCapabilityID, sriov == nil {
                sriov = try p.decodeSRIOV(at: cap.offset)
            } else if cap.id == ResizableBAR.extendedCapabilityID, rebar.isEmpty {
                rebar = try p.decodeResizableBAR(at: cap.offset)
            }
        }
        self.sriov = sriov
        resizableBARs = rebar
        warnings = p.warnings
    }

    /// The image with the Device Serial Number (extended capability 0x03, `PCI_EXT_CAP_ID_DSN`, 8 bytes
    /// at +4; ID and layout from memory of pci_regs.h, UNVERIFIED) zeroed,
    /// so a snapshot does not carry a hardware serial. Unchanged when there is no DSN capability.
    public func bytesWithSerialNumberZeroed() -> [UInt8] {
        var out = bytes
        for cap in extendedCapabilities where cap.id == 0x03 && cap.offset + 12 <= out.count {
            for i in cap.offset + 4..<cap.offset + 12 { out[i] = 0 }
        }
        return out
    }
}

/// The parsing steps, kept apart from the value type so the type has only `let` fields.
struct ConfigParser {
    let b: [UInt8]
    var warnings: [ParseWarning] = []

    func error(_ offset: Int, _ message: String) -> ParseError {
        ParseError(.configSpace, .byteOffset(offset), message)
    }

    mutating func warn(_ offset: Int, _ message: String) {
        warnings.append(ParseWarning(.configSpace, .byteOffset(offset), message))
    }

    /// BAR registers as `__pci_read_base()`/`decode_bar()` (drivers/pci/probe.c) read them: bit 0 set
    /// is I/O; memory type 0x4 is 64-bit and takes the next slot as its upper half.
    mutating func decodeBARs(at base: Int, count: Int, virtualFunction: Bool) -> [BARRegister] {
        let name = virtualFunction ? "VF BAR" : "BAR"
        var regs: [BARRegister] = []
        var i = 0
        while i < count {
            let offset = base + 4 * i
            let low = readLE32(b, offset)
            if low & 0x1 == 0x1 {  // PCI_BASE_ADDRESS_SPACE_IO
                if virtualFunction { warn(offset, "\(name)\(i) is an I/O BAR; SR-IOV VF BARs are memory only") }
                regs.append(BARRegister(index: i, kind: .io, prefetchable: false,
                                        address: UInt64(low & ~0x3), isUpperHalf: false, rawValue: low))
                i += 1
                continue
            }
            let type = low & 0x6  // PCI_BASE_ADDRESS_MEM_TYPE_MASK
            let prefetchable = low & 0x8 != 0
            if type == 0x4 {  // PCI_BASE_ADDRESS_MEM_TYPE_64
                if i + 1 < count {
                    let high = readLE32(b, offset + 4)
                    regs.append(BARRegister(index: i, kind: .mem64, prefetchable: prefetchable,
                                            address: UInt64(high) << 32 | UInt64(low & ~0xf),
                                            isUpperHalf: false, rawValue: low))
                    regs.append(BARRegister(index: i + 1, kind: .none, prefetchable: false, address: 0,
                                            isUpperHalf: true, rawValue: high))
                    i += 2
                    continue
                }
                warn(offset, "\(name)\(i) is 64-bit but is the last slot, so it has no upper half; read as 32-bit")
            } else if type == 0x6 {
                warn(offset, "\(name)\(i) has the reserved memory type 3; the kernel reads it as 32-bit")
            }
            let kind: BARKind = low == 0 ? .none : .mem32
            regs.append(BARRegister(index: i, kind: kind, prefetchable: prefetchable,
                                    address: UInt64(low & ~0xf), isUpperHalf: false, rawValue: low))
            i += 1
        }
        return regs
    }

    func decodeROM(layout: HeaderType.Layout) -> ROMRegister? {
        let offset: Int
        switch layout {
        case .normal: offset = 0x30  // PCI_ROM_ADDRESS
        case .bridge: offset = 0x38  // PCI_ROM_ADDRESS1
        case .cardBus: return nil
        }
        let value = readLE32(b, offset)
        guard value != 0 else { return nil }
        return ROMRegister(address: value & ~0x7ff, enabled: value & 0x1 != 0)
    }

    func decodeBridgeWindows() -> BridgeWindowRegisters {
        // pci_read_bridge_io(): 4 KiB granular, upper 16 bits when PCI_IO_RANGE_TYPE_32.
        let ioBaseLow = b[0x1c], ioLimitLow = b[0x1d]
        var ioBase = UInt64(ioBaseLow & 0xf0) << 8
        var ioLimit = UInt64(ioLimitLow & 0xf0) << 8
        if ioBaseLow & 0x0f == 0x01 {
            ioBase |= UInt64(readLE16(b, 0x30)) << 16
            ioLimit |= UInt64(readLE16(b, 0x32)) << 16
        }
        // pci_read_bridge_mmio(): 1 MiB granular.
        let memBase = UInt64(readLE16(b, 0x20) & 0xfff0) << 16
        let memLimit = UInt64(readLE16(b, 0x22) & 0xfff0) << 16
        // pci_read_bridge_mmio_pref(): upper 32 bits when PCI_PREF_RANGE_TYPE_64.
        let prefBaseLow = readLE16(b, 0x24)
        var prefBase = UInt64(prefBaseLow & 0xfff0) << 16
        var prefLimit = UInt64(readLE16(b, 0x26) & 0xfff0) << 16
        let pref64 = prefBaseLow & 0x0f == 0x01
        if pref64 {
            prefBase |= UInt64(readLE32(b, 0x28)) << 32
            prefLimit |= UInt64(readLE32(b, 0x2c)) << 32
        }
        return BridgeWindowRegisters(
            io: ioBase <= ioLimit ? ioBase...(ioLimit + 0xfff) : nil,
            memory: memBase <= memLimit ? memBase...(memLimit + 0xf_ffff) : nil,
            prefetchable: prefBase <= prefLimit ? prefBase...(prefLimit + 0xf_ffff) : nil,
            prefetchable64Bit: pref64,
            primaryBus: b[0x18], secondaryBus: b[0x19], subordinateBus: b[0x1a])
    }

    /// The standard list from 0x34 (0x14 for CardBus). The kernel's walk (`__pci_find_next_cap_ttl`)
    /// masks the low 2 bits, stops below 0x40 and at ID 0xff, and gives up after 48 steps.
    mutating func walkCapabilities(layout: HeaderType.Layout, status: UInt16) throws(ParseError) -> [CapabilityHeader] {
        let start = layout == .cardBus ? 0x14 : 0x34
        guard start < b.count else { return [] }
        let first = Int(b[start])
        guard status & 0x10 != 0 else {  // PCI_STATUS_CAP_LIST
            if first != 0 {
                warn(start, "capability pointer \(hex(first, width: 2)) ignored: Status.CAP_LIST (bit 4 of 0x06) is clear, so the kernel does not walk the list")
            }
            return []
        }
        if b.count == 64 {
            if first != 0 {
                warn(start, "the capability list starts at \(hex(first, width: 2)) but the image has only 64 bytes (read without root?); MSI-X and Enhanced Allocation cannot be read")
            }
            return []
        }
        var caps: [CapabilityHeader] = []
        var visited: [Int: Int] = [:]  // capability offset -> its position in the list
        var pointerOffset = start
        var pos = first
        while pos != 0 {
            guard pos >= 0x40 else {
                throw error(pointerOffset, "capability pointer \(hex(pos, width: 2)) at \(hex(pointerOffset, width: 2)) points into the standard header; a pointer is 0 (end of list) or 0x40-0xfc")
            }
            if pos & 0x3 != 0 {
                warn(pointerOffset, "capability pointer \(hex(pos, width: 2)) has its reserved low 2 bits set; the kernel masks them")
                pos &= ~0x3
            }
            if let seen = visited[pos] {
                throw error(pointerOffset, "the capability list loops: the pointer at \(hex(pointerOffset, width: 2)) leads back to the capability at \(hex(pos, width: 2)) (entry \(seen + 1) of the list)")
            }
            visited[pos] = caps.count
            let id = b[pos]
            if id == 0xff {
                warn(pos, "capability ID 0xff at \(hex(pos, width: 2)): the kernel stops the walk here")
                break
            }
            caps.append(CapabilityHeader(id: id, offset: pos))
            pointerOffset = pos + 1
            pos = Int(b[pos + 1])
        }
        return caps
    }

    /// MSI-X (ID 0x11): Message Control at +2, Table Offset/BIR at +4, PBA Offset/BIR at +8.
    mutating func decodeMSIX(at pos: Int, bars: [BARRegister], layout: HeaderType.Layout) throws(ParseError) -> MSIXCapability {
        guard pos + 12 <= 0x100 else {  // PCI_CAP_MSIX_SIZEOF
            throw error(pos, "the MSI-X capability at \(hex(pos, width: 2)) needs 12 bytes but standard config space ends at 0x100")
        }
        let control = readLE16(b, pos + 2)
        let table = readLE32(b, pos + 4)
        let pba = readLE32(b, pos + 8)
        for (what, register, offset) in [("table", table, pos + 4), ("PBA", pba, pos + 8)] where register & 0x7 > 5 {
            throw error(offset, "MSI-X \(what) BIR \(register & 0x7) is reserved (register \(hex(register, width: 8)) at \(hex(offset, width: 2))); a BIR names BAR 0-5")
        }
        guard let msix = MSIXCapability(messageControl: control, table: table, pba: pba, capabilityOffset: pos) else {
            throw error(pos, "the MSI-X capability at \(hex(pos, width: 2)) cannot be decoded")
        }
        for (what, bir, offset) in [("table", msix.tableBIR, pos + 4), ("PBA", msix.pbaBIR, pos + 8)] {
            guard bir < bars.count else {
                warn(offset, "MSI-X \(what) is in BAR\(bir), but a \(layout) header has only \(bars.count) BAR\(bars.count == 1 ? "" : "s")")
                continue
            }
            let reg = bars[bir]
            if reg.isUpperHalf {
                warn(offset, "MSI-X \(what) is in BAR\(bir), the upper half of 64-bit BAR\(bir - 1)")
            } else if reg.kind == .io {
                warn(offset, "MSI-X \(what) is in BAR\(bir), an I/O BAR")
            }
        }
        if msix.tableOverlapsPBA {
            warn(pos + 8, "the MSI-X table \(hex(msix.tableRange.lowerBound))-\(hex(msix.tableRange.upperBound - 1)) and PBA \(hex(msix.pbaRange.lowerBound))-\(hex(msix.pbaRange.upperBound - 1)) share bytes in BAR\(msix.tableBIR)")
        }
        return msix
    }

    /// Enhanced Allocation (standard ID 0x14), read as `pci_ea_init()`/`pci_ea_read()` do.
    mutating func decodeEnhancedAllocation(at pos: Int, layout: HeaderType.Layout) throws(ParseError) -> [EnhancedAllocationEntry] {
        let limit = 0x100
        guard pos + 4 <= limit else {
            throw error(pos, "the Enhanced Allocation capability at \(hex(pos, width: 2)) runs past 0x100")
        }
        let count = Int(b[pos + 2] & 0x3f)  // PCI_EA_NUM_ENT_MASK
        var offset = pos + 4  // PCI_EA_FIRST_ENT
        if layout == .bridge { offset += 4 }  // skip the fixed bus numbers DWORD of a type-1 function
        var entries: [EnhancedAllocationEntry] = []
        for n in 1..<(count + 1) {
            guard offset + 4 <= limit else {
                throw error(offset, "Enhanced Allocation entry \(n) of \(count) starts at \(hex(offset, width: 2)), past the end of standard config space")
            }
            let dw0 = readLE32(b, offset)
            let size = (Int(dw0 & 0x7) + 1) * 4  // PCI_EA_ES: DWORDs after the first
            guard offset + size <= limit else {
                throw error(offset, "Enhanced Allocation entry \(n) at \(hex(offset, width: 2)) declares \(size) bytes (PCI_EA_ES) and runs past 0x100")
            }
            entries.append(try decodeEAEntry(at: offset, dw0: dw0, size: size, limit: limit))
            offset += size
        }
        return entries
    }

    private mutating func decodeEAEntry(at offset: Int, dw0: UInt32, size: Int, limit: Int) throws(ParseError) -> EnhancedAllocationEntry {
        let enabled = dw0 & 0x8000_0000 != 0
        let bei = UInt8((dw0 >> 4) & 0xf)
        let primary = UInt8((dw0 >> 8) & 0xff)
        let secondary = UInt8((dw0 >> 16) & 0xff)
        func entry(base: UInt64? = nil, maxOffset: UInt64? = nil, resource: Resource? = nil, slot: Int? = nil) -> EnhancedAllocationEntry {
            EnhancedAllocationEntry(offset: offset, size: size, bei: bei, primaryProperties: primary,
                                    secondaryProperties: secondary, writable: dw0 & 0x4000_0000 != 0,
                                    enabled: enabled, base: base, maxOffset: maxOffset, resource: resource,
                                    kernelSlot: slot)
        }
        var property = primary
        if property > 0x07 && property < 0xfd { property = secondary }  // reserved primary: use secondary
        guard enabled, property <= 0x07 else { return entry() }  // the kernel skips these silently
        guard let slot = EnhancedAllocationEntry.kernelSlot(bei: bei, property: property) else {
            warn(offset, "Enhanced Allocation entry with BEI \(bei) and properties \(hex(property)): the kernel skips it (\"Unsupported EA entry BEI\")")
            return entry()
        }
        guard var flags = EnhancedAllocationEntry.kernelFlags(property: property) else {
            warn(offset, "Enhanced Allocation entry with properties \(hex(property)): the kernel skips it (\"Unsupported EA properties\")")
            return entry()
        }
        // The kernel reads Base, MaxOffset, then the upper DWORDs, whatever the declared size, and
        // rejects the entry afterwards if the two disagree; reads must stay inside the image.
        var cursor = offset + 4
        func next() throws(ParseError) -> UInt32 {
            guard cursor + 4 <= b.count else {
                throw error(cursor, "the Enhanced Allocation entry at \(hex(offset, width: 2)) runs past the end of the image")
            }
            defer { cursor += 4 }
            return readLE32(b, cursor)
        }
        let baseLow = try next()
        let maxLow = try next()
        var start = UInt64(baseLow & 0xffff_fffc)  // PCI_EA_FIELD_MASK
        var maxOffset = UInt64(maxLow & 0xffff_fffc)
        if baseLow & 0x2 != 0 {  // PCI_EA_IS_64
            start |= UInt64(try next()) << 32
            flags.insert(.mem64)
        }
        var end = start &+ UInt64(maxLow | 0x3)  // u64 arithmetic, wrapping as in the kernel
        if maxLow & 0x2 != 0 {
            let upper = UInt64(try next()) << 32
            maxOffset |= upper
            end = end &+ upper
            flags.insert(.mem64)
        }
        guard end >= start else {
            warn(offset, "Enhanced Allocation entry \(hex(start))+\(hex(maxOffset | 3)) wraps past 2^64; the kernel skips it (\"EA Entry crosses address boundary\")")
            return entry(base: start, maxOffset: maxOffset)
        }
        guard cursor - offset == size else {
            warn(offset, "Enhanced Allocation entry declares \(size) bytes but its fields take \(cursor - offset); the kernel skips it (\"EA Entry Size does not match length read\")")
            return entry(base: start, maxOffset: maxOffset)
        }
        guard let resource = Resource(start: start, end: end, flags: flags) else {
            warn(offset, "Enhanced Allocation entry spans all 2^64 addresses")
            return entry(base: start, maxOffset: maxOffset)
        }
        return entry(base: start, maxOffset: maxOffset, resource: resource, slot: slot)
    }

    /// The extended list from 0x100 (`pci_find_next_ext_capability`): header = ID (15:0), version
    /// (19:16), next (31:20, low 2 bits masked). A first header of 0 means none.
    mutating func walkExtendedCapabilities() throws(ParseError) -> [ExtendedCapabilityHeader] {
        guard b.count == 4096 else { return [] }
        let first = readLE32(b, 0x100)
        if first == 0 { return [] }
        if first == 0xffff_ffff {
            warn(0x100, "extended config space reads all ones: no extended capabilities, or the read failed")
            return []
        }
        var caps: [ExtendedCapabilityHeader] = []
        var visited: [Int: Int] = [:]
        var pointerOffset: Int?
        var pos = 0x100
        while true {
            if let seen = visited[pos] {
                let from = pointerOffset ?? pos
                throw error(from, "the extended capability list loops: the next pointer at \(hex(from)) leads back to the capability at \(hex(pos)) (entry \(seen + 1) of the list)")
            }
            visited[pos] = caps.count
            let header = readLE32(b, pos)
            if header == 0 { break }
            caps.append(ExtendedCapabilityHeader(id: UInt16(header & 0xffff), version: UInt8((header >> 16) & 0xf), offset: pos))
            let next = Int((header >> 20) & 0xffc)
            if next == 0 { break }
            guard next >= 0x100 else {
                throw error(pos + 2, "the extended capability at \(hex(pos)) has next pointer \(hex(next)), below 0x100; extended capabilities live at 0x100-0xffc")
            }
            pointerOffset = pos + 2
            pos = next
        }
        return caps
    }

    mutating func decodeSRIOV(at pos: Int) throws(ParseError) -> SRIOVCapability {
        guard pos + SRIOVCapability.byteSize <= b.count else {
            throw error(pos, "the SR-IOV capability at \(hex(pos)) needs 64 bytes but config space ends at \(hex(b.count))")
        }
        return SRIOVCapability(
            offset: pos, capabilities: readLE32(b, pos + 0x04), control: readLE16(b, pos + 0x08),
            initialVFs: readLE16(b, pos + 0x0c), totalVFs: readLE16(b, pos + 0x0e), numVFs: readLE16(b, pos + 0x10),
            firstVFOffset: readLE16(b, pos + 0x14), vfStride: readLE16(b, pos + 0x16),
            vfDeviceID: readLE16(b, pos + 0x1a), supportedPageSizes: readLE32(b, pos + 0x1c),
            systemPageSize: readLE32(b, pos + 0x20),
            vfBARRegisters: decodeBARs(at: pos + 0x24, count: 6, virtualFunction: true))
    }

    mutating func decodeResizableBAR(at pos: Int) throws(ParseError) -> [ResizableBAR] {
        guard pos + 12 <= b.count else {
            throw error(pos, "the Resizable BAR capability at \(hex(pos)) runs past the end of config space")
        }
        let count = Int((readLE32(b, pos + 8) >> 5) & 0x7)  // PCI_REBAR_CTRL_NBAR_MASK
        if count == 0 || count > 6 {
            warn(pos + 8, "the Resizable BAR capability declares \(count) BARs (NBAR); 1-6 are valid")
        }
        guard pos + 4 + 8 * count <= b.count else {
            throw error(pos, "the Resizable BAR capability at \(hex(pos)) declares \(count) entries and runs past the end of config space")
        }
        return (0..<count).map { n in
            ResizableBAR(capability: readLE32(b, pos + 4 + 8 * n), control: readLE32(b, pos + 8 + 8 * n))
        }
    }
}
