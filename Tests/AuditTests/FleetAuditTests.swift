import Foundation
import TestSupport
import Testing

/// `barproof audit SNAPSHOT...`: each host audited on its own, one summary, one JSON document,
/// one SARIF run per host, and the worst host decides the exit code. Every JSON document
/// validates against its schema in `schemas/`.
@Suite(.timeLimit(.minutes(2)))
struct FleetAuditTests {
    /// Two snapshots: a clean host, and one whose MSI-X table is mappable with unsafe interrupts.
    func snapshots(in folder: URL) throws -> (clean: String, violating: String) {
        var clean = HostAuditTests.sharedPageTree()
        clean.files["proc/sys/kernel/osrelease"] = Array("6.6.9\n".utf8)
        var violating = HostAuditTests.msixTree()
        violating.files["proc/sys/kernel/osrelease"] = Array("6.6.9\n".utf8)
        violating.links["sys/bus/pci/devices/0000:00:03.0/iommu_group"] = "../../../kernel/iommu_groups/3"
        violating.files["sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"] = Array("Y\n".utf8)
        violating.files["proc/interrupts"] = Array("           CPU0\n 24:          0   PCI-MSI 512000-edge      ahci\n".utf8)
        var paths: [String] = []
        for (name, tree) in [("clean", clean), ("violating", violating)] {
            let root = try tree.write()
            defer { try? FileManager.default.removeItem(at: root) }
            let path = folder.appendingPathComponent("\(name).json").path
            let run = try AuditCommandTests.run(["snapshot", "--root", root.path, "--output", path])
            #expect(run.status == 0, "\(run.stderr)")
            paths.append(path)
        }
        return (paths[0], paths[1])
    }

    func validate(_ document: String, against schema: String, in folder: URL) throws {
        let file = folder.appendingPathComponent("\(schema).out.json")
        try Data(document.utf8).write(to: file)
        let schemas = BarproofRepository.url.appendingPathComponent("schemas")
        let run = try ProgramRun.run(program: URL(fileURLWithPath: "/usr/bin/env"),
                                     arguments: ["python3", schemas.appendingPathComponent("validate.py").path,
                                                 schemas.appendingPathComponent("\(schema).schema.json").path, file.path],
                                     timeout: .seconds(60))
        #expect(run.status == 0, "\(schema): \(run.stdout)\(run.stderr)")
    }

    @Test func aFleetIsAuditedHostByHost() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-fleet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (clean, violating) = try snapshots(in: folder)

        // The host's own facts choose the policy and the platform, each with the file it came from.
        let one = try AuditCommandTests.run(["audit", violating, "--format", "json"])
        #expect(one.status == 1, "\(one.stdout)\(one.stderr)")
        let report = try #require(JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])
        #expect(report["schema"] as? String == "barproof-audit" && report["schema_version"] as? Int == 1)
        #expect(report["allow_unsafe_interrupts"] as? Bool == true)
        #expect(report["msi_isolation"] as? String == "no")
        let facts = try #require(report["facts"] as? [[String: String]])
        #expect(facts.contains { $0["name"] == "kernel_release" && $0["value"] == "6.6.9" && $0["source"] == "proc/sys/kernel/osrelease" })
        #expect(facts.contains { $0["name"] == "allow_unsafe_interrupts" && ($0["source"] ?? "").contains("sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts") })
        #expect((report["policy"] as? String ?? "").hasPrefix("linux-"))
        try validate(one.stdout, against: "barproof-audit", in: folder)

        let text = try AuditCommandTests.run(["audit", clean, violating])
        #expect(text.status == 1)
        let header = text.stdout.split(separator: "\n").first { $0.hasPrefix("host ") }
        #expect(header?.split(separator: " ") == ["host", "kernel", "policy", "safe", "unsafe", "unknown", "violations", "status"],
                "\(text.stdout)")
        let lines = text.stdout.split(separator: "\n").filter { $0.hasPrefix(clean + " ") || $0.hasPrefix(violating + " ") }
        #expect(lines.map { $0.split(separator: " ").last.map(String.init) } == ["clean", "violated"], "\(text.stdout)")
        #expect(text.stdout.contains("1 of 2 hosts violate an invariant"), "\(text.stdout)")
        #expect(text.stdout.contains("remedy (evaluated): set allow_unsafe_interrupts=0"), "\(text.stdout)")

        let json = try AuditCommandTests.run(["audit", clean, violating, "--format", "json"])
        #expect(json.status == 1)
        let fleet = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(fleet["schema"] as? String == "barproof-audit-fleet")
        #expect((fleet["hosts"] as? [[String: Any]])?.map { $0["host"] as? String } == [clean, violating])
        let rows = try #require(fleet["summary"] as? [[String: Any]])
        #expect(rows.map { $0["status"] as? String } == ["clean", "violated"])
        try validate(json.stdout, against: "barproof-audit-fleet", in: folder)

        let sarif = try AuditCommandTests.run(["audit", clean, violating, "--format", "sarif"])
        let log = try #require(JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let runs = try #require(log["runs"] as? [[String: Any]])
        #expect(runs.count == 2)
        // Outside the source root (the repository), a host is named by its path as given.
        #expect(runs.compactMap { ($0["automationDetails"] as? [String: String])?["id"] } == ["barproof/audit/\(clean)/", "barproof/audit/\(violating)/"])

        // Bad input in one snapshot: exit 65 naming it, and nothing printed.
        let broken = folder.appendingPathComponent("broken.json").path
        try Data("{\"schema\": 3}".utf8).write(to: URL(fileURLWithPath: broken))
        let bad = try AuditCommandTests.run(["audit", clean, broken])
        #expect(bad.status == 65)
        #expect(bad.stdout == "")
        #expect(bad.stderr.contains("broken.json"), "\(bad.stderr)")
    }
}
