import Audit
import Foundation
import PCIModel
import Testing

/// The development VM (a Firecracker-style guest: a host bridge and five virtio-pci functions,
/// each with one 512 KiB 64-bit BAR holding its MSI-X table and PBA), captured with
/// `barproof snapshot` into Fixtures/dev-vm-snapshot.json.
@Suite(.timeLimit(.minutes(1)))
struct CapturedHostTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/dev-vm-snapshot.json")

    func host() throws -> HostInventory {
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(contentsOf: Self.fixture))
        #expect(snapshot.schema == Snapshot.version1SchemaName)
        return try HostInventory.load(from: snapshot)
    }

    @Test func everyVirtioBARIsMmappableWithItsMSIXTableUnderMainline() throws {
        for page in [PageSize.kib4, .kib64] {
            let report = HostAudit.run(try host(), options: AuditOptions(policy: .mainline, pageSize: page, msiIsolation: .yes))
            #expect(report.devices.map(\.address) == ["0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "0000:00:03.0", "0000:00:04.0", "0000:00:05.0"])
            #expect(report.devices[0].bars == [], "the host bridge has no BARs")
            for device in report.devices.dropFirst() {
                #expect(device.driver == "virtio-pci")
                let bar = try #require(device.bars.first)
                #expect(device.bars.count == 1)
                #expect(bar.size == 512 << 10)
                #expect(bar.kind == "mem64")
                #expect(bar.verdicts.map(\.mmappable) == [true])
                #expect(bar.msixTableExposed)
                #expect(bar.foreign == [])
            }
            #expect(!report.violated)
        }
    }

    @Test func legacyRefusesTheBARsBecauseTheyHoldTheTable() throws {
        let report = HostAudit.run(try host(), options: AuditOptions(policy: .legacy, pageSize: .kib4, msiIsolation: .yes))
        for device in report.devices.dropFirst() {
            #expect(device.bars.first?.verdicts.first?.refusedBy == ["legacy.msix-table-excluded"])
        }
    }

    @Test func withoutIsolationButUnsafeInterruptsEveryTableIsAViolation() throws {
        let report = HostAudit.run(try host(), options: AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .no,
                                                                     allowUnsafeInterrupts: true))
        #expect(report.violationCount == 5)
    }
}
