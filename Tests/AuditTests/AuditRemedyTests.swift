import Foundation
import TestSupport
import Testing

/// The `pci=resource_alignment=` remedy: offered only when the prover shows it for every
/// placement of the host's shape, and never on a host that may be PCI_PROBE_ONLY.
@Suite(.timeLimit(.minutes(2)))
struct AuditRemedyTests {
    /// Two 4 KiB BARs of two functions on one 64 KiB page, the sub-page reservation dropped:
    /// each mmap exposes the other function's BAR.
    func audit(_ extra: [String]) throws -> (status: Int32, report: [String: Any]) {
        let root = try HostAuditTests.sharedPageTree().write()
        defer { try? FileManager.default.removeItem(at: root) }
        let run = try AuditCommandTests.run(["audit", "--sysfs", root.path, "--page-size", "65536", "--msi-isolated", "yes",
                                             "--policy", "mainline", "--drop", "subpage-reservation", "--format", "json"] + extra,
                                            timeout: .seconds(100))
        let report = try #require(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
        return (run.status, report)
    }

    func remedies(_ report: [String: Any], group: Int) -> [[String: Any]] {
        let groups = report["groups"] as? [[String: Any]] ?? []
        return groups.first { $0["group"] as? Int == group }?["remedies"] as? [[String: Any]] ?? []
    }

    @Test func provedOnTheHostsShapeWhenTheHostIsNotProbeOnly() throws {
        let (status, report) = try audit(["--host-fact", "probe-only=no"])
        #expect(status == 1)
        let remedy = try #require(remedies(report, group: 1).first { $0["kind"] as? String == "resource_alignment" },
                                  "\(report["groups"] ?? "")")
        #expect(remedy["evidence"] as? String == "proved")
        #expect(remedy["value"] as? String == "16@0000:00:01.0")
        #expect((remedy["detail"] as? String ?? "").contains("2 functions (0000:00:01.0, 0000:00:02.0)"), "\(remedy)")
    }

    @Test func notOfferedWhereTheKernelMayIgnoreIt() throws {
        let (status, report) = try audit([])
        #expect(status == 1)
        #expect(!remedies(report, group: 1).contains { $0["kind"] as? String == "resource_alignment" })
        let notes = report["notes"] as? [String] ?? []
        #expect(notes.contains { $0.contains("not offered") && $0.contains("PCI_PROBE_ONLY") }, "\(notes)")
    }
}
