/// A concrete PCI machine: a host bridge window, PCI-PCI bridges with memory windows, and
/// functions whose BARs are placed. `barproof search` builds these as counterexamples; the
/// fixture writers render them in the kernel's own formats (sysfs `resource`, `config`,
/// `/proc/iomem`).
///
/// Addresses are bus addresses equal to CPU physical addresses (no host-bridge offset), as on
/// x86 and most arm64 hosts.
///
/// The Codable form is the one `barproof search --format json` and a fixture's `topology.json`
/// carry (docs/formats/topology.md): snake_case keys, and addresses, sizes and the page size as
/// ``HexWord`` strings so that readers whose numbers are doubles see them exactly.
public struct Topology: Hashable, Sendable, Codable {
    /// An inclusive address range `[start, end]`.
    public struct Window: Hashable, Sendable, Codable, CustomStringConvertible {
        public var start: UInt64
        public var end: UInt64

        public init(start: UInt64, end: UInt64) {
            self.start = start
            self.end = end
        }

        public var size: UInt64 { end &- start &+ 1 }
        public func contains(_ x: UInt64) -> Bool { start <= x && x <= end }
        public func overlaps(_ other: Window) -> Bool { start <= other.end && other.start <= end }
        public var description: String { "[\(hexText(start)), \(hexText(end))]" }

