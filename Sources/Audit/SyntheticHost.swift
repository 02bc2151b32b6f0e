import PCIModel

extension HostInventory {
    /// The most functions a synthetic host has: one 16 KiB BAR each in a 256 MiB window.
    public static let syntheticLimit = 16384

    /// The address of synthetic function `i`: bus `1 + i / 256`, device `(i / 8) % 32`, function `i % 8`.
    static func syntheticAddress(_ i: Int) -> PCIAddress {
        guard let address = PCIAddress(bus: UInt8(1 + i / 256), device: UInt8(i / 8 % 32), function: UInt8(i % 8)) else {
            preconditionFailure("synthetic function \(i) has no address")
        }
        return address
    }

    /// A machine of `functions` normal-header functions (at most ``syntheticLimit``) built in
    /// memory, for benchmarks: function `i` (``syntheticAddress(_:)``), in IOMMU group `i`, has one
    /// 16 KiB 32-bit BAR 0 at `0xe0000000 + i * 0x4000` holding an MSI-X table (4 entries) at
    /// 0x2000 and its PBA at 0x3000, each claimed under one host bridge window `e0000000-efffffff`.
    /// ``syntheticFiles(functions:)`` is the same machine as sysfs files.
    ///
    /// With `sharingOneRange`, every BAR 0 is at `0xe0000000` instead, and every iomem node has that
    /// range: the crafted input (a few MB of snapshot) on which each BAR meets every other one.
    public static func synthetic(functions: Int, sharingOneRange: Bool = false) -> HostInventory {
        precondition((0...syntheticLimit).contains(functions), "a synthetic host has 0 to \(syntheticLimit) functions")
        let barSize: UInt64 = 0x4000, base: UInt64 = 0xe000_0000
        var devices: [PCIDevice] = []
        var children: [ResourceTree.Node] = []
        for i in 0..<functions {
            let start = sharingOneRange ? base : base + UInt64(i) * barSize
            let address = syntheticAddress(i)
            guard let resource = Resource(start: start, size: barSize, flags: [.mem, .sizeAlign]),
                  let bar = BAR(index: 0, kind: .mem32, prefetchable: false, resource: resource),
                  var msix = MSIXCapability(tableBIR: 0, tableOffset: 0x2000, entries: 4, pbaBIR: 0, pbaOffset: 0x3000)
            else { preconditionFailure("synthetic function \(i) is not representable") }
            msix.capabilityOffset = 0x40
            devices.append(PCIDevice(address: address, vendorID: 0x1af4, deviceID: 0x1000, classCode: 0x020000,
                                     bars: [bar], msix: msix, iommuGroup: i))
            children.append(ResourceTree.Node(name: address.description, start: resource.start, end: resource.end))
        }
        let window = ResourceTree.Node(name: "PCI Bus 0000:00", start: base, end: 0xefff_ffff, children: children)
        return HostInventory(devices: devices, iomem: ResourceTree(roots: [window]))
    }

    /// The machine of ``synthetic(functions:sharingOneRange:)`` (distinct ranges) as the files the
    /// audit reads: each function's `resource` (7 lines), a 256-byte `config` with the MSI-X
    /// capability, `vendor`, `device`, `class`, and `proc/iomem`; and the `iommu_group` links.
    public static func syntheticFiles(functions: Int) -> (files: [String: [UInt8]], links: [String: String]) {
        precondition((0...syntheticLimit).contains(functions), "a synthetic host has 0 to \(syntheticLimit) functions")
        var files: [String: [UInt8]] = [:]
        var links: [String: String] = [:]
        var iomem = "e0000000-efffffff : PCI Bus 0000:00\n"
        func word(_ x: UInt64) -> String { hexPadded(x, 16) }
        for i in 0..<functions {
            let address = syntheticAddress(i).description
            let directory = "\(devicesDirectory)/\(address)"
            let start: UInt64 = 0xe000_0000 + UInt64(i) * 0x4000, end = start + 0x3fff
            let zero = "\(word(0)) \(word(0)) \(word(0))\n"
            files["\(directory)/resource"] = Array(("\(word(start)) \(word(end)) \(word(0x40200))\n"
                                                    + String(repeating: zero, count: 6)).utf8)
            var config = [UInt8](repeating: 0, count: 256)
            func set(_ offset: Int, _ value: UInt32, bytes: Int) {
                for k in 0..<bytes { config[offset + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(k))) }
            }
            set(0x00, 0x1000_1af4, bytes: 4)
            set(0x04, 0x0010_0006, bytes: 4)        // command: memory; status: capability list
            set(0x08, 0x0200_0001, bytes: 4)
            set(0x10, UInt32(start), bytes: 4)
            config[0x34] = 0x40
            set(0x40, 0x0003_0011, bytes: 4)        // MSI-X, last capability, 4 entries
            set(0x44, 0x2000, bytes: 4)             // table: BAR 0 + 0x2000
            set(0x48, 0x3000, bytes: 4)             // PBA: BAR 0 + 0x3000
            files["\(directory)/config"] = config
            files["\(directory)/vendor"] = Array("0x1af4\n".utf8)
            files["\(directory)/device"] = Array("0x1000\n".utf8)
            files["\(directory)/class"] = Array("0x020000\n".utf8)
            links["\(directory)/iommu_group"] = "../../../../kernel/iommu_groups/\(i)"
            iomem += "  \(hexString(start))-\(hexString(end)) : \(address)\n"
        }
        files[iomemFile] = Array(iomem.utf8)
        return (files, links)
    }
}
