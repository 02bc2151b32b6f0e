import PCIModel
import VFIORules

/// The identities `search` gives the machine's functions and bridges.
public enum MachineNaming {
    /// Red Hat, Inc. (QEMU's PCI vendor id): a vendor fixtures can use without naming real hardware.
    public static let vendorID: UInt16 = 0x1b36
    public static func deviceID(slot: Int) -> UInt16 { UInt16(0x1000 + slot) }
    /// Other network controller.
    public static let classCode: UInt32 = 0x028000
    /// PCI-to-PCI bridge: QEMU's (1b36:0001), as the fixtures' bridges are.
    public static let bridgeClassCode: UInt32 = 0x060400
    public static let bridgeDeviceID: UInt16 = 0x0001

    /// Bridge `k` is the root port `0000:00:1c.k` (k < 8) with secondary bus `k + 1`.
    public static func bridgeAddress(_ k: Int) -> PCIAddress {
        PCIAddress(bus: 0, device: 0x1c + UInt8(k / 8), function: UInt8(k % 8))!
    }

    /// Device slot `d` is `0000:00:(d+1).0` on the root bus (`upstream` 0) and `0000:(k+1):d.0`
    /// behind bridge `k` (`upstream` k + 1).
    public static func functionAddress(slot d: Int, upstream: Int) -> PCIAddress {
        upstream == 0 ? PCIAddress(bus: 0, device: UInt8(d + 1), function: 0)!
            : PCIAddress(bus: UInt8(upstream), device: UInt8(d), function: 0)!
    }
}
