/// The sysfs `resource` file of one PCI function: `/sys/bus/pci/devices/<bdf>/resource`.
///
/// Format, from `resource_show()` (drivers/pci/pci-sysfs.c, read in 3.x and 6.x copies): one line per
/// `pci_dev->resource[i]`, up to `PCI_BRIDGE_RESOURCES` for a function and `DEVICE_COUNT_RESOURCE` for a
/// bridge,
/// `"0x%016llx 0x%016llx 0x%016llx\n"` = start, end (inclusive), flags. Lines 0-5 are the BARs,
/// line 6 the ROM, lines 7-12 the SR-IOV VF BARs when the kernel has `CONFIG_PCI_IOV`, then, for a
/// bridge only (`pci_dev->subordinate`), the 4 bridge windows. So a file has 7 lines (function,
/// no IOV), 11 (bridge, no IOV), 13 (function with IOV) or 17 (bridge with IOV); those counts follow
/// the `pci_dev->resource[]` enum in include/linux/pci.h as recalled, not re-read (UNVERIFIED), and the
/// 7-line case matches the development VM. Unused resources, and (in newer kernels) bridge windows
/// marked `UNSET`/`DISABLED`, print as all zeros.
///
/// The parser rejects, with the 1-based line (and column when one byte is to blame): a line without
/// exactly three fields, a field without the `0x` prefix, a non-hex digit, a value above 2^64 - 1,
/// `start > end`, and a range whose size (2^64) does not fit in 64 bits. Odd but readable input
/// (an unusual number of lines, a BAR that is not naturally aligned, ...) gives warnings.
public struct SysfsResourceFile: Hashable, Sendable {
    /// How the lines map to resources, told by the line count.
    public enum Layout: Hashable, Sendable, Codable {
        /// 7 lines: BARs 0-5 and ROM.
        case function
        /// 11 lines: BARs 0-5, ROM, 4 bridge windows.
        case bridge
        /// 13 lines: BARs 0-5, ROM, 6 SR-IOV VF BARs.
        case functionWithIOV
        /// 17 lines: BARs 0-5, ROM, 6 SR-IOV VF BARs, 4 bridge windows.
        case bridgeWithIOV
        /// Any other count; lines 0-5 are still read as BARs and line 6 as the ROM.
        case unknown(lineCount: Int)

        init(lineCount: Int) {
            switch lineCount {
            case 7: self = .function
            case 11: self = .bridge
            case 13: self = .functionWithIOV
            case 17: self = .bridgeWithIOV
            default: self = .unknown(lineCount: lineCount)
            }
        }

        /// `PCI_IOV_RESOURCES` ... `PCI_IOV_RESOURCE_END`, when present.
        public var sriovLines: Range<Int>? {
            switch self {
            case .functionWithIOV, .bridgeWithIOV: 7..<13
            default: nil
            }
        }

        /// `PCI_BRIDGE_RESOURCES` ... `PCI_BRIDGE_RESOURCE_END`, when present.
        public var bridgeWindowLines: Range<Int>? {
            switch self {
            case .bridge: 7..<11
            case .bridgeWithIOV: 13..<17
            default: nil
            }
        }
    }

    /// One resource per line, in file order: `resources[i]` is `pci_dev->resource[i]`, from line `i + 1`.
    public let resources: [Resource]
    public let layout: Layout
    public let warnings: [ParseWarning]

