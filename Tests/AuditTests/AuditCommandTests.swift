import Foundation
import TestSupport
import Testing

/// End-to-end: `barproof audit --sysfs` on trees written to a temporary directory.
/// Each test runs the binary at most twice; an audit takes well under a second.
@Suite(.timeLimit(.minutes(1)))
struct AuditCommandTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["BARPROOF_BINARY"] { return URL(fileURLWithPath: path) }
        return Bundle.main.bundleURL.appendingPathComponent("barproof")
    }

    /// Runs `barproof arguments` through the shared runner; a run past `timeout` is killed and
    /// recorded as a failure naming the command line.
    static func run(_ arguments: [String], timeout: Duration = .seconds(60),
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        let run = try ProgramRun.run(program: executable, arguments: arguments, timeout: timeout)
        if run.timedOut { Issue.record(Comment(rawValue: run.timeoutMessage), sourceLocation: sourceLocation) }
        return Run(status: run.status, stdout: run.stdout, stderr: run.stderr)
    }

    @Test func sharedPageUnder64KiBPagesIsRefusedNotViolated() throws {
        let root = try HostAuditTests.sharedPageTree().write()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Self.run(["audit", "--sysfs", root.path, "--page-size", "65536", "--msi-isolated", "yes"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("0000:00:01.0 [1af4:1000] class 0x020000 driver vfio-pci iommu_group 1"), "\(result.stdout)")
        #expect(result.stdout.contains("mainline.subpage-reservation"), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("no invariant violated\n"), "\(result.stdout)")
    }

    @Test func exposedMSIXTableWithoutIsolationExits1() throws {
        let root = try HostAuditTests.msixTree().write()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Self.run(["audit", "--sysfs", root.path, "--page-size", "4096", "--msi-isolated", "no",
                              "--allow-unsafe-interrupts", "--format", "json"])
        #expect(result.status == 1, "\(result.stderr)")
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let devices = try #require(json["devices"] as? [[String: Any]])
        let bars = try #require(devices.first?["bars"] as? [[String: Any]])
        #expect(bars.first?["msix_table_exposed"] as? Bool == true)
    }

    @Test func malformedResourceExits65NamingFileAndLine() throws {
        var tree = HostAuditTests.sharedPageTree()
        tree.files["sys/bus/pci/devices/0000:00:01.0/resource"] = Array("0x00000000fe000000 0x00000000fe000fff\n".utf8)
        let root = try tree.write()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Self.run(["audit", "--sysfs", root.path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("sys/bus/pci/devices/0000:00:01.0/resource: sysfs resource file, line 1"), "\(result.stderr)")
        #expect(result.stdout == "")
    }

    @Test func missingIOMemExits65() throws {
        var tree = HostAuditTests.sharedPageTree()
        tree.files["proc/iomem"] = nil
        let root = try tree.write()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try Self.run(["audit", "--sysfs", root.path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("proc/iomem: missing"), "\(result.stderr)")
    }
}
