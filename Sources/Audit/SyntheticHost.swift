import PCIModel

extension HostInventory {
    /// A machine of `functions` normal-header functions (at most 8,160) built in memory, for
    /// benchmarks: function `i` is `0000:<1 + i / 32>:<i % 32>.0` with one 16 KiB 32-bit BAR 0 at
    /// `0xe0000000 + i * 0x4000` holding an MSI-X table (4 entries) at 0x2000 and its PBA at 0x3000,
    /// each claimed under one host bridge window `e0000000-efffffff`. The same layout as the
    /// 1,000-function tree of the audit tests, without the sysfs files and their parsing.
    ///
    /// With `sharingOneRange`, every BAR 0 is at `0xe0000000` instead, and every iomem node has that
    /// range: the crafted input (a few MB of snapshot) on which each BAR meets every other one.
    public static func synthetic(functions: Int, sharingOneRange: Bool = false) -> HostInventory {
        precondition((0...8160).contains(functions), "a synthetic host has 0 to 8,160 functions (buses 1-255)")
        let barSize: UInt64 = 0x4000, base: UInt64 = 0xe000_0000
        var devices: [PCIDevice] = []
        var children: [ResourceTree.Node] = []
        for i in 0..<functions {
            let start = sharingOneRange ? base : base + UInt64(i) * barSize
            guard let address = PCIAddress(bus: UInt8(1 + i / 32), device: UInt8(i % 32), function: 0),
                  let resource = Resource(start: start, size: barSize, flags: [.mem, .sizeAlign]),
                  let bar = BAR(index: 0, kind: .mem32, prefetchable: false, resource: resource),
                  let msix = MSIXCapability(tableBIR: 0, tableOffset: 0x2000, entries: 4, pbaBIR: 0, pbaOffset: 0x3000)
            else { preconditionFailure("synthetic function \(i) is not representable") }
            devices.append(PCIDevice(address: address, vendorID: 0x1af4, deviceID: 0x1000, classCode: 0x020000,
                                     bars: [bar], msix: msix))
            children.append(ResourceTree.Node(name: address.description, start: resource.start, end: resource.end))
        }
        let window = ResourceTree.Node(name: "PCI Bus 0000:00", start: base, end: 0xefff_ffff, children: children)
        return HostInventory(devices: devices, iomem: ResourceTree(roots: [window]))
    }
}
