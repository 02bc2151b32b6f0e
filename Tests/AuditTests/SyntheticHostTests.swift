import Audit
import PCIModel
import VFIORules
import Testing

/// `HostInventory.synthetic` and `syntheticFiles`, which the benchmark audits, are one machine:
/// the files parse to the same inventory and audit the same way, reports byte for byte.
@Suite(.timeLimit(.minutes(1)))
struct SyntheticHostTests {
    @Test func syntheticHostAuditsLikeItsFiles() throws {
        // 300 functions: past one bus (256 functions a bus), so the addressing is exercised.
        let functions = 300
        let rendered = HostInventory.syntheticFiles(functions: functions)
        let tree = SysfsTree(files: rendered.files, links: rendered.links)
        for page in [PageSize.kib4, .kib64] {
            let options = AuditOptions(policy: .mainline, pageSize: page, msiIsolation: .unknown)
            let parsed = HostAudit.run(try tree.host(), options: options)
            let synthetic = HostAudit.run(HostInventory.synthetic(functions: functions), options: options)
            #expect(synthetic.devices.count == functions)
            #expect(Set(synthetic.devices.map(\.address)).count == functions)
            #expect(synthetic.devices.map(\.iommuGroup) == parsed.devices.map(\.iommuGroup))
            #expect(synthetic.devices.map(\.msix) == parsed.devices.map(\.msix), "MSI-X locations differ")
            let same = synthetic.devices.map(\.bars) == parsed.devices.map { $0.bars.map { var b = $0; b.file = nil; return b } }
            #expect(same, "BAR audits differ at \(page)")
            #expect(synthetic.groups == parsed.groups, "groups differ")
            #expect(synthetic.violationCount == parsed.violationCount)
        }
    }
}
