import Audit
import Foundation
import PCIModel
import Testing

@Suite(.timeLimit(.minutes(1)))
struct SnapshotTests {
    @Test func snapshotAuditsLikeTheTreeAndDropsTheSerialNumber() throws {
        var tree = HostAuditTests.msixTree()
        let config = "sys/bus/pci/devices/0000:00:03.0/config"
        var image = try #require(tree.files[config]) + Array(repeating: 0, count: 4096 - 256)
        image[0x100] = 0x03  // extended capability 0x0003 (Device Serial Number), version 1, last
        image[0x102] = 0x01
        for i in 0x104..<0x10c { image[i] = 0xa5 }
        tree.files[config] = image
        tree.files["proc/cmdline"] = Array("quiet".utf8)

        let snapshot = try Snapshot.capture(from: tree, pageSize: 65536,
                                            commandLine: "quiet intel_iommu=on pci=realloc,resource_alignment=12@00:03.0 root=/dev/sda")
        #expect(snapshot.kernelParameters == ["intel_iommu=on", "pci=realloc,resource_alignment=12@00:03.0"])
        let decoded = try JSONDecoder().decode(Snapshot.self, from: JSONEncoder().encode(snapshot))
        #expect(decoded == snapshot)
        let captured = try #require(try decoded.contents(of: config))
        #expect(Array(captured[0x104..<0x10c]) == Array(repeating: 0, count: 8))
        #expect(Array(captured[0..<0x104]) == Array(image[0..<0x104]))

        let options = AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .no, allowUnsafeInterrupts: true)
        let fromTree = HostAudit.run(try tree.host(), options: options)
        let fromSnapshot = HostAudit.run(try HostInventory.load(from: decoded), options: options)
        #expect(fromSnapshot == fromTree)
        #expect(fromSnapshot.violated)
    }

    @Test func snapshotCommandThenAudit() throws {
        let root = try HostAuditTests.msixTree().write()
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("snapshot.json").path
        let snap = try AuditCommandTests.run(["snapshot", "--root", root.path, "--output", file])
        #expect(snap.status == 0, "\(snap.stderr)")
        let audit = try AuditCommandTests.run(["audit", file, "--page-size", "4096", "--msi-isolated", "no", "--allow-unsafe-interrupts"])
        #expect(audit.status == 1, "\(audit.stderr)")
        #expect(audit.stdout.contains("VIOLATES msix-needs-filtering"), "\(audit.stdout)")
        let bad = root.appendingPathComponent("bad.json").path
        try Data("{\"schema\": 1}".utf8).write(to: URL(fileURLWithPath: bad))
        let broken = try AuditCommandTests.run(["audit", bad])
        #expect(broken.status == 65)
        #expect(broken.stderr.hasPrefix("\(bad):1:12: not a barproof snapshot or topology: schema: expected a string, found a number"),
                "\(broken.stderr)")
    }
}
