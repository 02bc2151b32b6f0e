import Audit
import Foundation
import PCIModel
import Testing

/// `barproof snapshot` zeroes what identifies the hardware unit (Device Serial Numbers, VPD data,
/// vendor-specific capability data) with a walk that does not need the image to parse, zeroes a
/// capability space it cannot walk, and writes nothing it would not audit, nor anything read
/// through a link out of the root.
@Suite(.timeLimit(.minutes(2)))
struct SnapshotScrubTests {
    static let config = "sys/bus/pci/devices/0000:00:03.0/config"

    /// Where the identifying bytes of ``image()`` are, each filled with its own marker.
    static let vpdData = 0x54..<0x58
    static let vendorData = 0x63..<0x70
    static let serial = 0x104..<0x10c
    static let vsecData = 0x118..<0x128
    static let dvsecData = 0x13a..<0x144

    /// The MSI-X function of `HostAuditTests.msixTree()` as a 4096-byte image with, after MSI-X at
    /// 0x40, VPD (0x50) and a vendor-specific capability (0x60) in the standard list, and a Device
    /// Serial Number (0x100), a VSEC (0x110) and a DVSEC (0x130) in the extended list.
    static func image() throws -> [UInt8] {
        var b = try #require(HostAuditTests.msixTree().files[config]) + Array(repeating: 0, count: 4096 - 256)
        func set32(_ offset: Int, _ value: UInt32) { for i in 0..<4 { b[offset + i] = UInt8((value >> (8 * UInt32(i))) & 0xff) } }
        b[0x41] = 0x50
        b[0x50] = 0x03; b[0x51] = 0x60; b[0x52] = 0x00; b[0x53] = 0x80  // VPD, address register with F set
        b[0x60] = 0x09; b[0x61] = 0x00; b[0x62] = 0x10  // vendor-specific, 16 bytes, last
        set32(0x100, 0x0003 | 1 << 16 | 0x110 << 20)  // DSN, next 0x110
        set32(0x110, 0x000b | 1 << 16 | 0x130 << 20)  // VSEC, next 0x130
        set32(0x114, 0x1234 | 1 << 16 | 0x18 << 20)  // VSEC ID 0x1234, length 0x18
        set32(0x130, 0x0023 | 1 << 16)  // DVSEC, last
        set32(0x134, 0x8086 | 1 << 16 | 0x14 << 20)  // vendor 0x8086, length 0x14
        b[0x138] = 0x07  // DVSEC ID 7
        for (range, marker) in [(vpdData, 0xa0), (vendorData, 0xb0), (serial, 0xc0), (vsecData, 0xd0), (dvsecData, 0xe0)] {
            for (k, i) in range.enumerated() { b[i] = UInt8(marker + k % 16) }
        }
        return b
    }

    static func isZero(_ bytes: [UInt8], _ range: Range<Int>) -> Bool { bytes[range].allSatisfy { $0 == 0 } }

    /// Runs `barproof snapshot --root` on the MSI-X tree with `image` as its config, then `check`s
    /// the run and the output path.
    static func snapshot(_ image: [UInt8], edit: (URL) throws -> Void = { _ in },
                         _ check: (AuditCommandTests.Run, URL) throws -> Void) throws {
        var tree = HostAuditTests.msixTree()
        tree.files[config] = image
        let root = try tree.write()
        defer { try? FileManager.default.removeItem(at: root) }
        try edit(root)
        let output = root.appendingPathComponent("snapshot.json")
        let run = try AuditCommandTests.run(["snapshot", "--root", root.path, "--output", output.path], timeout: .seconds(30))
        try check(run, output)
    }

    static func capturedConfig(_ output: URL) throws -> [UInt8] {
        let snapshot = try JSONDecoder().decode(Snapshot.self, from: Data(contentsOf: output))
        return try #require(try snapshot.contents(of: config))
    }

    @Test func wellFormedImageParsesTheSameAfterTheScrub() throws {
        let image = try Self.image()
        let original = try ConfigSpace(bytes: image)
        let scrubbed = ConfigSpace.scrubbedForSnapshot(image)
        #expect(scrubbed.notes.isEmpty)
        let parsed = try ConfigSpace(bytes: scrubbed.bytes)
        #expect(parsed.msix == original.msix)
        #expect(parsed.capabilities == original.capabilities)
        #expect(parsed.extendedCapabilities == original.extendedCapabilities)
        // Headers are kept: 0x50-0x53, 0x60-0x62, 0x100-0x103, 0x110-0x117, 0x130-0x139.
        for header in [0x50..<0x54, 0x60..<0x63, 0x100..<0x104, 0x110..<0x118, 0x130..<0x13a] {
            #expect(scrubbed.bytes[header] == image[header])
        }
    }

    @Test func vpdDataIsZeroed() throws {
        try Self.snapshot(try Self.image()) { run, output in
            #expect(run.status == 0, "\(run.stderr)")
            let captured = try Self.capturedConfig(output)
            #expect(Self.isZero(captured, Self.vpdData), "VPD data register \(captured[Self.vpdData])")
            #expect(Self.isZero(captured, Self.vendorData))
            #expect(Self.isZero(captured, Self.serial))
        }
    }

