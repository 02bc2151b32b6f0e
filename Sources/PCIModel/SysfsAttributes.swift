/// Parsers for the small sysfs text attributes and links of a PCI device directory.
///
/// Formats from drivers/pci/pci-sysfs.c: `vendor`, `device`, `subsystem_vendor`, `subsystem_device`
/// print `"0x%04x\n"`, `class` prints `"0x%06x\n"`, `revision` prints `"0x%02x\n"`. The `iommu_group`
/// link points at `.../kernel/iommu_groups/<n>`, the `driver` link at `.../bus/pci/drivers/<name>`.
public enum SysfsAttribute {
    /// `vendor` or `subsystem_vendor`, e.g. `0x8086`.
    public static func parseVendor(_ text: String) throws(ParseError) -> UInt16 {
        UInt16(try parseHexValue(text, name: "vendor", maxValue: 0xffff))
    }

    /// `device` or `subsystem_device`, e.g. `0x1572`.
    public static func parseDevice(_ text: String) throws(ParseError) -> UInt16 {
        UInt16(try parseHexValue(text, name: "device", maxValue: 0xffff))
    }

    /// `class`, e.g. `0x020000` (base class, subclass, programming interface).
    public static func parseClass(_ text: String) throws(ParseError) -> UInt32 {
        UInt32(try parseHexValue(text, name: "class", maxValue: 0xff_ffff))
    }

    /// `vendor` or `subsystem_vendor` as read.
    public static func parseVendor(bytes: [UInt8]) throws(ParseError) -> UInt16 {
        UInt16(try parseHexValue(bytes: bytes, name: "vendor", maxValue: 0xffff))
    }

    /// `device` or `subsystem_device` as read.
    public static func parseDevice(bytes: [UInt8]) throws(ParseError) -> UInt16 {
        UInt16(try parseHexValue(bytes: bytes, name: "device", maxValue: 0xffff))
    }

    /// `class` as read.
    public static func parseClass(bytes: [UInt8]) throws(ParseError) -> UInt32 {
        UInt32(try parseHexValue(bytes: bytes, name: "class", maxValue: 0xff_ffff))
    }

    /// `revision`, e.g. `0x01`.
    public static func parseRevision(_ text: String) throws(ParseError) -> UInt8 {
        UInt8(try parseHexValue(text, name: "revision", maxValue: 0xff))
    }

    /// One `0x`-prefixed hex value on one line, optionally newline-terminated, at most `maxValue`.
    public static func parseHexValue(_ text: String, name: String, maxValue: UInt64) throws(ParseError) -> UInt64 {
        try parseHexValue(bytes: Array(text.utf8), name: name, maxValue: maxValue)
    }

    /// ``parseHexValue(_:name:maxValue:)`` on the file's bytes as read, so an error names a byte
    /// that is not UTF-8 as it is in the file.
    public static func parseHexValue(bytes text: [UInt8], name: String, maxValue: UInt64) throws(ParseError) -> UInt64 {
        let lines = splitLines(bytes: text)
        func fail(_ line: Int, _ column: Int?, _ message: String) -> ParseError {
            ParseError(.sysfsAttribute, .line(line, column: column), "\(name): \(message)")
        }
        guard let line = lines.first, !line.bytes.isEmpty else {
            throw fail(1, nil, "empty; expected one hex value such as 0x\(String(repeating: "0", count: hexString(maxValue).count))")
        }
        guard lines.count == 1 else { throw fail(2, nil, "expected a single line, found \(lines.count)") }
        let bytes = line.bytes
        let base = bytes.startIndex
        guard bytes.count >= 2, bytes[base] == UInt8(ascii: "0"), bytes[base + 1] | 0x20 == UInt8(ascii: "x") else {
            throw fail(1, 1, "\"\(string(bytes))\" lacks the 0x prefix the kernel prints")
        }
        switch scanHex(bytes.dropFirst(2)) {
        case .empty:
            throw fail(1, 3, "no digits after 0x")
        case let .invalidDigit(at: bad):
            throw fail(1, bad - base + 1, "\(describeByte(bytes[bad])) is not a hex digit")
        case .overflow:
            throw fail(1, 1, "\"\(string(bytes))\" is above 0xffffffffffffffff")
        case let .value(v):
            guard v <= maxValue else { throw fail(1, 1, "\(hex(v)) is above the largest \(name), \(hex(maxValue))") }
            return v
        }
    }

    /// The group number from the `iommu_group` link target, e.g. `../../../../kernel/iommu_groups/12`.
    public static func parseIOMMUGroupLink(_ target: String) throws(ParseError) -> Int {
        let name = lastComponent(target)
        guard let value = scanDecimal(ArraySlice(name.utf8)),
              value <= UInt64(Int32.max) else {
            throw ParseError(.sysfsLink, .byteOffset(target.utf8.count - name.utf8.count),
                             "iommu_group link \"\(target)\" does not end in a group number")
        }
        return Int(value)
    }

    /// The driver name from the `driver` link target, e.g. `../../../../bus/pci/drivers/vfio-pci`.
    public static func parseDriverLink(_ target: String) throws(ParseError) -> String {
        let name = lastComponent(target)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw ParseError(.sysfsLink, .byteOffset(target.utf8.count), "driver link \"\(target)\" does not end in a driver name")
        }
        return name
    }

    private static func lastComponent(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.utf8.last == UInt8(ascii: "/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.utf8.lastIndex(of: UInt8(ascii: "/")) else { return String(trimmed) }
        return String(trimmed[trimmed.utf8.index(after: slash)...])
    }
}
