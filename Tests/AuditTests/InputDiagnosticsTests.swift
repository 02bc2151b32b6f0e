import Audit
import Foundation
import PCIModel
import Testing

/// What the audit says about odd input: the byte that is there, the field that is wrong, both
/// directories of one function, and names printed without their control characters.
@Suite(.timeLimit(.minutes(1)))
struct InputDiagnosticsTests {
    static let resource = "sys/bus/pci/devices/0000:00:03.0/resource"

    func loadError(_ tree: SysfsTree) -> AuditInputError? {
        do {
            _ = try tree.host()
            return nil
        } catch let error as AuditInputError {
            return error
        } catch {
            Issue.record("not an AuditInputError: \(error)")
            return nil
        }
    }

    @Test func invalidUTF8InResourceIsNamedAsTheByteAtItsColumn() throws {
        var tree = HostAuditTests.msixTree()
        // "0x00000000fe1000\xff0 ...": the 17th byte is 0xff, not UTF-8.
        var line = Array("0x00000000fe100000 0x00000000fe103fff 0x0000000000040200\n".utf8)
        line[16] = 0xff
        tree.files[Self.resource] = line + Array(repeating: Array("0x0000000000000000 0x0000000000000000 0x0000000000000000\n".utf8), count: 6).flatMap { $0 }
        let error = try #require(loadError(tree))
        #expect(error.parseError?.line == 1)
        #expect(error.parseError?.column == 17)
        #expect(error.message.contains("byte 0xff in the start field is not a hex digit"), "\(error)")
    }

    @Test func duplicateDirectoriesForOneFunctionAreBadInputNamingBoth() throws {
        var tree = HostAuditTests.msixTree()
        for (path, bytes) in tree.files where path.hasPrefix("sys/bus/pci/devices/0000:00:03.0/") {
            tree.files[path.replacingOccurrences(of: "0000:00:03.0", with: "00:03.0")] = bytes
        }
        let error = try #require(loadError(tree))
        #expect(error.file == "sys/bus/pci/devices/00:03.0")
        #expect(error.message.contains("sys/bus/pci/devices/0000:00:03.0"), "\(error)")
        #expect(error.message.contains("function 0000:00:03.0"), "\(error)")
    }

    @Test func escapeSequenceInAnIOMemNameIsEscapedInTheTextReport() throws {
        // A platform node named with an OSC title sequence and a C1 CSI, on the BAR's page.
        var tree = HostAuditTests.sharedPageTree()
        tree.files = tree.files.filter { !$0.key.hasPrefix("sys/bus/pci/devices/0000:00:02.0/") }
        tree.setIOMem("""
            fe000000-fe0fffff : PCI Bus 0000:00
              fe000000-fe000fff : 0000:00:01.0
              fe000800-fe001fff : \u{1b}]0;pwned\u{07}\u{9b}2J

            """)
        let report = HostAudit.run(try tree.host(), options: AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .yes))
        let text = report.text
        #expect(report.devices.first?.bars.first?.foreign.map(\.owner) == ["iomem \"\u{1b}]0;pwned\u{07}\u{9b}2J\""])
        #expect(text.contains("iomem \"\\x1b]0;pwned\\x07\\u{9b}2J\""), "\(text)")
        #expect(!text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7f...0x9f).contains($0.value) })
    }

    @Test func controlCharactersAreEscaped() {
        #expect("a\u{1b}[2Jb".escapingControlCharacters == "a\\x1b[2Jb")
        #expect("\u{7f}\u{85}\u{9b}".escapingControlCharacters == "\\x7f\\u{85}\\u{9b}")
        #expect("back\\slash\ttab\n".escapingControlCharacters == "back\\\\slash\\x09tab\\x0a")
        #expect("plain ünïcode 0000:00:01.0".escapingControlCharacters == "plain ünïcode 0000:00:01.0")
    }

    @Test func badPageSizeInASnapshotIsBadInputNamingTheField() throws {
        var snapshot = try Snapshot.capture(from: HostAuditTests.msixTree(), pageSize: 4096, commandLine: "")
        snapshot.pageSize = 12345
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-snapshot-\(UUID().uuidString).json")
        try JSONEncoder().encode(snapshot).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try AuditCommandTests.run(["audit", file.path], timeout: .seconds(30))
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("\(file.path):"), "\(run.stderr)")
        #expect(run.stderr.contains(": field page_size: 0x3039 is not a page size"), "\(run.stderr)")
        // --page-size replaces the snapshot's, so the file is audited.
        let overridden = try AuditCommandTests.run(["audit", file.path, "--page-size", "4096", "--msi-isolated", "yes"],
                                                   timeout: .seconds(30))
        #expect(overridden.status == 0, "\(overridden.stderr)")
    }
}
