import PCIModel
import Testing

/// `Topology.placementProblems(unalignedFixedAllowed:)` says what the machine model's allocator
/// facts say: a firmware-fixed BAR off its natural alignment is a real machine only where the
/// platform allows unaligned fixed resources, a BAR that is not fixed never is, and the host
/// window is 1 MiB-granular like a bridge's.
/// Time limit: pure computation, microseconds.
@Suite(.timeLimit(.minutes(1))) struct PlacementProblemsTests {
    static func machine(fixed: Bool, host: Topology.Window = .init(start: 0xe000_0000, end: 0xefff_ffff)) -> Topology {
        Topology(pageSize: 4096, hostWindow: host, functions: [
            .init(address: PCIAddress("0000:00:01.0")!, vendorID: 0x8086, deviceID: 0x10d3, classCode: 0x020000,
                  bars: [.init(index: 0, kind: .mem32, start: 0xe000_0800, size: 0x1000, fixed: fixed)]),
        ])
    }

    @Test func unalignedFixedBARsOnlyWhereThePlatformAllowsThem() {
        #expect(Self.machine(fixed: true).placementProblems(unalignedFixedAllowed: true).isEmpty)
        #expect(Self.machine(fixed: true).placementProblems(unalignedFixedAllowed: false)
            == ["0000:00:01.0 BAR 0 [0xe0000800, 0xe00017ff] is not naturally aligned (and the platform does not allow unaligned fixed resources)"])
        #expect(Self.machine(fixed: false).placementProblems(unalignedFixedAllowed: true)
            == ["0000:00:01.0 BAR 0 [0xe0000800, 0xe00017ff] is not naturally aligned"])
    }

    @Test func theHostWindowIsMiBGranular() {
        let odd = Self.machine(fixed: true, host: .init(start: 0xe000_0400, end: 0xefff_ffff))
        #expect(odd.placementProblems(unalignedFixedAllowed: true).contains { $0.hasPrefix("the host window") })
    }
}
