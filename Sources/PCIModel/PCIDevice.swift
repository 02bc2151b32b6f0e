/// Everything barproof knows about one PCI function on a host: the kernel's placement of its
/// resources (from the sysfs `resource` file) and the facts only config space holds (MSI-X layout,
/// Enhanced Allocation, SR-IOV, Resizable BAR), plus its IOMMU group and bound driver.
public struct PCIDevice: Hashable, Sendable, Codable {
    public var address: PCIAddress
    public var vendorID: UInt16
    public var deviceID: UInt16
    /// 24-bit class code (base class, subclass, programming interface).
    public var classCode: UInt32
    public var subsystemVendorID: UInt16?
    public var subsystemDeviceID: UInt16?
    public var headerType: HeaderType
    /// BARs 0-5 as the kernel placed them (`pci_dev->resource[0...5]`). The upper half of a 64-bit
    /// BAR, and an unimplemented BAR, have kind `.none` and size 0.
    public var bars: [BAR]
    /// The expansion ROM (`pci_dev->resource[PCI_ROM_RESOURCE]`), when the resource file has that line.
    public var rom: BAR?
    /// Bridge windows (I/O, memory, prefetchable memory, CardBus), for bridges.
    public var bridgeWindows: [Resource]
    /// SR-IOV VF BARs 0-5 (`PCI_IOV_RESOURCES`), each spanning all VFs, when the kernel has CONFIG_PCI_IOV.
    public var sriovBARs: [BAR]
    public var msix: MSIXCapability?
    /// The number in `/sys/kernel/iommu_groups/<n>`, when the device has an IOMMU group.
    public var iommuGroup: Int?
    /// The bound driver's name (`vfio-pci`, `ixgbe`, ...), when one is bound.
    public var driver: String?
    public var enhancedAllocation: [EnhancedAllocationEntry]
    public var sriov: SRIOVCapability?
    public var resizableBARs: [ResizableBAR]

    public init(address: PCIAddress, vendorID: UInt16, deviceID: UInt16, classCode: UInt32,
                subsystemVendorID: UInt16? = nil, subsystemDeviceID: UInt16? = nil,
                headerType: HeaderType = HeaderType(.normal), bars: [BAR] = [], rom: BAR? = nil,
                bridgeWindows: [Resource] = [], sriovBARs: [BAR] = [], msix: MSIXCapability? = nil,
                iommuGroup: Int? = nil, driver: String? = nil,
                enhancedAllocation: [EnhancedAllocationEntry] = [], sriov: SRIOVCapability? = nil,
                resizableBARs: [ResizableBAR] = []) {
        self.address = address
        self.vendorID = vendorID
        self.deviceID = deviceID
        self.classCode = classCode
        self.subsystemVendorID = subsystemVendorID
        self.subsystemDeviceID = subsystemDeviceID
        self.headerType = headerType
        self.bars = bars
        self.rom = rom
        self.bridgeWindows = bridgeWindows
        self.sriovBARs = sriovBARs
        self.msix = msix
        self.iommuGroup = iommuGroup
        self.driver = driver
        self.enhancedAllocation = enhancedAllocation
        self.sriov = sriov
        self.resizableBARs = resizableBARs
    }

    /// Combines the parsed files of one sysfs device directory. Placement comes from `resources`
    /// (the kernel's view, including sizes, which config space lacks); capabilities and the header
    /// type from `config`. IDs come from the sysfs text attributes when given (the kernel may have
    /// fixed them up, e.g. a class quirk), else from config space.
    public init(address: PCIAddress, resources: SysfsResourceFile, config: ConfigSpace,
                vendorID: UInt16? = nil, deviceID: UInt16? = nil, classCode: UInt32? = nil,
                iommuGroup: Int? = nil, driver: String? = nil) {
        self.init(address: address, vendorID: vendorID ?? config.vendorID, deviceID: deviceID ?? config.deviceID,
                  classCode: classCode ?? config.classCode, subsystemVendorID: config.subsystemVendorID,
                  subsystemDeviceID: config.subsystemDeviceID, headerType: config.headerType,
                  bars: resources.bars, rom: resources.rom, bridgeWindows: resources.bridgeWindows,
                  sriovBARs: resources.sriovBARs, msix: config.msix, iommuGroup: iommuGroup, driver: driver,
                  enhancedAllocation: config.enhancedAllocation, sriov: config.sriov,
                  resizableBARs: config.resizableBARs)
    }

    /// A type-1 header: a PCI-PCI bridge, which vfio-pci refuses to bind
    /// (`vfio_pci_core_register_device` requires `PCI_HEADER_TYPE_NORMAL`).
    public var isBridge: Bool { headerType.layout == .bridge }

    /// BAR `index` (0-5), or nil when the resource file had no such line.
    public func bar(_ index: Int) -> BAR? { bars.first { $0.index == index } }

    /// The BAR holding the MSI-X table.
    public var msixTableBAR: BAR? { msix.flatMap { bar($0.tableBIR) } }

    /// The BAR holding the MSI-X PBA.
    public var msixPBABAR: BAR? { msix.flatMap { bar($0.pbaBIR) } }

    /// Whether the MSI-X table lies inside its BAR as placed; nil without MSI-X or without that BAR.
    public var msixTableFitsBAR: Bool? {
        guard let msix, let bar = msixTableBAR else { return nil }
        return msix.tableFits(in: bar.size)
    }

    /// Whether the MSI-X PBA lies inside its BAR as placed; nil without MSI-X or without that BAR.
    public var msixPBAFitsBAR: Bool? {
        guard let msix, let bar = msixPBABAR else { return nil }
        return msix.pbaFits(in: bar.size)
    }

    /// The ID-matching identity `pci=resource_alignment=` uses; `upstreamBridges` nearest first.
    public func alignmentIdentity(upstreamBridges: [PCIAddress] = []) -> ResourceAlignmentParameter.DeviceIdentity {
        .init(address: address, vendorID: vendorID, deviceID: deviceID,
              subsystemVendorID: subsystemVendorID ?? 0, subsystemDeviceID: subsystemDeviceID ?? 0,
              upstreamBridges: upstreamBridges)
    }
}
