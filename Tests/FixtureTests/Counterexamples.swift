import PCIModel
import Prover
import VFIORules

/// Counterexamples built by hand, as `barproof search` would report them.
enum Counterexamples {
    static func address(_ text: String) -> PCIAddress {
        guard let a = PCIAddress(text) else { preconditionFailure("bad BDF \(text)") }
        return a
    }

    static func policy(_ name: String, removing removed: [String] = []) -> Policy {
        guard let base = Policy.named(name), let policy = try? base.removing(removed) else { preconditionFailure("bad policy \(name)") }
        return policy
    }

    /// mainline without the sub-page reservation, 64 KiB pages: a 4 KiB BAR at a 64 KiB-aligned
    /// address and another device's 4 KiB BAR in the rest of the same page.
    static var subpageWithoutReservation: TopologyCounterexample {
        let a = address("0000:00:01.0"), b = address("0000:00:02.0")
        let topology = Topology(
            pageSize: 65536, hostWindow: .init(start: 0xe000_0000, end: 0xefff_ffff),
            functions: [
                .init(address: a, vendorID: 0x8086, deviceID: 0x10d3, classCode: 0x020000,
                      bars: [.init(index: 0, kind: .mem32, start: 0xe000_0000, size: 0x1000)]),
                .init(address: b, vendorID: 0x1af4, deviceID: 0x1041, classCode: 0x020000,
                      bars: [.init(index: 0, kind: .mem32, start: 0xe000_1000, size: 0x1000)]),
            ])
        return TopologyCounterexample(
            topology: topology, invariant: .pageExclusive, policy: policy("mainline", removing: ["subpage-reservation"]),
            platform: .init(pageSize: 65536, msiIsolated: true, allowUnsafeInterrupts: false, backend: .type1,
                            unalignedFixedResources: false),
            target: .init(function: a, index: 0), requestOffset: 0, requestLength: 0x10000,
            exposed: .init(start: 0xe000_0000, end: 0xe000_ffff), foreign: .init(function: b, index: 0),
            view: .init(clause: "mainline.subpage-start-aligned", foreignKind: "mem32 BAR of a sibling device",
                        pageOffsetClass: "page-aligned BAR, foreign bytes after it"))
    }

    /// The same hole above 4 GiB behind a PCI-PCI bridge: a 16 KiB 64-bit prefetchable BAR of
    /// 0000:01:00.0 and an 8 KiB one (BAR 2, registers 2 and 3) of its sibling function
    /// 0000:01:00.1 in the same 64 KiB page of the bridge's 1 MiB window.
    static var prefetchable64BehindBridge: TopologyCounterexample {
        let bridge = address("0000:00:03.0"), a = address("0000:01:00.0"), b = address("0000:01:00.1")
        let topology = Topology(
            pageSize: 65536, hostWindow: .init(start: 0x40_0000_0000, end: 0x7f_ffff_ffff),
            bridges: [.init(address: bridge, secondaryBus: 1, window: .init(start: 0x40_0000_0000, end: 0x40_000f_ffff))],
            functions: [
                .init(address: a, vendorID: 0x15b3, deviceID: 0x101b, classCode: 0x020000,
                      bars: [.init(index: 0, kind: .mem64, prefetchable: true, start: 0x40_0000_0000, size: 0x4000)],
                      upstream: bridge),
                .init(address: b, vendorID: 0x15b3, deviceID: 0x101c, classCode: 0x020000,
                      bars: [.init(index: 2, kind: .mem64, prefetchable: true, start: 0x40_0000_c000, size: 0x2000)],
                      upstream: bridge),
            ])
        return TopologyCounterexample(
            topology: topology, invariant: .pageExclusive, policy: policy("mainline", removing: ["subpage-reservation"]),
            platform: .init(pageSize: 65536, msiIsolated: true, allowUnsafeInterrupts: false, backend: .type1,
                            unalignedFixedResources: false),
            target: .init(function: a, index: 0), requestOffset: 0, requestLength: 0x10000,
            exposed: .init(start: 0x40_0000_0000, end: 0x40_0000_ffff), foreign: .init(function: b, index: 2),
            view: .init(clause: "mainline.subpage-start-aligned", foreignKind: "mem64 BAR of a sibling function",
                        pageOffsetClass: "page-aligned BAR, foreign bytes after it"))
    }

    static let msixDevice = address("0000:00:04.0")

    static var msixTopology: Topology {
        let msix = MSIXCapability(tableBIR: 0, tableOffset: 0x2000, entries: 4, pbaBIR: 0, pbaOffset: 0x3000)
        return Topology(
            pageSize: 4096, hostWindow: .init(start: 0xfe00_0000, end: 0xfebf_ffff),
            functions: [
                .init(address: msixDevice, vendorID: 0x8086, deviceID: 0x1533, classCode: 0x020000,
                      bars: [.init(index: 0, kind: .mem32, start: 0xfe00_0000, size: 0x4000),
                             .init(index: 2, kind: .io, start: 0xc000, size: 0x20)],
                      msix: msix),
            ])
    }