    @Test func vsecAndDVSECDataAreZeroed() throws {
        try Self.snapshot(try Self.image()) { run, output in
            #expect(run.status == 0, "\(run.stderr)")
            let captured = try Self.capturedConfig(output)
            #expect(Self.isZero(captured, Self.vsecData))
            #expect(Self.isZero(captured, Self.dvsecData))
            #expect(captured[0x138] == 0x07, "the DVSEC ID is header, and kept")
        }
    }

    @Test func serialBehindACapabilityLoopIsZeroedAndNothingIsWritten() throws {
        var image = try Self.image()
        image[0x61] = 0x40  // the vendor capability points back to MSI-X: a loop
        let scrubbed = ConfigSpace.scrubbedForSnapshot(image)
        #expect(Self.isZero(scrubbed.bytes, Self.serial))
        #expect(Self.isZero(scrubbed.bytes, Self.vpdData))
        #expect(Self.isZero(scrubbed.bytes, 0x40..<4096))
        #expect(scrubbed.notes.first?.contains("capability list cannot be walked") == true, "\(scrubbed.notes)")
        // The image does not parse, so the audit would reject it: so does the snapshot.
        try Self.snapshot(image) { run, output in
            #expect(run.status == 65, "\(run.stderr)")
            #expect(run.stderr.contains("\(Self.config): config space"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output.path))
            #expect(!run.stdout.contains("c0c1c2c3"))
        }
    }

    @Test func serialOfAnImageWithMSIXBIR7IsZeroedAndNothingIsWritten() throws {
        var image = try Self.image()
        image[0x44] |= 0x7  // MSI-X table BIR 7: reserved, so the strict parse fails
        #expect(throws: ParseError.self) { try ConfigSpace(bytes: image) }
        let scrubbed = ConfigSpace.scrubbedForSnapshot(image)
        #expect(Self.isZero(scrubbed.bytes, Self.serial))
        #expect(Self.isZero(scrubbed.bytes, Self.vsecData))
        try Self.snapshot(image) { run, output in
            #expect(run.status == 65, "\(run.stderr)")
            #expect(run.stderr.contains("BIR 7"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
    }

    @Test func extendedListLoopZeroesExtendedSpaceWithANote() throws {
        var image = try Self.image()
        image[0x132] = 0x00; image[0x133] = 0x10  // the DVSEC's next pointer: 0x100, a loop
        let scrubbed = ConfigSpace.scrubbedForSnapshot(image)
        #expect(Self.isZero(scrubbed.bytes, 0x100..<4096))
        #expect(scrubbed.bytes[0..<0x100] == ArraySlice(ConfigSpace.scrubbedForSnapshot(try Self.image()).bytes[0..<0x100]))
        #expect(scrubbed.notes == ["the extended capability list cannot be walked (the next pointer at 0x132 loops back to 0x100), "
                                   + "so extended config space (bytes 0x100-0xfff) is zeroed, serial numbers and vendor data with it"])
        try Self.snapshot(image) { run, output in
            #expect(run.status == 65, "\(run.stderr)")
            #expect(run.stderr.contains("extended capability list loops"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
    }

    @Test func secretBehindALinkIsNotCopiedIntoTheSnapshot() throws {
        // A 0600 file beside the root, and `resource` a link to it: refused, nothing written.
        let secret = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-secret-\(UUID().uuidString)")
        try Data("hunter2-private-key\n".utf8).write(to: secret)
        defer { try? FileManager.default.removeItem(at: secret) }
        #expect(chmod(secret.path, 0o600) == 0)
        for target in [secret.path, "../../../../../../\(secret.lastPathComponent)"] {
            try Self.snapshot(try Self.image(), edit: { root in
                try TreeReadingTests.link(root, "sys/bus/pci/devices/0000:00:03.0/resource", to: target)
            }) { run, output in
                #expect(run.status == 65, "\(target): \(run.stderr)")
                #expect(run.stderr.contains("sys/bus/pci/devices/0000:00:03.0/resource"), "\(run.stderr)")
                #expect(!run.stdout.contains("hunter2") && !run.stderr.contains("hunter2"))
                #expect(!FileManager.default.fileExists(atPath: output.path))
            }
        }
    }

    @Test func resourceThatWouldNotAuditIsAnErrorAtSnapshotTime() throws {
        try Self.snapshot(try Self.image(), edit: { root in
            try Data("not a resource file\n".utf8).write(to: root.appendingPathComponent("sys/bus/pci/devices/0000:00:03.0/resource"))
        }) { run, output in
            #expect(run.status == 65, "\(run.stderr)")
            #expect(run.stderr.contains("sys/bus/pci/devices/0000:00:03.0/resource: sysfs resource file, line 1"), "\(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output.path))
        }
    }
}
