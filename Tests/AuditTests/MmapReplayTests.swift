import Audit
import PCIModel
import VFIORules
import Testing

/// `HostAudit.replay`: one mmap, exactly as asked, decided by the same clauses as the audit.
@Suite(.timeLimit(.minutes(1)))
struct MmapReplayTests {
    func request(_ address: String, _ index: Int = 0, offset: UInt64 = 0, length: UInt64) throws -> MmapRequest {
        MmapRequest(device: try PCIAddress(parsing: address), barIndex: index, offset: offset, length: length)
    }

    /// For a whole-BAR mmap under type1 the replay agrees with `run` on every BAR, policy, page size and MSI fact.
    @Test func wholeBARReplayAgreesWithTheAudit() throws {
        for tree in [HostAuditTests.sharedPageTree(), HostAuditTests.msixTree()] {
            let host = try tree.host()
            for policy in Policy.all + [try Policy.mainline.removing(["subpage-reservation"])] {
                for page in [PageSize.kib4, .kib64] {
                    for isolated in [true, false] {
                        let report = HostAudit.run(host, options: AuditOptions(policy: policy, pageSize: page,
                                                                               msiIsolation: isolated ? .yes : .no,
                                                                               allowUnsafeInterrupts: true))
                        for device in report.devices {
                            for bar in device.bars {
                                let replay = try HostAudit.replay(
                                    host, request: request(device.address, bar.index, length: page.pageUp(bar.size)),
                                    platform: ReplayPlatform(policy: policy, pageSize: page, msiIsolated: isolated,
                                                             allowUnsafeInterrupts: true))
                                let verdict = try #require(bar.verdicts.first)
                                let context = "\(device.address) BAR \(bar.index) \(policy.label) \(page) isolated \(isolated)"
                                #expect(replay.allowed == verdict.mmappable, "\(context)")
                                #expect(replay.refusedBy == verdict.refusedBy, "\(context)")
                                #expect(replay.violations.filter { HostAudit.invariants.map(\.rawValue).contains($0) } == verdict.violations, "\(context)")
                                #expect(replay.foreign == bar.foreign, "\(context)")
                                #expect([replay.exposedStart, replay.exposedEnd] == [bar.exposedStart, bar.exposedEnd], "\(context)")
                                #expect(replay.msixTableExposed == bar.msixTableExposed, "\(context)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// A request for the page after the table page exposes no table byte; the table page does.
    @Test func partialRequestIsDecidedAsAsked() throws {
        let host = try HostAuditTests.msixTree().host()
        let platform = ReplayPlatform(policy: .mainline, pageSize: .kib4, msiIsolated: false, allowUnsafeInterrupts: true)
        let pba = try HostAudit.replay(host, request: request("0000:00:03.0", offset: 0x3000, length: 0x1000), platform: platform)
        #expect(pba.allowed)
        #expect(!pba.msixTableExposed)
        #expect(pba.violations == [])
        #expect([pba.exposedStart, pba.exposedEnd] == [0xfe10_3000, 0xfe10_3fff])
        let table = try HostAudit.replay(host, request: request("0000:00:03.0", offset: 0x2000, length: 0x1000), platform: platform)
        #expect(table.violations == ["msix-needs-filtering"])
        // Past the page-rounded BAR: mainline's request-within-rounded-bar refuses it.
        let past = try HostAudit.replay(host, request: request("0000:00:03.0", offset: 0x4000, length: 0x1000), platform: platform)
        #expect(past.refusedBy == ["mainline.request-within-rounded-bar"])
        // The iommufd backend checks isolation too; spapr does not (attach-isolated-msi holds).
        var spapr = platform
        spapr.allowUnsafeInterrupts = false
        spapr.backend = .spapr
        #expect(try HostAudit.replay(host, request: request("0000:00:03.0", length: 0x4000), platform: spapr).allowed)
        spapr.backend = .iommufd
        #expect(try HostAudit.replay(host, request: request("0000:00:03.0", length: 0x4000), platform: spapr).refusedBy == ["mainline.attach-isolated-msi"])
    }

    @Test func unknownDeviceOrBARIsAnError() throws {
        let host = try HostAuditTests.sharedPageTree().host()
        let platform = ReplayPlatform(policy: .mainline, pageSize: .kib4, msiIsolated: true, allowUnsafeInterrupts: false)
        #expect(throws: (any Error).self) {
            try HostAudit.replay(host, request: request("0000:00:09.0", length: 0x1000), platform: platform)
        }
        let error = #expect(throws: (any Error).self) {
            try HostAudit.replay(host, request: request("0000:00:01.0", 3, length: 0x1000), platform: platform)
        }
        if let error {
            #expect("\(error)".contains("BAR 3 is not a placed memory BAR"), "\(error)")
        }
    }
}
