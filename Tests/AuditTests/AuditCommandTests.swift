import Foundation
import XCTest

/// End-to-end: `barproof audit --sysfs` on trees written to a temporary directory.
final class AuditCommandTests: XCTestCase {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["BARPROOF_BINARY"] { return URL(fileURLWithPath: path) }
        return Bundle.main.bundleURL.appendingPathComponent("barproof")
    }

    static func run(_ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    func testSharedPageUnder64KiBPagesIsRefusedNotViolated() throws {
        let root = try HostAuditTests.sharedPageTree().write()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Self.run(["audit", "--sysfs", root.path, "--page-size", "65536", "--msi-isolated", "yes"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("0000:00:01.0 [1af4:1000] class 0x020000 driver vfio-pci iommu_group 1"), result.stdout)
        XCTAssertTrue(result.stdout.contains("mainline.subpage-reservation"), result.stdout)
        XCTAssertTrue(result.stdout.hasSuffix("no invariant violated\n"), result.stdout)
    }

    func testExposedMSIXTableWithoutIsolationExits1() throws {
        let root = try HostAuditTests.msixTree().write()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Self.run(["audit", "--sysfs", root.path, "--page-size", "4096", "--msi-isolated", "no",
                              "--allow-unsafe-interrupts", "--format", "json"])
        XCTAssertEqual(result.status, 1, result.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let devices = try XCTUnwrap(json["devices"] as? [[String: Any]])
        let bars = try XCTUnwrap(devices.first?["bars"] as? [[String: Any]])
        XCTAssertEqual(bars.first?["msixTableExposed"] as? Bool, true)
    }

    func testMalformedResourceExits65NamingFileAndLine() throws {
        var tree = HostAuditTests.sharedPageTree()
        tree.files["sys/bus/pci/devices/0000:00:01.0/resource"] = Array("0x00000000fe000000 0x00000000fe000fff\n".utf8)
        let root = try tree.write()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Self.run(["audit", "--sysfs", root.path])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("sys/bus/pci/devices/0000:00:01.0/resource: sysfs resource file, line 1"), result.stderr)
        XCTAssertEqual(result.stdout, "")
    }

    func testMissingIOMemExits65() throws {
        var tree = HostAuditTests.sharedPageTree()
        tree.files["proc/iomem"] = nil
        let root = try tree.write()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Self.run(["audit", "--sysfs", root.path])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("proc/iomem: missing"), result.stderr)
    }
}
