/// The value of `pci=resource_alignment=` (or of `/sys/bus/pci/resource_alignment`), parsed in the
/// kernel's own syntax.
///
/// Syntax (Documentation/admin-guide/kernel-parameters.txt): `[<order of align>@]<pci_dev>[; ...]`,
/// where `<pci_dev>` is `[<domain>:]<bus>:<dev>.<func>[/<dev>.<func>]*` (a path as `lspci -t` shows
/// it) or `pci:<vendor>:<device>[:<subvendor>:<subdevice>]` (0 matches any value). Semantics from
/// `pci_specified_resource_alignment()` and `pci_dev_str_match()` / `pci_dev_str_match_path()`
/// (drivers/pci/pci.c):
///
/// - A missing order means `PAGE_SHIFT`, i.e. page-size alignment. An order above 63 is a `pr_err`
///   and becomes `PAGE_SHIFT`: here a warning, and the entry aligns to the page size.
/// - Entries are separated by `;` or `,`, but a bus/device/function entry runs to the next `;`
///   (`strchrnul(path, ';')`), so after such an entry only `;` separates; a `,` there makes the entry
///   unparsable, as in the kernel. Note also that `pci_setup()` splits the `pci=` option list on `,`,
///   so on the kernel command line no `,` survives inside the value at all (see
///   `value(inKernelCommandLine:)`); a `,` only works when written to the sysfs file.
/// - The first matching entry wins; the kernel then resizes the device's memory BARs to the alignment.
///
/// Stricter than the kernel's `sscanf`: no spaces and no `0x` prefixes inside numbers. The kernel
/// parses lazily and still honours entries before an unparsable one; this parser rejects the whole
/// value, naming the byte offset of the bad entry.
public struct ResourceAlignmentParameter: Hashable, Sendable, Codable {
    /// Which device(s) an entry names.
    public enum DeviceSelector: Hashable, Sendable, Codable {
        /// `[domain:]bus:dev.fn[/dev.fn]*`. `root` is the first component; `downstream` lists the
        /// devfn of each following `/dev.fn`, top to bottom, the last one being the device itself.
        case path(domain: UInt32, bus: UInt32, rootDevfn: UInt8, downstream: [UInt8])
        /// `pci:vendor:device[:subvendor:subdevice]`; 0 matches any value.
        case ids(vendor: UInt16, device: UInt16, subsystemVendor: UInt16, subsystemDevice: UInt16)
    }

    public struct Entry: Hashable, Sendable, Codable {
        /// log2 of the alignment; nil means `PAGE_SHIFT` (missing, or above 63).
        public var order: Int?
        public var selector: DeviceSelector
        /// Byte offset of the entry in the value, for messages.
        public var offset: Int

        public init(order: Int?, selector: DeviceSelector, offset: Int) {
            self.order = order
            self.selector = selector
            self.offset = offset
        }

        /// `1 << order`, or the page size when no valid order was given.
        public func alignment(pageSize: PageSize) -> UInt64 {
            guard let order else { return pageSize.rawValue }
            return 1 << UInt64(order)
        }
    }

    /// What the matcher needs to know about a device: `pci_dev_str_match()` compares the address,
    /// the IDs, and, for path entries, the devfn of each upstream bridge.
    public struct DeviceIdentity: Hashable, Sendable, Codable {
        public var address: PCIAddress
        public var vendorID: UInt16
        public var deviceID: UInt16
        public var subsystemVendorID: UInt16
        public var subsystemDeviceID: UInt16
        /// Upstream bridges, nearest first (`pci_upstream_bridge()` repeatedly).
        public var upstreamBridges: [PCIAddress]

        public init(address: PCIAddress, vendorID: UInt16, deviceID: UInt16, subsystemVendorID: UInt16 = 0,
                    subsystemDeviceID: UInt16 = 0, upstreamBridges: [PCIAddress] = []) {
            self.address = address
            self.vendorID = vendorID
            self.deviceID = deviceID
            self.subsystemVendorID = subsystemVendorID
            self.subsystemDeviceID = subsystemDeviceID
            self.upstreamBridges = upstreamBridges
        }
    }

