import Audit
import Foundation
import PCIModel
import VFIORules
import Testing

/// A crafted host whose functions all place BAR 0 on one range: each BAR meets every other. The
/// audit must stay near-linear in time and memory (it was n^2: 400 functions took 12 s and 734 MB),
/// list at most ``HostAudit/foreignListLimit`` foreign resources per BAR with a count of the rest,
/// and keep its verdicts. The large figures are in `barproof-bench audit-overlap`.
@Suite(.timeLimit(.minutes(2)))
struct OverlappingBARTests {
    let options = AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .yes)

    @Test func eachBARListsAtMostSixteenForeignResourcesAndCountsTheRest() throws {
        let functions = 40
        let report = HostAudit.run(HostInventory.synthetic(functions: functions, sharingOneRange: true), options: options)
        #expect(report.devices.count == functions)
        for device in report.devices {
            let bar = try #require(device.bars.first)
            #expect(bar.foreign.count == HostAudit.foreignListLimit)
            #expect(bar.foreignNotListed == functions - 1 - HostAudit.foreignListLimit)
            #expect(bar.foreign == bar.foreign.sorted { ($0.start, $0.owner) < ($1.start, $1.owner) })
            #expect(!bar.foreign.contains { $0.owner.hasPrefix(device.address) })
            // Sharing bytes with other functions' BARs, each mmap violates page-exclusive.
            #expect(bar.violations == ["page-exclusive"])
        }
        #expect(report.text.contains("... and \(functions - 1 - HostAudit.foreignListLimit) more foreign resources on these pages"))
    }

    @Test func verdictsOnASharedRangeAreTheSameWhateverTheNumberOfFunctions() throws {
        // 64 KiB pages: the sub-page reservation [e0004000, e000ffff] is free and the BAR starts on
        // its page, so each mmap is allowed and exposes every other function's BAR.
        let wide = AuditOptions(policy: .mainline, pageSize: .kib64, msiIsolation: .unknown)
        let few = HostAudit.run(HostInventory.synthetic(functions: 3, sharingOneRange: true), options: wide)
        let many = HostAudit.run(HostInventory.synthetic(functions: 60, sharingOneRange: true), options: wide)
        let verdicts = Set(few.devices.flatMap { $0.bars.map(\.verdicts) })
        #expect(verdicts.count == 1)
        #expect(Set(many.devices.flatMap { $0.bars.map(\.verdicts) }) == verdicts)
        #expect(many.violationCount == 60 * few.violationCount / 3)
    }

    @Test func reportGrowsLinearlyWithOverlappingFunctions() throws {
        // The JSON report of n functions sharing one range held n - 1 foreign resources per BAR
        // (n^2 in all); now it holds at most 16 per BAR, so doubling n doubles it.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func size(_ functions: Int) throws -> Double {
            let report = HostAudit.run(HostInventory.synthetic(functions: functions, sharingOneRange: true), options: options)
            return Double(try encoder.encode(report).count)
        }
        let small = try size(100), large = try size(200)
        #expect(large / small < 2.2, "the report of 200 overlapping functions is \(large / small)x that of 100")
    }

    @Test func threeHundredOverlappingFunctionsAuditWithinSeconds() throws {
        // Before: about N^2.3 (400 took 12 s in a release build). Now well under a second in a
        // release build; the bound leaves room for a debug build on a loaded machine.
        let host = HostInventory.synthetic(functions: 300, sharingOneRange: true)
        let clock = ContinuousClock()
        let start = clock.now
        let report = HostAudit.run(host, options: options)
        _ = report.text
        let elapsed = clock.now - start
        #expect(report.violationCount == 300)
        #expect(elapsed < .seconds(8), "300 overlapping functions took \(elapsed)")
    }
}
