/// The SR-IOV extended capability (`PCI_EXT_CAP_ID_SRIOV` 0x10) of a physical function.
///
/// Register offsets from `include/uapi/linux/pci_regs.h`: `PCI_SRIOV_CAP` 0x04, `CTRL` 0x08
/// (`VFE` 0x01, `MSE` 0x08), `INITIAL_VF` 0x0c, `TOTAL_VF` 0x0e, `NUM_VF` 0x10, `VF_OFFSET` 0x14,
/// `VF_STRIDE` 0x16, `VF_DID` 0x1a, `SUP_PGSIZE` 0x1c, `SYS_PGSIZE` 0x20, `BAR` 0x24 (six VF BARs),
/// `PCI_EXT_CAP_SRIOV_SIZEOF` 64.
public struct SRIOVCapability: Hashable, Sendable, Codable {
    public static let extendedCapabilityID: UInt16 = 0x10
    public static let byteSize = 64

    public let offset: Int
    public let capabilities: UInt32
    public let control: UInt16
    public let initialVFs: UInt16
    public let totalVFs: UInt16
    public let numVFs: UInt16
    public let firstVFOffset: UInt16
    public let vfStride: UInt16
    public let vfDeviceID: UInt16
    /// Bit n set: page size 2^(n+12) supported.
    public let supportedPageSizes: UInt32
    /// Bit n set: VF BARs are aligned to 2^(n+12) bytes.
    public let systemPageSize: UInt32
    /// VF BAR registers 0-5 (memory only; 64-bit pairs decoded as for ordinary BARs).
    public let vfBARRegisters: [BARRegister]

    public init(offset: Int, capabilities: UInt32, control: UInt16, initialVFs: UInt16, totalVFs: UInt16,
                numVFs: UInt16, firstVFOffset: UInt16, vfStride: UInt16, vfDeviceID: UInt16,
                supportedPageSizes: UInt32, systemPageSize: UInt32, vfBARRegisters: [BARRegister]) {
        self.offset = offset
        self.capabilities = capabilities
        self.control = control
        self.initialVFs = initialVFs
        self.totalVFs = totalVFs
        self.numVFs = numVFs
        self.firstVFOffset = firstVFOffset
        self.vfStride = vfStride
        self.vfDeviceID = vfDeviceID
        self.supportedPageSizes = supportedPageSizes
        self.systemPageSize = systemPageSize
        self.vfBARRegisters = vfBARRegisters
    }

    /// `PCI_SRIOV_CTRL_VFE`.
    public var vfEnabled: Bool { control & 0x01 != 0 }
    /// `PCI_SRIOV_CTRL_MSE`: VF memory space enable. It gates VF BAR decoding, which is why
    /// vfio's memory-enable check treats VFs specially.
    public var vfMemorySpaceEnabled: Bool { control & 0x08 != 0 }

    /// The system page size in bytes, when exactly one bit of `systemPageSize` is set.
    public var systemPageSizeBytes: UInt64? {
        guard systemPageSize.nonzeroBitCount == 1 else { return nil }
        return 1 << (UInt64(systemPageSize.trailingZeroBitCount) + 12)
    }
}