    /// mainline, MSIs not isolated, `allow_unsafe_interrupts` on: the whole 16 KiB BAR 0 holding
    /// the MSI-X table (at 0x2000) is mapped.
    static var msixUnfiltered: TopologyCounterexample {
        TopologyCounterexample(
            topology: msixTopology, invariant: .msixNeedsFiltering, policy: .mainline,
            platform: .init(pageSize: 4096, msiIsolated: false, allowUnsafeInterrupts: true, backend: .type1,
                            unalignedFixedResources: false),
            target: .init(function: msixDevice, index: 0), requestOffset: 0, requestLength: 0x4000,
            exposed: .init(start: 0xfe00_0000, end: 0xfe00_3fff), foreign: nil,
            view: .init(clause: "mainline.attach-isolated-msi", foreignKind: "the device's own MSI-X table",
                        pageOffsetClass: "table inside the mapped pages"))
    }

    /// The same machine, but only the table's page is mapped (offset 0x2000, one page): a request
    /// `barproof audit` (whole BARs only) does not ask, replayed exactly by the round trip.
    static var msixTablePageOnly: TopologyCounterexample {
        var cx = msixUnfiltered
        cx.requestOffset = 0x2000
        cx.requestLength = 0x1000
        cx.exposed = .init(start: 0xfe00_2000, end: 0xfe00_2fff)
        return cx
    }

    /// mainline on a platform that allows unaligned fixed (firmware or Enhanced Allocation) BARs,
    /// 4 KiB pages: an 8 KiB fixed BAR starting half-way into a page; the mapping starts at that
    /// page and exposes the 2 KiB BAR of another device before it.
    static var fixedUnaligned: TopologyCounterexample {
        let a = address("0000:00:05.0"), b = address("0000:00:06.0")
        let topology = Topology(
            pageSize: 4096, hostWindow: .init(start: 0xc000_0000, end: 0xc0ff_ffff),
            functions: [
                .init(address: a, vendorID: 0x177d, deviceID: 0xa002, classCode: 0x058000,
                      bars: [.init(index: 0, kind: .mem32, start: 0xc000_0800, size: 0x2000, fixed: true)]),
                .init(address: b, vendorID: 0x177d, deviceID: 0xa003, classCode: 0x058000,
                      bars: [.init(index: 0, kind: .mem32, start: 0xc000_0000, size: 0x800)]),
            ])
        return TopologyCounterexample(
            topology: topology, invariant: .pageExclusive, policy: .mainline,
            platform: .init(pageSize: 4096, msiIsolated: true, allowUnsafeInterrupts: false, backend: .type1,
                            unalignedFixedResources: true),
            target: .init(function: a, index: 0), requestOffset: 0, requestLength: 0x2000,
            exposed: .init(start: 0xc000_0000, end: 0xc000_1fff), foreign: .init(function: b, index: 0),
            view: .init(clause: "mainline.request-within-rounded-bar", foreignKind: "mem32 BAR of a sibling device",
                        pageOffsetClass: "BAR off the page grid, foreign bytes before it"))
    }

    /// The same with a 16 GiB fixed 64-bit BAR: a mapping of 4 Mi pages, drawn on one axis.
    static var fixedUnalignedHuge: TopologyCounterexample {
        let a = address("0000:00:07.0"), b = address("0000:00:08.0")
        let topology = Topology(
            pageSize: 4096, hostWindow: .init(start: 0x40_0000_0000, end: 0x7f_ffff_ffff),
            functions: [
                .init(address: a, vendorID: 0x10de, deviceID: 0x2330, classCode: 0x030200,
                      bars: [.init(index: 0, kind: .mem64, prefetchable: true, start: 0x40_0000_0800, size: 0x4_0000_0000, fixed: true)]),
                .init(address: b, vendorID: 0x10de, deviceID: 0x22a3, classCode: 0x068000,
                      bars: [.init(index: 0, kind: .mem64, start: 0x40_0000_0000, size: 0x800)]),
            ])
        return TopologyCounterexample(
            topology: topology, invariant: .pageExclusive, policy: .mainline,
            platform: .init(pageSize: 4096, msiIsolated: true, allowUnsafeInterrupts: false, backend: .type1,
                            unalignedFixedResources: true),
            target: .init(function: a, index: 0), requestOffset: 0, requestLength: 0x4_0000_0000,
            exposed: .init(start: 0x40_0000_0000, end: 0x43_ffff_ffff), foreign: .init(function: b, index: 0),
            view: .init(clause: "mainline.request-within-rounded-bar", foreignKind: "mem32 BAR of a sibling device",
                        pageOffsetClass: "BAR off the page grid, foreign bytes before it"))
    }

