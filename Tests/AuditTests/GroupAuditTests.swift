import Audit
import Foundation
import PCIModel
import VFIORules
import Testing

/// Per device: where the MSI-X table is. Per IOMMU group: one verdict, its reasons, and remedies
/// that the audit evaluated on the host before offering them.
@Suite(.timeLimit(.minutes(1)))
struct GroupAuditTests {
    /// An H200-like GPU (10de:2335) as a guest sees it: BAR 0 16 MiB with the MSI-X table at
    /// 0xb90000 (9 entries) and the PBA at 0xba0000, a 64-bit prefetchable BAR 1; no IOMMU groups.
    static func h200Tree(group: Int? = nil) -> SysfsTree {
        var tree = SysfsTree()
        tree.addFunction("0000:00:06.0", vendor: 0x10de, device: 0x2335,
                         bars: [.mem32(0xfd00_0000, size: 0x100_0000), .unused, .mem64Prefetch(0x38_0000_0000, size: 0x8_0000_0000)],
                         msix: .init(tableBIR: 0, tableOffset: 0xb9_0000, entries: 9, pbaBIR: 0, pbaOffset: 0xba_0000),
                         group: group)
        tree.setIOMem("""
            fd000000-fdffffff : PCI Bus 0000:00
              fd000000-fdffffff : 0000:00:06.0
            3000000000-3fffffffff : PCI Bus 0000:00
              3800000000-3fffffffff : 0000:00:06.0

            """)
        return tree
    }

    func audit(_ tree: SysfsTree, policy: Policy = .mainline, msi: MSIIsolation = .yes, unsafe: Bool = false) throws -> AuditReport {
        HostAudit.run(try tree.host(), options: AuditOptions(policy: policy, pageSize: .kib4, msiIsolation: msi,
                                                             allowUnsafeInterrupts: unsafe))
    }

