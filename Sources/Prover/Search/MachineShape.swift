import PCIModel
import VFIORules

/// Which structure to hold fixed: used to prove a mitigation for one machine under every placement.
public struct MachineShape: Hashable, Sendable {
    public struct Slot: Hashable, Sendable {
        public var index: Int
        public var kind: BARKind
        public var prefetchable: Bool
        public var fixed: Bool
        /// The BAR's size before any `resource_alignment` resize.
        public var size: UInt64

        public init(index: Int, kind: BARKind, prefetchable: Bool, fixed: Bool, size: UInt64) {
            self.index = index
            self.kind = kind
            self.prefetchable = prefetchable
            self.fixed = fixed
            self.size = size
        }
    }

    public struct Device: Hashable, Sendable {
        /// 0: the root bus; k + 1: behind bridge k.
        public var upstream: Int
        public var slots: [Slot]
        public var msix: MSIXCapability?

        public init(upstream: Int, slots: [Slot], msix: MSIXCapability?) {
            self.upstream = upstream
            self.slots = slots
            self.msix = msix
        }
    }

    /// Device `d` is the search's device slot `d` (its bus address follows ``MachineNaming``).
    public var devices: [Device]
    public var bridges: Int

    public init(devices: [Device], bridges: Int) {
        self.devices = devices
        self.bridges = bridges
    }
}
