import Audit
import Foundation
import PCIModel
import XCTest

/// The development VM (a Firecracker-style guest: a host bridge and five virtio-pci functions,
/// each with one 512 KiB 64-bit BAR holding its MSI-X table and PBA), captured with
/// `barproof snapshot` into Fixtures/dev-vm-snapshot.json.
final class CapturedHostTests: XCTestCase {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/dev-vm-snapshot.json")

    func host() throws -> HostInventory {
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(contentsOf: Self.fixture))
        XCTAssertEqual(snapshot.schema, Snapshot.schemaName)
        return try HostInventory.load(from: snapshot)
    }

    func testEveryVirtioBARIsMmappableWithItsMSIXTableUnderMainline() throws {
        for page in [PageSize.kib4, .kib64] {
            let report = HostAudit.run(try host(), options: AuditOptions(policy: .mainline, pageSize: page, msiIsolation: .yes))
            XCTAssertEqual(report.devices.map(\.address),
                           ["0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "0000:00:03.0", "0000:00:04.0", "0000:00:05.0"])
            XCTAssertEqual(report.devices[0].bars, [], "the host bridge has no BARs")
            for device in report.devices.dropFirst() {
                XCTAssertEqual(device.driver, "virtio-pci")
                let bar = try XCTUnwrap(device.bars.first)
                XCTAssertEqual(device.bars.count, 1)
                XCTAssertEqual(bar.size, 512 << 10)
                XCTAssertEqual(bar.kind, "mem64")
                XCTAssertEqual(bar.verdicts.map(\.mmappable), [true])
                XCTAssertTrue(bar.msixTableExposed)
                XCTAssertEqual(bar.foreign, [])
            }
            XCTAssertFalse(report.violated)
        }
    }

    func testLegacyRefusesTheBARsBecauseTheyHoldTheTable() throws {
        let report = HostAudit.run(try host(), options: AuditOptions(policy: .legacy, pageSize: .kib4, msiIsolation: .yes))
        for device in report.devices.dropFirst() {
            XCTAssertEqual(device.bars.first?.verdicts.first?.refusedBy, ["legacy.msix-table-excluded"])
        }
    }

    func testWithoutIsolationButUnsafeInterruptsEveryTableIsAViolation() throws {
        let report = HostAudit.run(try host(), options: AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .no,
                                                                     allowUnsafeInterrupts: true))
        XCTAssertEqual(report.violationCount, 5)
    }
}