    /// Degenerate windows: the bridge's window is the whole host window, and the 1 MiB BAR holding
    /// the MSI-X table fills the bridge's window, so three iomem nodes share one range.
    static var msixBARFillsBridgeWindow: TopologyCounterexample {
        let bridge = address("0000:00:1c.0"), a = address("0000:02:00.0")
        let window = Topology.Window(start: 0xfc00_0000, end: 0xfc0f_ffff)
        let msix = MSIXCapability(tableBIR: 0, tableOffset: 0xe_0000, entries: 64, pbaBIR: 0, pbaOffset: 0xf_0000)
        let topology = Topology(
            pageSize: 4096, hostWindow: window,
            bridges: [.init(address: bridge, secondaryBus: 2, window: window)],
            functions: [
                .init(address: a, vendorID: 0x144d, deviceID: 0xa808, classCode: 0x010802,
                      bars: [.init(index: 0, kind: .mem64, start: 0xfc00_0000, size: 0x10_0000)], msix: msix, upstream: bridge),
            ])
        return TopologyCounterexample(
            topology: topology, invariant: .msixNeedsFiltering, policy: .mainline,
            platform: .init(pageSize: 4096, msiIsolated: false, allowUnsafeInterrupts: true, backend: .type1,
                            unalignedFixedResources: false),
            target: .init(function: a, index: 0), requestOffset: 0, requestLength: 0x10_0000,
            exposed: .init(start: 0xfc00_0000, end: 0xfc0f_ffff), foreign: nil,
            view: .init(clause: "mainline.request-within-rounded-bar", foreignKind: "the device's own MSI-X table",
                        pageOffsetClass: "table beyond the first page"))
    }

    /// A switch: a root port (bus 1 behind it) and a downstream port (bus 2) under it, the
    /// target and its neighbour on bus 2, a third device on the root bus.
    static var nestedBridges: TopologyCounterexample {
        let root = address("0000:00:1c.0"), down = address("0000:01:00.0")
        let a = address("0000:02:00.0"), b = address("0000:02:01.0"), c = address("0000:00:02.0")
        let topology = Topology(
            pageSize: 16384, hostWindow: .init(start: 0xa000_0000, end: 0xafff_ffff),
            bridges: [.init(address: root, secondaryBus: 1, window: .init(start: 0xa010_0000, end: 0xa02f_ffff)),
                      .init(address: down, secondaryBus: 2, window: .init(start: 0xa020_0000, end: 0xa02f_ffff), upstream: root)],
            functions: [
                .init(address: a, vendorID: 0x8086, deviceID: 0x0d4e, classCode: 0x020000,
                      bars: [.init(index: 1, kind: .mem32, start: 0xa020_0000, size: 0x1000)], upstream: down),
                .init(address: b, vendorID: 0x8086, deviceID: 0x0d4f, classCode: 0x020000,
                      bars: [.init(index: 0, kind: .mem32, start: 0xa020_2000, size: 0x2000)], upstream: down),
                .init(address: c, vendorID: 0x1234, deviceID: 0x1111, classCode: 0x030000,
                      bars: [.init(index: 0, kind: .mem32, prefetchable: true, start: 0xa000_0000, size: 0x10_0000)]),
            ])
        return TopologyCounterexample(
            topology: topology, invariant: .pageExclusive, policy: policy("rfc-v4", removing: ["subpage-reservation"]),
            // A non-type1 backend the RFC's era had (iommufd came in 6.2, after the RFC).
            platform: .init(pageSize: 16384, msiIsolated: true, allowUnsafeInterrupts: false, backend: .spapr,
                            unalignedFixedResources: false),
            target: .init(function: a, index: 1), requestOffset: 0, requestLength: 0x4000,
            exposed: .init(start: 0xa020_0000, end: 0xa020_3fff), foreign: .init(function: b, index: 0),
            view: .init(clause: "rfc-v4.subpage-start-aligned", foreignKind: "mem32 BAR of a sibling device",
                        pageOffsetClass: "page-aligned BAR, foreign bytes after it"))
    }

    static var all: [(String, TopologyCounterexample)] {
        [("subpage-without-reservation", subpageWithoutReservation), ("prefetchable64-behind-bridge", prefetchable64BehindBridge),
         ("msix-unfiltered", msixUnfiltered), ("msix-table-page-only", msixTablePageOnly),
         ("fixed-unaligned", fixedUnaligned), ("fixed-unaligned-16g", fixedUnalignedHuge),
         ("msix-bar-fills-bridge-window", msixBARFillsBridgeWindow), ("nested-bridges", nestedBridges)]
    }
}
