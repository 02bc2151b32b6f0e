import Audit
import Foundation
import PCIModel
import Testing

/// `DirectoryFiles` reads only regular files, in bounds, through links that stay inside the root:
/// a FIFO, a link to `/dev/zero`, a link out of the root (absolute or by `..`) and a link loop are
/// bad input naming the path, never followed or waited on.
@Suite(.timeLimit(.minutes(2)))
struct TreeReadingTests {
    static let device = "sys/bus/pci/devices/0000:00:03.0"

    /// The MSI-X tree of `HostAuditTests` on disk, with `edit` applied to the written directory.
    static func withTree(_ edit: (URL) throws -> Void, _ body: (URL) throws -> Void) throws {
        let root = try HostAuditTests.msixTree().write()
        defer { try? FileManager.default.removeItem(at: root) }
        try edit(root)
        try body(root)
    }

    /// Replaces the file at `relative` with a symbolic link to `target`.
    static func link(_ root: URL, _ relative: String, to target: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.removeItem(at: url)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }

    func loadError(_ root: URL) -> AuditInputError? {
        do {
            _ = try HostInventory.load(from: DirectoryFiles(root: root.path))
            return nil
        } catch {
            return error
        }
    }

    @Test func kernelStyleRelativeLinksAreFollowed() throws {
        // As on a real host: the devices entry links to the function under sys/devices.
        try Self.withTree({ root in
            let real = root.appendingPathComponent("sys/devices/pci0000:00/0000:00:03.0")
            try FileManager.default.createDirectory(at: real.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: root.appendingPathComponent(Self.device), to: real)
            try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(Self.device).path,
                                                       withDestinationPath: "../../../devices/pci0000:00/0000:00:03.0")
            try FileManager.default.createSymbolicLink(atPath: real.appendingPathComponent("driver").path,
                                                       withDestinationPath: "../../../bus/pci/drivers/vfio-pci")
        }) { root in
            let host = try HostInventory.load(from: DirectoryFiles(root: root.path))
            #expect(host.devices.map(\.address.description) == ["0000:00:03.0"])
            #expect(host.devices.first?.driver == "vfio-pci")
            #expect(host.devices.first?.msix != nil)
        }
    }

    @Test func fifoConfigIsBadInputNotAHang() throws {
        try Self.withTree({ root in
            let config = root.appendingPathComponent("\(Self.device)/config")
            try FileManager.default.removeItem(at: config)
            #expect(mkfifo(config.path, 0o644) == 0)
        }) { root in
            let run = try AuditCommandTests.run(["audit", "--sysfs", root.path], timeout: .seconds(20))
            #expect(run.status == 65, "\(run.stderr)")
            #expect(run.stderr.contains("\(Self.device)/config: is a FIFO"), "\(run.stderr)")
        }
    }

    @Test func linkToDevZeroIsRefusedNotRead() throws {
        try Self.withTree({ root in try Self.link(root, "\(Self.device)/config", to: "/dev/zero") }) { root in
            let run = try AuditCommandTests.run(["audit", "--sysfs", root.path], timeout: .seconds(20))
            #expect(run.status == 65, "\(run.stderr)")
            #expect(run.stderr.contains("symbolic link to the absolute path /dev/zero"), "\(run.stderr)")
        }
    }

    @Test func absoluteLinkIsRefusedEvenToAFileThatExists() throws {
        // In a copied tree an absolute link leads onto this machine's own /sys.
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-outside-\(UUID().uuidString)")
        try Data("0x0000000000000000 0x0000000000000000 0x0000000000000000\n".utf8).write(to: outside)
        defer { try? FileManager.default.removeItem(at: outside) }
        try Self.withTree({ root in try Self.link(root, "\(Self.device)/resource", to: outside.path) }) { root in
            let error = try #require(loadError(root))
            #expect(error.file == "\(Self.device)/resource")
            #expect(error.message.contains("absolute path \(outside.path)"), "\(error)")
            #expect(!error.unreadable)
        }
    }

    @Test func relativeLinkOutOfTheRootIsRefused() throws {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-outside-\(UUID().uuidString)")
        try Data("0x0000000000000000 0x0000000000000000 0x0000000000000000\n".utf8).write(to: outside)
        defer { try? FileManager.default.removeItem(at: outside) }
        // sys/bus/pci/devices/<bdf>/ is five levels below the root; six `..` leave it.
        try Self.withTree({ root in
            try Self.link(root, "\(Self.device)/resource", to: "../../../../../../\(outside.lastPathComponent)")
        }) { root in
            let error = try #require(loadError(root))
            #expect(error.file == "\(Self.device)/resource")
            #expect(error.message.contains("leads outside the root"), "\(error)")
        }
    }

    @Test func symlinkLoopIsReportedAsALoop() throws {
        try Self.withTree({ root in
            try Self.link(root, "\(Self.device)/config", to: "config.again")
            try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("\(Self.device)/config.again").path,
                                                       withDestinationPath: "config")
        }) { root in
            let error = try #require(loadError(root))
            #expect(error.file == "\(Self.device)/config")
            #expect(error.message.contains("symbolic link loop"), "\(error)")
            #expect(!error.message.contains("missing"))
        }
    }

    @Test func configLongerThan4096BytesIsBadInputNamingThePath() throws {
        try Self.withTree({ root in
            try Data(repeating: 0, count: 1 << 20).write(to: root.appendingPathComponent("\(Self.device)/config"))
        }) { root in
            let error = try #require(loadError(root))
            #expect(error.file == "\(Self.device)/config")
            #expect(error.message.contains("larger than 4096 bytes"), "\(error)")
        }
    }
}