    public var entries: [Entry]
    public var warnings: [ParseWarning]

    public init(entries: [Entry], warnings: [ParseWarning] = []) {
        self.entries = entries
        self.warnings = warnings
    }

    /// Parses the value (without `pci=resource_alignment=`). One trailing newline is ignored: the
    /// one `resource_alignment_show()` (drivers/pci/pci.c) appends in 5.15.0-6.18.2, where
    /// `_store()` cuts a written value at its first newline, or the one `echo` wrote, which
    /// 4.4.0-5.12.9 store with the value (there the kernel itself cannot parse a
    /// `<bus>:<dev>.<func>` entry the newline ends: `sscanf`'s `%c` reads it). The NUL that
    /// 5.4.59-5.12.9 print after it is the caller's to remove. An empty value has no entries.
    public init(parsing value: String) throws(ParseError) {
        var bytes = Array(value.utf8)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        var parser = AlignmentParser(bytes: bytes)
        entries = try parser.parseAll()
        warnings = parser.warnings
    }

    /// The first entry that names `device`, as `pci_specified_resource_alignment()` picks it.
    public func matchingEntry(for device: DeviceIdentity) -> Entry? {
        entries.first { Self.matches($0.selector, device) }
    }

    /// The alignment the parameter requests for `device`, or nil when no entry names it (the kernel
    /// then uses `pcibios_default_alignment()`, without resize).
    public func alignment(for device: DeviceIdentity, pageSize: PageSize) -> UInt64? {
        matchingEntry(for: device)?.alignment(pageSize: pageSize)
    }

    static func matches(_ selector: DeviceSelector, _ device: DeviceIdentity) -> Bool {
        switch selector {
        case let .ids(vendor, deviceID, subVendor, subDevice):
            return (vendor == 0 || vendor == device.vendorID) && (deviceID == 0 || deviceID == device.deviceID)
                && (subVendor == 0 || subVendor == device.subsystemVendorID)
                && (subDevice == 0 || subDevice == device.subsystemDeviceID)
        case let .path(domain, bus, rootDevfn, downstream):
            // pci_dev_str_match_path(): strip "/dev.fn" from the end, comparing each with the current
            // device's devfn and moving to its upstream bridge; the rest must match that bridge.
            let chain = [device.address] + device.upstreamBridges
            guard chain.count > downstream.count else { return false }
            for (step, devfn) in downstream.reversed().enumerated() where chain[step].devfn != devfn {
                return false
            }
            let top = chain[downstream.count]
            return top.domain == domain && UInt32(top.bus) == bus && top.devfn == rootDevfn
        }
    }

    /// Extracts the `resource_alignment=` value from a kernel command line such as `/proc/cmdline`.
    /// `pci_setup()` splits each `pci=` option list on `,`, so the value ends at the first `,` or
    /// space; a later `pci=resource_alignment=` replaces an earlier one. Quoted values are not handled.
    public static func value(inKernelCommandLine commandLine: String) -> String? {
        var found: String?
        for word in commandLine.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            if word == "--" { break }  // what follows goes to init
            guard word.hasPrefix("pci=") else { continue }
            for option in word.dropFirst(4).split(separator: ",", omittingEmptySubsequences: true)
            where option.hasPrefix("resource_alignment=") {
                found = String(option.dropFirst("resource_alignment=".count))
            }
        }
        return found
    }
}

