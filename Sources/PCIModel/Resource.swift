/// A range of bus addresses as a kernel `struct resource` holds it (include/linux/ioport.h): `start`
/// and `end` are **both inclusive**, and `flags` are the `IORESOURCE_*` bits.
///
/// The size follows `pci_resource_len()` (include/linux/pci.h): **zero when `end == 0`** (the unused
/// all-zero resource: an unimplemented BAR, the upper half of a 64-bit BAR, a closed bridge window),
/// otherwise `end - start + 1`. The initializers refuse a range that would span all 2^64 addresses,
/// so `size` never overflows.
///
/// `contains` and `overlaps` follow `resource_contains()` / `resource_overlaps()` on the inclusive
/// bounds, except that an unused resource (size 0) contains and overlaps nothing.
public struct Resource: Hashable, Sendable, Codable, CustomStringConvertible {
    public let start: UInt64
    /// The last address, inclusive.
    public let end: UInt64
    public var flags: ResourceFlags

    /// The all-zero resource the kernel prints as `0x0000000000000000 0x0000000000000000 0x0000000000000000`.
    public static let unused = Resource(checkedStart: 0, end: 0, flags: [])

    /// A resource from inclusive bounds; nil when `start > end` or the range is all 2^64 addresses.
    public init?(start: UInt64, end: UInt64, flags: ResourceFlags = []) {
        guard start <= end, !(start == 0 && end == .max) else { return nil }
        self.init(checkedStart: start, end: end, flags: flags)
    }

    /// A resource from a start and a size (`resource_set_range()`); nil when `size` is 0 or
    /// `start + size - 1` overflows 64 bits.
    public init?(start: UInt64, size: UInt64, flags: ResourceFlags = []) {
        guard size > 0 else { return nil }
        let (last, overflow) = start.addingReportingOverflow(size - 1)
        guard !overflow else { return nil }
        self.init(start: start, end: last, flags: flags)
    }

    init(checkedStart start: UInt64, end: UInt64, flags: ResourceFlags) {
        self.start = start
        self.end = end
        self.flags = flags
    }

    /// True for the unused resource: `pci_resource_len()` is 0 because `end == 0`.
    public var isUnused: Bool { end == 0 }

    /// `pci_resource_len()`: 0 when unused, else `end - start + 1` (cannot overflow; see the type doc).
    public var size: UInt64 { isUnused ? 0 : end - start + 1 }

    /// The inclusive range, or nil when unused.
    public var range: ClosedRange<UInt64>? { isUnused ? nil : start...end }

    /// `IORESOURCE_MEM` is set.
    public var isMemory: Bool { flags.contains(.mem) }
    /// `IORESOURCE_IO` is set.
    public var isIO: Bool { flags.contains(.io) }
    /// `IORESOURCE_PREFETCH` is set.
    public var isPrefetchable: Bool { flags.contains(.prefetch) }
    /// `IORESOURCE_MEM_64` is set.
    public var is64Bit: Bool { flags.contains(.mem64) }
    /// `IORESOURCE_UNSET` is set: no address assigned.
    public var isUnset: Bool { flags.contains(.unset) }

    /// The size is a power of two and `start` a multiple of it, as for every standard BAR. Enhanced
    /// Allocation and `IORESOURCE_PCI_FIXED` resources need not be (docs/kernel.md, "Natural alignment").
    public var isNaturallyAligned: Bool {
        let size = self.size
        return size != 0 && size & (size - 1) == 0 && start & (size - 1) == 0
    }

    public func contains(_ address: UInt64) -> Bool { !isUnused && start <= address && address <= end }

    public func contains(_ other: Resource) -> Bool {
        !isUnused && !other.isUnused && start <= other.start && other.end <= end
    }

    public func overlaps(_ other: Resource) -> Bool {
        !isUnused && !other.isUnused && start <= other.end && other.start <= end
    }

    public func overlaps(_ range: ClosedRange<UInt64>) -> Bool {
        !isUnused && start <= range.upperBound && range.lowerBound <= end
    }

    /// `[0x00000040_00000000-0x00000040_0007ffff MEM_64|SIZEALIGN|MEM|0x4]`-style, for reports.
    public var description: String {
        isUnused && flags.isEmpty ? "[unused]" : "[\(hex(start, width: 16))-\(hex(end, width: 16)) \(flags)]"
    }

    private enum CodingKeys: String, CodingKey { case start, end, flags }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let start = try c.decode(UInt64.self, forKey: .start)
        let end = try c.decode(UInt64.self, forKey: .end)
        let flags = try c.decode(ResourceFlags.self, forKey: .flags)
        guard let resource = Resource(start: start, end: end, flags: flags) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "resource start \(hex(start)) is above end \(hex(end)), or spans all 2^64 addresses"))
        }
        self = resource
    }
}