    @Test func theMSIXTableIsLocated() throws {
        let report = try audit(Self.h200Tree())
        let device = try #require(report.devices.first)
        let msix = try #require(device.msix)
        #expect(msix.entries == 9)
        #expect(msix.table.bar == 0 && msix.table.offset == 0xb9_0000 && msix.table.bytes == 9 * 16)
        #expect(msix.table.start == HexWord(0xfdb9_0000) && msix.table.end == HexWord(0xfdb9_008f))
        #expect(msix.pba.bar == 0 && msix.pba.offset == 0xba_0000 && msix.pba.bytes == 8)
        #expect(report.text.contains("MSI-X: 9 entries; table in BAR 0 at offset 0xb90000, 144 B (0x00000000fdb90000-0x00000000fdb9008f); PBA in BAR 0 at offset 0xba0000"),
                "\(report.text)")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
        let table = ((json?["devices"] as? [[String: Any]])?.first?["msix"] as? [String: Any])?["table"] as? [String: Any]
        #expect(table?["offset"] as? String == "0xb90000")
    }

    @Test func aHostWithoutIOMMUGroupsIsReportedAsSuch() throws {
        let report = try audit(Self.h200Tree())
        let group = try #require(report.groups.first)
        #expect(report.groups.count == 1)
        #expect(group.group == nil && group.devices == ["0000:00:06.0"])
        #expect(group.verdict == .unsafe)
        #expect(group.reasons.first?.contains("the host has no IOMMU groups") ?? false)
        #expect(group.remedies.map(\.kind) == [.enableIOMMU])
        #expect(report.text.contains("no group (0000:00:06.0): unsafe"), "\(report.text)")
    }

    @Test func aCleanGroupIsSafe() throws {
        let report = try audit(Self.h200Tree(group: 7))
        #expect(report.groups.map(\.verdict) == [.safe])
        #expect(report.groups.first?.group == 7)
        #expect(report.groups.first?.remedies == [])
    }

    /// MSIs not isolated and allow_unsafe_interrupts set: mainline attaches and maps the table.
    /// Turning the parameter off is evaluated on the host and clears the violation.
    @Test func unsafeInterruptsHaveAnEvaluatedRemedy() throws {
        let report = try audit(Self.h200Tree(group: 7), msi: .no, unsafe: true)
        let group = try #require(report.groups.first)
        #expect(group.verdict == .unsafe, "\(report.text)")
        #expect(group.reasons.contains { $0.contains("BAR 0: msix-needs-filtering violated") }, "\(group.reasons)")
        #expect(group.remedies.map(\.kind) == [.disallowUnsafeInterrupts])
        #expect(group.remedies.first?.evidence == "evaluated")
    }

    /// allow_unsafe_interrupts not read (vfio_iommu_type1 not loaded, the command line silent):
    /// both values are evaluated. MSIs not isolated: with N mainline refuses the attach, with Y it
    /// maps the table, so the group is unsafe and keeping the default is the evaluated remedy.
    /// With MSIs isolated the value does not matter and the BAR has one verdict that assumes none.
    @Test func unsafeInterruptsNotReadAreEvaluatedBothWays() throws {
        let host = try Self.h200Tree(group: 7).host()
        let notIsolated = HostAudit.run(host, options: AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .no,
                                                                    allowUnsafeInterrupts: nil))
        let bar = try #require(notIsolated.devices.first?.bars.first)
        #expect(bar.verdicts.map(\.allowUnsafeInterrupts) == [false, true], "\(bar.verdicts)")
        #expect(bar.verdicts.map(\.mmappable) == [false, true])
        #expect(bar.verdicts[1].violations == [Invariant.msixNeedsFiltering.rawValue])
        let group = try #require(notIsolated.groups.first)
        #expect(group.verdict == .unsafe)
        #expect(group.remedies.map(\.kind) == [.disallowUnsafeInterrupts])
        #expect(group.remedies.first?.action.hasPrefix("keep allow_unsafe_interrupts=0") ?? false, "\(group.remedies)")
        #expect(notIsolated.text.contains("allow_unsafe_interrupts: unknown (evaluated both ways)"), "\(notIsolated.text)")
        #expect(notIsolated.text.contains("allow_unsafe_interrupts=N: no, allow_unsafe_interrupts=Y: yes"), "\(notIsolated.text)")

        let either = HostAudit.run(host, options: AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .unknown,
                                                               allowUnsafeInterrupts: nil))
        let verdicts = try #require(either.devices.first?.bars.first?.verdicts)
        #expect(verdicts.map(\.msiIsolated) == [true, false, false])
        #expect(verdicts.map(\.allowUnsafeInterrupts) == [nil, false, true])
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(either)) as? [String: Any]
        #expect(json?["allow_unsafe_interrupts"] is NSNull)
    }

    /// 4.16 attaches a group whose MSIs are not isolated when the platform has no MSI irq domain
    /// (the host facts the audit was not told take the value that grants the most); 6.3's
    /// per-group isolated-MSI check refuses it, and the audit names that release.
    @Test func anOlderKernelHasALaterReleaseAsRemedy() throws {
        let release = try KernelRelease.named("4.16")
        let report = try audit(Self.h200Tree(group: 7), policy: release.policy, msi: .no)
        let group = try #require(report.groups.first)
        #expect(group.verdict == .unsafe)
        let remedy = try #require(group.remedies.first { $0.kind == .kernelRelease })
        #expect(remedy.action.contains("linux-"), "\(remedy.action)")
        // The release named is one whose audit of this host is clean.
        let named = try #require(KernelRelease.all.first { remedy.action.contains("(\($0.policy.name))") })
        let after = try audit(Self.h200Tree(group: 7), policy: named.policy, msi: .no)
        #expect(!after.violated)
        // and every release between them still violates.
        let from = try #require(KernelRelease.all.firstIndex(of: release)), to = try #require(KernelRelease.all.firstIndex(of: named))
        for between in KernelRelease.all[(from + 1)..<to] {
            #expect(try audit(Self.h200Tree(group: 7), policy: between.policy, msi: .no).violated, "\(between.name)")
        }
    }

    @Test func bridgesAloneFormNoGroupAndDoNotDecide() throws {
        var tree = Self.h200Tree(group: 7)
        tree.addBridge("0000:00:1c.0", window: .mem32(0xfe00_0000, size: 0x10_0000))
        let report = try audit(tree)
        #expect(report.groups.map(\.group) == [7])
    }
}