        enum CodingKeys: String, CodingKey { case start, end }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            start = try c.decode(HexWord.self, forKey: .start).value
            end = try c.decode(HexWord.self, forKey: .end).value
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(HexWord(start), forKey: .start)
            try c.encode(HexWord(end), forKey: .end)
        }
    }

    /// A PCI-PCI bridge (type 1 header) forwarding its non-prefetchable memory window to its
    /// secondary bus. Bridge memory windows are 1 MiB-granular (`PCI_MEMORY_BASE` holds bits 31:20).
    public struct Bridge: Hashable, Sendable, Codable {
        public var address: PCIAddress
        /// The bus number behind the bridge.
        public var secondaryBus: UInt8
        /// The memory window (`PCI_MEMORY_BASE`/`PCI_MEMORY_LIMIT`).
        public var window: Window
        /// The bridge it sits behind; nil when it is on the root bus.
        public var upstream: PCIAddress?

        public init(address: PCIAddress, secondaryBus: UInt8, window: Window, upstream: PCIAddress? = nil) {
            self.address = address
            self.secondaryBus = secondaryBus
            self.window = window
            self.upstream = upstream
        }

        enum CodingKeys: String, CodingKey {
            case address, window, upstream
            case secondaryBus = "secondary_bus"
        }
    }

    /// A BAR as the allocator placed it.
    public struct PlacedBAR: Hashable, Sendable, Codable {
        /// 0...5; a 64-bit BAR also occupies `index + 1`.
        public var index: Int
        /// `mem32`, `mem64` or `io`.
        public var kind: BARKind
        public var prefetchable: Bool
        public var start: UInt64
        public var size: UInt64
        /// Placed by firmware (`IORESOURCE_PCI_FIXED`) or by an Enhanced Allocation entry, not
        /// by the PCI core's allocator: the only BARs that may be unaligned.
        public var fixed: Bool

        public init(index: Int, kind: BARKind, prefetchable: Bool = false, start: UInt64, size: UInt64, fixed: Bool = false) {
            self.index = index
            self.kind = kind
            self.prefetchable = prefetchable
            self.start = start
            self.size = size
            self.fixed = fixed
        }

        /// Inclusive.
        public var end: UInt64 { start &+ (size &- 1) }
        public var window: Window { Window(start: start, end: end) }

        enum CodingKeys: String, CodingKey { case index, kind, prefetchable, start, size, fixed }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            index = try c.decode(Int.self, forKey: .index)
            kind = try c.decode(BARKind.self, forKey: .kind)
            prefetchable = try c.decode(Bool.self, forKey: .prefetchable)
            start = try c.decode(HexWord.self, forKey: .start).value
            size = try c.decode(HexWord.self, forKey: .size).value
            fixed = try c.decode(Bool.self, forKey: .fixed)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encode(kind, forKey: .kind)
            try c.encode(prefetchable, forKey: .prefetchable)
            try c.encode(HexWord(start), forKey: .start)
            try c.encode(HexWord(size), forKey: .size)
            try c.encode(fixed, forKey: .fixed)
        }
    }

    /// A normal (type 0 header) function.
    public struct Function: Hashable, Sendable, Codable {
        public var address: PCIAddress
        public var vendorID: UInt16
        public var deviceID: UInt16
        /// Class code, 24 bits (`class` in sysfs is `0x` and six hex digits).
        public var classCode: UInt32
        /// Sorted by index.
        public var bars: [PlacedBAR]
        public var msix: MSIXCapability?
        /// The bridge it sits behind; nil when it is on the root bus.
        public var upstream: PCIAddress?

        public init(address: PCIAddress, vendorID: UInt16, deviceID: UInt16, classCode: UInt32, bars: [PlacedBAR],
                    msix: MSIXCapability? = nil, upstream: PCIAddress? = nil) {
            self.address = address
            self.vendorID = vendorID
            self.deviceID = deviceID
            self.classCode = classCode
            self.bars = bars.sorted { $0.index < $1.index }
            self.msix = msix
            self.upstream = upstream
        }

        public func bar(_ index: Int) -> PlacedBAR? { bars.first { $0.index == index } }

        /// The bytes of the function's MSI-X table (`pba` false) or PBA inside `bar` (inclusive,
        /// clipped to the BAR's end); nil when that structure is not in `bar` or is empty.
        public func msixBytes(pba: Bool = false, in bar: PlacedBAR) -> Window? {
            guard let msix else { return nil }
            let (bir, offset, length) = pba ? (msix.pbaBIR, UInt64(msix.pbaOffset), msix.pbaSize)
                                            : (msix.tableBIR, UInt64(msix.tableOffset), msix.tableSize)
            guard bir == bar.index, offset < bar.size, length > 0 else { return nil }
            let start = bar.start &+ offset
            return Window(start: start, end: min(bar.end, start &+ (length - 1)))
        }

        enum CodingKeys: String, CodingKey {
            case address, bars, msix, upstream
            case vendorID = "vendor_id"
            case deviceID = "device_id"
            case classCode = "class_code"
        }
    }

    /// `PAGE_SIZE` of the host the machine is judged on.
    public var pageSize: UInt64
    /// The host bridge's memory window, `PCI Bus 0000:00` in `/proc/iomem`.
    public var hostWindow: Window
    public var bridges: [Bridge]
    public var functions: [Function]

    public init(pageSize: UInt64, hostWindow: Window, bridges: [Bridge] = [], functions: [Function]) {
        self.pageSize = pageSize
        self.hostWindow = hostWindow
        self.bridges = bridges
        self.functions = functions
    }

    enum CodingKeys: String, CodingKey {
        case bridges, functions
        case pageSize = "page_size"
        case hostWindow = "host_window"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pageSize = try c.decode(HexWord.self, forKey: .pageSize).value
        hostWindow = try c.decode(Window.self, forKey: .hostWindow)
        bridges = try c.decode([Bridge].self, forKey: .bridges)
        functions = try c.decode([Function].self, forKey: .functions)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(HexWord(pageSize), forKey: .pageSize)
        try c.encode(hostWindow, forKey: .hostWindow)
        try c.encode(bridges, forKey: .bridges)
        try c.encode(functions, forKey: .functions)
    }

    public func function(_ address: PCIAddress) -> Function? { functions.first { $0.address == address } }
    public func bridge(_ address: PCIAddress) -> Bridge? { bridges.first { $0.address == address } }

    /// The window a function's or bridge's resources are children of: its upstream bridge's
    /// window, or the host window.
    public func parentWindow(of upstream: PCIAddress?) -> Window {
        upstream.flatMap { bridge($0)?.window } ?? hostWindow
    }

    /// Problems that make the machine impossible for a real allocator: a BAR outside its parent
    /// window, siblings that overlap, a host or bridge window that is not 1 MiB-granular, a 32-bit
    /// BAR above 4 GiB, a BAR that is not naturally aligned (allowed for a firmware-fixed or EA BAR
    /// only where the platform allows unaligned fixed resources, `unalignedFixedAllowed`). Empty
    /// for a valid machine. The same facts as the machine model's `allocatorFacts` (Prover), the
    /// search's bounds (devices, sizes, the MMIO range) aside.
    public func placementProblems(unalignedFixedAllowed: Bool) -> [String] {
        var problems: [String] = []
        let mib: UInt64 = 1 << 20
        if hostWindow.start % mib != 0 || hostWindow.size % mib != 0 {
            problems.append("the host window \(hostWindow) is not 1 MiB-granular")
        }
        var children: [PCIAddress?: [(String, Window)]] = [:]
        for b in bridges {
            if b.window.start % mib != 0 || b.window.size % mib != 0 {
                problems.append("bridge \(b.address): window \(b.window) is not 1 MiB-granular")
            }
            let parent = parentWindow(of: b.upstream)
            if !(parent.start <= b.window.start && b.window.end <= parent.end) {
                problems.append("bridge \(b.address): window \(b.window) is outside its parent \(parent)")
            }
            children[b.upstream, default: []].append(("bridge \(b.address) window", b.window))
        }
        for f in functions {
            let parent = parentWindow(of: f.upstream)
            for bar in f.bars where bar.kind.isMemory {
                let name = "\(f.address) BAR \(bar.index)"
                if bar.size == 0 || bar.start > bar.end { problems.append("\(name): empty or wrapping"); continue }
                if !(parent.start <= bar.start && bar.end <= parent.end) {
                    problems.append("\(name) \(bar.window) is outside its parent window \(parent)")
                }
                if bar.kind == .mem32 && bar.end > UInt64(UInt32.max) { problems.append("\(name): a 32-bit BAR above 4 GiB") }
                if !(bar.fixed && unalignedFixedAllowed) && (bar.size & (bar.size - 1) != 0 || bar.start % bar.size != 0) {
                    problems.append("\(name) \(bar.window) is not naturally aligned" + (bar.fixed ? " (and the platform does not allow unaligned fixed resources)" : ""))
                }
                children[f.upstream, default: []].append((name, bar.window))
            }
        }
        for (_, siblings) in children.sorted(by: { ($0.key?.description ?? "") < ($1.key?.description ?? "") }) {
            for i in siblings.indices {
                for j in siblings.indices where j > i && siblings[i].1.overlaps(siblings[j].1) {
                    problems.append("\(siblings[i].0) \(siblings[i].1) overlaps \(siblings[j].0) \(siblings[j].1)")
                }
            }
        }
        return problems
    }
}

/// `0x` and lowercase hex digits.
public func hexText(_ x: UInt64) -> String { "0x" + hexString(x) }

/// `0x` and at least `width` lowercase hex digits, zero-padded (`0x00000000fe000000`).
public func hexPadded(_ value: UInt64, _ width: Int) -> String { "0x" + hexString(value, width: width) }