    /// Parses the file's text.
    public init(parsing text: String) throws(ParseError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// Parses the file's bytes as read; an error names a byte that is not UTF-8 as it is in the file.
    public init(parsing bytes: [UInt8]) throws(ParseError) {
        var resources: [Resource] = []
        for line in splitLines(bytes: bytes) {
            resources.append(try Self.parseLine(line))
        }
        guard !resources.isEmpty else {
            throw ParseError(.sysfsResource, .line(1, column: nil),
                             "the file is empty; expected one \"0x<start> 0x<end> 0x<flags>\" line per resource")
        }
        self.resources = resources
        self.layout = Layout(lineCount: resources.count)
        self.warnings = Self.check(resources, layout: layout)
    }

    /// The 1-based line that holds `resources[index]`.
    public static func lineNumber(ofResource index: Int) -> Int { index + 1 }

    /// BARs 0-5 (fewer if the file is shorter), kind and prefetch read from the flags.
    public var bars: [BAR] {
        resources.prefix(6).enumerated().compactMap { BAR(index: $0.offset, resource: $0.element) }
    }

    /// The expansion ROM (line 7), or nil when the file has fewer lines.
    public var rom: BAR? {
        resources.count > BAR.romIndex ? BAR(index: BAR.romIndex, resource: resources[BAR.romIndex]) : nil
    }

    /// The SR-IOV VF BARs 0-5 (lines 8-13), when the layout has them. Their resources span all VFs:
    /// each is `NumVFs` (or `TotalVFs`) times the per-VF BAR size.
    public var sriovBARs: [BAR] {
        guard let lines = layout.sriovLines else { return [] }
        return lines.compactMap { BAR(index: $0 - lines.lowerBound, resource: resources[$0]) }
    }

    /// The bridge windows (I/O, memory, prefetchable memory, and a fourth slot used by CardBus), when
    /// the layout has them. A closed window is `Resource.unused`.
    public var bridgeWindows: [Resource] {
        guard let lines = layout.bridgeWindowLines else { return [] }
        return Array(resources[lines])
    }

    static func parseLine(_ line: TextLine) throws(ParseError) -> Resource {
        let bytes = line.bytes
        let base = bytes.startIndex
        func column(_ index: Int) -> Int { index - base + 1 }
        func fail(_ column: Int?, _ message: String) -> ParseError {
            ParseError(.sysfsResource, .line(line.number, column: column), message)
        }
        let isBlank = { (b: UInt8) in b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        var fields: [Range<Int>] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if isBlank(bytes[i]) { i += 1; continue }
            let start = i
            while i < bytes.endIndex, !isBlank(bytes[i]) { i += 1 }
            fields.append(start..<i)
        }
        let format = "expected three hex numbers \"0x<start> 0x<end> 0x<flags>\", as the kernel prints them"
        guard fields.count == 3 else {
            if fields.isEmpty { throw fail(nil, "empty line; \(format)") }
            let names = ["start", "end", "flags"]
            let what = fields.count < 3
                ? "found only \(fields.count) field\(fields.count == 1 ? "" : "s") (missing \(names[fields.count...].joined(separator: " and ")))"
                : "found \(fields.count) fields"
            throw fail(fields.count < 3 ? column(bytes.endIndex) : column(fields[3].lowerBound), "\(what); \(format)")
        }
        var values: [UInt64] = []
        for (name, field) in zip(["start", "end", "flags"], fields) {
            let text = bytes[field]
            guard text.count >= 2, text[field.lowerBound] == UInt8(ascii: "0"),
                  text[field.lowerBound + 1] | 0x20 == UInt8(ascii: "x") else {
                throw fail(column(field.lowerBound), "the \(name) field \"\(string(text))\" lacks the 0x prefix; \(format)")
            }
            let digits = text.dropFirst(2)
            switch scanHex(digits) {
            case .empty:
                throw fail(column(field.lowerBound), "the \(name) field \"0x\" has no digits")
            case let .invalidDigit(at: bad):
                throw fail(column(bad), "\(describeByte(bytes[bad])) in the \(name) field is not a hex digit")
            case .overflow:
                throw fail(column(field.lowerBound),
                           "the \(name) field \"\(string(text))\" is above 0xffffffffffffffff (2^64 - 1)")
            case let .value(v):
                values.append(v)
            }
        }
        let (start, end, flags) = (values[0], values[1], values[2])
        guard start <= end else {
            throw fail(column(fields[0].lowerBound),
                       "start \(hex(start, width: 16)) is above end \(hex(end, width: 16)); the end is inclusive and never below the start")
        }
        guard let resource = Resource(start: start, end: end, flags: ResourceFlags(rawValue: flags)) else {
            throw fail(column(fields[0].lowerBound),
                       "the range \(hex(start, width: 16))-\(hex(end, width: 16)) is 2^64 bytes; its size does not fit in 64 bits")
        }
        return resource
    }

    static func check(_ resources: [Resource], layout: Layout) -> [ParseWarning] {
        var warnings: [ParseWarning] = []
        func warn(_ index: Int, _ message: String) {
            warnings.append(ParseWarning(.sysfsResource, .line(lineNumber(ofResource: index), column: nil), message))
        }
        if case let .unknown(count) = layout {
            warn(count - 1, "\(count) lines: expected 7 (function), 11 (bridge), 13 (function, CONFIG_PCI_IOV) or 17 (bridge, CONFIG_PCI_IOV); lines after the ROM are not interpreted")
        }
        // BAR pairs: a 64-bit BAR's upper half is the next slot of the same group (BARs 0-5, or
        // VF BARs 0-5); the ROM is never 64-bit.
        var groups = [0..<min(6, resources.count)]
        if let iov = layout.sriovLines { groups.append(iov) }
        for group in groups {
            for i in group {
                let r = resources[i]
                if r.isUnused { continue }
                if r.isUnset {
                    warn(i, "IORESOURCE_UNSET: no address assigned; pci_enable_resources() will refuse to enable the device")
                }
                if r.is64Bit, i + 1 < group.upperBound, !resources[i + 1].isUnused {
                    warn(i + 1, "the slot after a 64-bit BAR should be empty (its upper half), but holds \(resources[i + 1])")
                }
            }
        }
        // Standard BARs and the ROM are naturally aligned powers of two unless fixed (Enhanced
        // Allocation). VF BAR resources span all VFs, so their total need not be a power of two.
        for i in 0..<min(7, resources.count) {
            let r = resources[i]
            let fixed = r.flags.contains(.pciFixed) || r.flags.contains(.pciEABEI)
            if !r.isUnused, !fixed, !r.isUnset, !r.isNaturallyAligned {
                warn(i, "size \(hex(r.size)) at \(hex(r.start)) is not a naturally aligned power of two, as a standard BAR is")
            }
        }
        return warnings
    }
}
