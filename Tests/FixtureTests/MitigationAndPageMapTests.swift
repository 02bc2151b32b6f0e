import PCIModel
import Prover
import Testing
import VFIORules

/// `TopologySearch.mitigation(for:bounds:)` answers with a case, not a sentence: on the hand-built
/// sub-page counterexample it proves the kernel parameter where the platform rules PROBE_ONLY out,
/// and the dropped clause where it does not. And `TopologyCounterexample.pageMap()` draws the page
/// that shows each kind of violation.
/// Time limit: two shape proofs of a two-device machine, a few seconds in a debug build.
@Suite(.timeLimit(.minutes(2))) struct MitigationAndPageMapTests {
    static func search(_ platform: PlatformSpec, for cx: TopologyCounterexample) throws -> TopologySearch {
        TopologySearch(policy: try cx.rebuiltPolicy(), platform: platform, invariant: cx.invariant,
                       bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 0))
    }

    @Test func theKernelParameterWhereProbeOnlyIsRuledOut() throws {
        let cx = Counterexamples.subpageWithoutReservation
        let platform = PlatformSpec(pageSizes: [.kib64], hostFacts: [.probeOnly: false])
        let mitigation = try Self.search(platform, for: cx).mitigation(for: cx, bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 0))
        #expect(mitigation == .resourceAlignment(value: "16@0000:00:01.0", targets: 2), "\(mitigation)")
        #expect(mitigation.isProved)
        #expect(mitigation.text == "pci=resource_alignment=16@0000:00:01.0: proved on this machine for every placement and every mmap of its 2 memory BAR(s)")
    }

    @Test func theDroppedClauseWhereProbeOnlyIsOpen() throws {
        let cx = Counterexamples.subpageWithoutReservation
        let mitigation = try Self.search(PlatformSpec(pageSizes: [.kib64]), for: cx)
            .mitigation(for: cx, bounds: SearchBounds(devices: 2, barsPerDevice: 1, bridges: 0))
        #expect(mitigation == .clause(label: "restore clause mainline.subpage-reservation", targets: 2), "\(mitigation)")
    }

    @Test func pageMapsOfEachViolation() {
        #expect(Counterexamples.subpageWithoutReservation.pageMap() == [
            "page 0x00000000e0000000 is shared with:",
            "  |####AAAA........................................................|  (1 KiB a cell; # this BAR)",
            "  A 0x00000000e0001000-0x00000000e0001fff 0000:00:02.0 BAR 0 (foreign)",
        ])
        // The MSI-X table's page only: the table in the first cells, the PBA listed where it shares the page.
        let msix = Counterexamples.msixUnfiltered.pageMap()
        #expect(msix.first?.hasSuffix("holds the MSI-X table:") == true, "\(msix)")
        #expect(msix.contains { $0.contains("MSI-X table of 0000:00:04.0 BAR 0") }, "\(msix)")
        #expect(msix.filter { $0.hasPrefix("page ") }.count == 1, "\(msix)")
    }
}