/// The scanning steps of `ResourceAlignmentParameter.init(parsing:)`.
struct AlignmentParser {
    let bytes: [UInt8]
    var warnings: [ParseWarning] = []
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ offset: Int, _ message: String) -> ParseError {
        ParseError(.resourceAlignment, .byteOffset(offset), message)
    }

    mutating func warn(_ offset: Int, _ message: String) {
        warnings.append(ParseWarning(.resourceAlignment, .byteOffset(offset), message))
    }

    static let semicolon = UInt8(ascii: ";")
    static let comma = UInt8(ascii: ",")

    mutating func parseAll() throws(ParseError) -> [ResourceAlignmentParameter.Entry] {
        var entries: [ResourceAlignmentParameter.Entry] = []
        while i < bytes.count {
            let entryStart = i
            let order = try parseOrder()
            let selector: ResourceAlignmentParameter.DeviceSelector
            if bytes[i...].starts(with: "pci:".utf8) {
                selector = try parseIDs()
                // pci_specified_resource_alignment(): anything but ';' or ',' ends the parameter.
                if i < bytes.count, bytes[i] != Self.semicolon, bytes[i] != Self.comma {
                    warn(i, "\"\(string(bytes[i...]))\" after the IDs is ignored: the kernel stops at anything but ';' or ','")
                    entries.append(.init(order: order, selector: selector, offset: entryStart))
                    return entries
                }
            } else {
                selector = try parsePath()
            }
            entries.append(.init(order: order, selector: selector, offset: entryStart))
            if i < bytes.count { i += 1 }  // the separator
        }
        return entries
    }

    /// `sscanf(p, "%d%n", &align_order, &count) == 1 && p[count] == '@'`.
    mutating func parseOrder() throws(ParseError) -> Int? {
        var j = i
        if j < bytes.count, bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+") { j += 1 }
        let digitsStart = j
        while j < bytes.count, bytes[j] >= UInt8(ascii: "0"), bytes[j] <= UInt8(ascii: "9") { j += 1 }
        guard j > digitsStart, j < bytes.count, bytes[j] == UInt8(ascii: "@") else { return nil }
        guard bytes[i] != UInt8(ascii: "-") else {
            throw error(i, "alignment order \"\(string(bytes[i..<j]))\" is negative; it is log2 of the alignment, e.g. 16 for 64 KiB")
        }
        let start = i
        i = j + 1
        guard let order = scanDecimal(bytes[digitsStart..<j]), order <= 63 else {
            warn(start, "alignment order \(string(bytes[digitsStart..<j])) is above 63; the kernel logs \"Invalid requested alignment\" and uses PAGE_SHIFT")
            return nil
        }
        return Int(order)
    }

    /// `sscanf(p, "%hx:%hx:%hx:%hx%n")`, falling back to `"%hx:%hx%n"` when fewer than four IDs read.
    mutating func parseIDs() throws(ParseError) -> ResourceAlignmentParameter.DeviceSelector {
        let start = i
        var fields: [(value: UInt16, end: Int)] = []
        var j = start + 4  // after "pci:"
        while fields.count < 4 {
            let fieldStart = j
            while j < bytes.count, isHexDigit(bytes[j]) { j += 1 }
            guard j > fieldStart else { break }
            guard case let .value(v) = scanHex(bytes[fieldStart..<j]) else {
                throw error(fieldStart, "the ID \"\(string(bytes[fieldStart..<j]))\" is too long")
            }
            if v > 0xffff {
                warn(fieldStart, "the ID \(string(bytes[fieldStart..<j])) has more than 16 bits; the kernel's %hx keeps the low 16 (\(hex(UInt16(truncatingIfNeeded: v), width: 4)))")
            }
            fields.append((UInt16(truncatingIfNeeded: v), j))
            guard fields.count < 4, j < bytes.count, bytes[j] == UInt8(ascii: ":") else { break }
            j += 1
        }
        guard fields.count >= 2 else {
            var at = fields.last?.end ?? start + 4
            if at < bytes.count, bytes[at] == UInt8(ascii: ":") { at += 1 }
            let found = at < bytes.count ? describeByte(bytes[at]) : "the end"
            throw error(at, "expected pci:<vendor>:<device>[:<subvendor>:<subdevice>] in hex, found \(found)")
        }
        let used = fields.count == 4 ? fields : Array(fields.prefix(2))
        i = used[used.count - 1].end
        return .ids(vendor: used[0].value, device: used[1].value,
                    subsystemVendor: used.count == 4 ? used[2].value : 0,
                    subsystemDevice: used.count == 4 ? used[3].value : 0)
    }

    /// `[domain:]bus:dev.fn[/dev.fn]*`, up to the next ';' (or the end).
    mutating func parsePath() throws(ParseError) -> ResourceAlignmentParameter.DeviceSelector {
        let start = i
        var end = start
        while end < bytes.count, bytes[end] != Self.semicolon { end += 1 }
        i = end
        let text = bytes[start..<end]
        guard !text.isEmpty else {
            throw error(start, "empty entry; expected [<order>@]<domain>:<bus>:<dev>.<func> or [<order>@]pci:<vendor>:<device>")
        }
        if let comma = text.firstIndex(of: Self.comma) {
            throw error(comma, "',' cannot end this entry: the kernel ends a <bus>:<dev>.<func> entry only at ';' (pci_dev_str_match_path uses strchrnul(path, ';')), so \"\(string(text))\" is one unparsable entry")
        }
        let components = text.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        var downstream: [UInt8] = []
        for component in components.dropFirst() {
            downstream.append(try devfn(component, context: "a \"/<dev>.<func>\" path step"))
        }
        let root = components[0]
        let colons = root.indices.filter { bytes[$0] == UInt8(ascii: ":") }
        guard colons.count == 1 || colons.count == 2 else {
            throw error(root.startIndex, "\"\(string(text))\" is not [<domain>:]<bus>:<dev>.<func>[/<dev>.<func>]*")
        }
        var domain: UInt32 = 0
        var fieldStart = root.startIndex
        if colons.count == 2 {
            domain = UInt32(try number(bytes[fieldStart..<colons[0]], what: "domain", limit: UInt64(UInt32.max)))
            fieldStart = colons[0] + 1
        }
        let busField = bytes[fieldStart..<colons[colons.count - 1]]
        let bus = UInt32(try number(busField, what: "bus", limit: UInt64(UInt32.max)))
        if bus > 0xff { warn(busField.startIndex, "bus \(hex(bus)) is above 0xff and matches no device") }
        let rootDevfn = try devfn(bytes[(colons[colons.count - 1] + 1)..<root.endIndex], context: "the <dev>.<func> part")
        return .path(domain: domain, bus: bus, rootDevfn: rootDevfn, downstream: downstream)
    }

    /// `%x.%x` -> `PCI_DEVFN(slot, func)`, which masks slot to 5 bits and func to 3.
    mutating func devfn(_ field: ArraySlice<UInt8>, context: String) throws(ParseError) -> UInt8 {
        guard let dot = field.firstIndex(of: UInt8(ascii: ".")) else {
            throw error(field.startIndex, "\(context) \"\(string(field))\" lacks the '.' between device and function")
        }
        let slot = try number(field[field.startIndex..<dot], what: "device", limit: UInt64(UInt32.max))
        let function = try number(field[(dot + 1)...], what: "function", limit: UInt64(UInt32.max))
        if slot > 0x1f || function > 7 {
            warn(field.startIndex, "device \(hex(slot)) / function \(hex(function)) out of range; PCI_DEVFN keeps the low 5 / 3 bits")
        }
        return UInt8(truncatingIfNeeded: (slot & 0x1f) << 3 | (function & 0x7))
    }

    func number(_ field: ArraySlice<UInt8>, what: String, limit: UInt64) throws(ParseError) -> UInt64 {
        switch scanHex(field) {
        case .empty:
            throw error(field.startIndex, "the \(what) number is empty")
        case let .invalidDigit(at: bad):
            throw error(bad, "\(describeByte(bytes[bad])) in the \(what) number is not a hex digit")
        case .overflow:
            throw error(field.startIndex, "the \(what) number \"\(string(field))\" is too large")
        case let .value(v):
            guard v <= limit else { throw error(field.startIndex, "the \(what) number \(hex(v)) is too large") }
            return v
        }
    }
}
