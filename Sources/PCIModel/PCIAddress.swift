/// A PCI function's address, printed `dddd:bb:dd.f` as sysfs names device directories
/// (`dev_set_name(&dev->dev, "%04x:%02x:%02x.%d", pci_domain_nr(bus), bus->number, slot, func)`,
/// drivers/pci/probe.c). Domains above 0xffff (e.g. Intel VMD) print with more than 4 digits.
public struct PCIAddress: Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    LosslessStringConvertible
{
    public let domain: UInt32
    public let bus: UInt8
    /// Device (slot) number, 0...31.
    public let device: UInt8
    /// Function number, 0...7.
    public let function: UInt8

    /// Nil when `device > 31` or `function > 7`.
    public init?(domain: UInt32 = 0, bus: UInt8, device: UInt8, function: UInt8) {
        guard device <= 0x1f, function <= 7 else { return nil }
        self.domain = domain
        self.bus = bus
        self.device = device
        self.function = function
    }

    /// `PCI_DEVFN(slot, func)`: `(device << 3) | function`.
    public var devfn: UInt8 { device << 3 | function }

    /// Parses `[domain:]bus:device.function` in hex, e.g. `0000:3b:00.1` or `3b:00.1` (domain 0).
    /// Stricter than the kernel's `sscanf`: no spaces, no `0x` prefixes, at most 8 domain digits,
    /// 2 bus digits, 2 device digits and 1 function digit.
    public init(parsing text: String) throws(ParseError) {
        let bytes = Array(text.utf8)
        func fail(_ offset: Int, _ message: String) -> ParseError {
            ParseError(.pciAddress, .byteOffset(offset), message)
        }
        let expected = "expected dddd:bb:dd.f, e.g. 0000:3b:00.1"
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")) else {
            throw fail(bytes.count, "no '.' before the function number in \"\(text)\"; \(expected)")
        }
        let colons = bytes[..<dot].indices.filter { bytes[$0] == UInt8(ascii: ":") }
        guard colons.count == 1 || colons.count == 2 else {
            throw fail(0, "\"\(text)\" has \(colons.count) ':' separators; \(expected)")
        }
        var fields: [(range: Range<Int>, name: String, maxDigits: Int)] = []
        if colons.count == 2 {
            fields.append((0..<colons[0], "domain", 8))
            fields.append((colons[0] + 1..<colons[1], "bus", 2))
        } else {
            fields.append((0..<colons[0], "bus", 2))
        }
        fields.append((colons[colons.count - 1] + 1..<dot, "device", 2))
        fields.append((dot + 1..<bytes.count, "function", 1))
        var values: [UInt64] = []
        for field in fields {
            let digits = bytes[field.range]
            switch scanHex(digits) {
            case .empty:
                throw fail(field.range.lowerBound, "the \(field.name) number is empty in \"\(text)\"; \(expected)")
            case let .invalidDigit(at: i):
                throw fail(i, "\(describeByte(bytes[i])) in the \(field.name) number is not a hex digit")
            case .overflow:
                throw fail(field.range.lowerBound, "the \(field.name) number is too long")
            case let .value(v):
                guard digits.count <= field.maxDigits else {
                    throw fail(field.range.lowerBound,
                               "the \(field.name) number has \(digits.count) digits; at most \(field.maxDigits)")
                }
                values.append(v)
            }
        }
        let domain = colons.count == 2 ? UInt32(values[0]) : 0
        let rest = values.suffix(3).map { $0 }
        guard rest[1] <= 0x1f else {
            throw fail(fields[fields.count - 2].range.lowerBound, "device \(hex(rest[1])) is above 0x1f")
        }
        guard rest[2] <= 7 else {
            throw fail(fields[fields.count - 1].range.lowerBound, "function \(rest[2]) is above 7")
        }
        self.domain = domain
        self.bus = UInt8(rest[0])
        self.device = UInt8(rest[1])
        self.function = UInt8(rest[2])
    }

    /// `LosslessStringConvertible`: nil where `init(parsing:)` throws.
    public init?(_ description: String) {
        guard let parsed = try? PCIAddress(parsing: description) else { return nil }
        self = parsed
    }

    /// `dddd:bb:dd.f`, lowercase, as sysfs prints it.
    public var description: String {
        "\(hexString(domain, width: 4)):\(hexString(bus, width: 2)):\(hexString(device, width: 2)).\(function)"
    }

    public static func < (a: PCIAddress, b: PCIAddress) -> Bool {
        (a.domain, a.bus, a.devfn) < (b.domain, b.bus, b.devfn)
    }

    /// Encoded as its string form, e.g. `"0000:3b:00.1"`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        do {
            self = try PCIAddress(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: error.description)
        }
    }
}
