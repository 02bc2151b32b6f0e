import Audit
import PCIModel
import VFIORules
import Testing

/// `HostInventory.synthetic`, which the benchmark audits, is the same machine as the sysfs tree of
/// `testThousandFunctionHost` and is audited the same way.
@Suite(.timeLimit(.minutes(1)))
struct SyntheticHostTests {
    @Test func syntheticHostAuditsLikeTheEquivalentSysfsTree() throws {
        let functions = 64
        var tree = SysfsTree()
        var iomem = "e0000000-efffffff : PCI Bus 0000:00\n"
        for i in 0..<functions {
            let bdf = "0000:\(hex(UInt64(1 + i / 32), 2)):\(hex(UInt64(i % 32), 2)).0"
            let start = 0xe000_0000 + UInt64(i) * 0x4000
            tree.addFunction(bdf, bars: [.mem32(start, size: 0x4000)],
                             msix: .init(tableBIR: 0, tableOffset: 0x2000, entries: 4, pbaBIR: 0, pbaOffset: 0x3000))
            iomem += "  \(hex(start, 8))-\(hex(start + 0x3fff, 8)) : \(bdf)\n"
        }
        tree.setIOMem(iomem)
        for page in [PageSize.kib4, .kib64] {
            let options = AuditOptions(policy: .mainline, pageSize: page, msiIsolation: .unknown)
            let parsed = HostAudit.run(try tree.host(), options: options)
            let synthetic = HostAudit.run(HostInventory.synthetic(functions: functions), options: options)
            #expect(synthetic.devices.count == functions)
            #expect(synthetic.devices.map(\.address) == parsed.devices.map(\.address))
            for (s, p) in zip(synthetic.devices, parsed.devices) {
                #expect(s.bars.map(\.verdicts) == p.bars.map(\.verdicts), "\(s.address) at \(page)")
                #expect(s.bars.map(\.foreign) == p.bars.map(\.foreign), "\(s.address) at \(page)")
                #expect(s.bars.map(\.exposedEnd) == p.bars.map(\.exposedEnd), "\(s.address) at \(page)")
            }
            #expect(synthetic.violationCount == parsed.violationCount)
        }
    }
}
