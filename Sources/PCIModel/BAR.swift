/// What a Base Address Register decodes, after `decode_bar()` (drivers/pci/probe.c).
public enum BARKind: String, Hashable, Sendable, Codable, CaseIterable {
    /// 32-bit memory (`PCI_BASE_ADDRESS_MEM_TYPE_32`, and the obsolete below-1M type, which the
    /// kernel treats as 32-bit).
    case mem32
    /// 64-bit memory (`PCI_BASE_ADDRESS_MEM_TYPE_64`): uses this slot and the next.
    case mem64
    /// I/O space (`PCI_BASE_ADDRESS_SPACE_IO`). vfio-pci never lets these be mmapped.
    case io
    /// Nothing: an unimplemented BAR, or the upper half of a 64-bit BAR (flags 0, size 0).
    case none

    /// Classifies a kernel resource by its flags: `IORESOURCE_IO` -> io; `IORESOURCE_MEM` with
    /// `IORESOURCE_MEM_64` -> mem64; `IORESOURCE_MEM` -> mem32; otherwise none.
    public init(flags: ResourceFlags) {
        if flags.contains(.mem) && !flags.contains(.io) {
            self = flags.contains(.mem64) ? .mem64 : .mem32
        } else if flags.contains(.io) && !flags.contains(.mem) {
            self = .io
        } else {
            self = .none
        }
    }

    public var isMemory: Bool { self == .mem32 || self == .mem64 }
}

/// One of a function's BARs (index 0...5) or its expansion ROM (index 6, `PCI_ROM_RESOURCE`), as the
/// kernel holds it in `pci_dev->resource[index]`.
public struct BAR: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `PCI_ROM_RESOURCE`: the ROM's slot in `pci_dev->resource[]` and in the sysfs `resource` file.
    public static let romIndex = 6
    /// The standard BAR slots, `PCI_STD_RESOURCES` ... `PCI_STD_RESOURCE_END`.
    public static let standardIndices = 0...5

    /// 0...5 for a BAR, 6 for the ROM.
    public let index: Int
    public var kind: BARKind
    public var prefetchable: Bool
    /// Where the kernel placed it; `resource.flags` are its `IORESOURCE_*` flags.
    public var resource: Resource

    /// A BAR with explicit kind; nil when `index` is not 0...6.
    public init?(index: Int, kind: BARKind, prefetchable: Bool, resource: Resource) {
        guard (0...Self.romIndex).contains(index) else { return nil }
        self.index = index
        self.kind = kind
        self.prefetchable = prefetchable
        self.resource = resource
    }

    /// A BAR whose kind and prefetchability are read from the resource flags, as the sysfs
    /// `resource` file gives them; nil when `index` is not 0...6.
    public init?(index: Int, resource: Resource) {
        self.init(index: index, kind: BARKind(flags: resource.flags),
                  prefetchable: resource.flags.contains(.prefetch), resource: resource)
    }

    /// The `IORESOURCE_*` flags (same as `resource.flags`).
    public var flags: ResourceFlags { resource.flags }
    /// `pci_resource_len()`.
    public var size: UInt64 { resource.size }
    public var isROM: Bool { index == Self.romIndex }

    public var description: String {
        let name = isROM ? "ROM" : "BAR\(index)"
        return "\(name) \(kind)\(prefetchable ? " pref" : "") \(resource)"
    }

    private enum CodingKeys: String, CodingKey { case index, kind, prefetchable, resource }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let index = try c.decode(Int.self, forKey: .index)
        guard let bar = BAR(index: index, kind: try c.decode(BARKind.self, forKey: .kind),
                            prefetchable: try c.decode(Bool.self, forKey: .prefetchable),
                            resource: try c.decode(Resource.self, forKey: .resource)) else {
            throw DecodingError.dataCorruptedError(forKey: .index, in: c,
                                                   debugDescription: "BAR index \(index) is not 0...6")
        }
        self = bar
    }
}
