import Audit
import Fixtures
import Foundation
import PCIModel
import Reports
import TestSupport
import Testing

/// `machine.umockdev` loaded by umockdev itself: one `umockdev-run` process presents the
/// bridge fixture (a PCI-PCI bridge, two functions behind it) as a fake `/sys`; a shell script
/// reads every device back through it, then runs the fixture README's umockdev audit (the
/// fixture's `proc/iomem` put in the testbed, as umockdev mocks `/proc` files only when the
/// testbed has them; `barproof audit --sysfs /`). That audit reads the real host's
/// `proc/cmdline` and kernel release, which do not change this verdict.
/// (`FixtureRoundTrip` checks every counterexample's record against its tree without umockdev,
/// the nested bridges too.)
/// Time limit: umockdev-run starts in well under a second, the audit in about as much.
@Suite(.timeLimit(.minutes(2)))
final class UmockdevTests {
    let scratch: URL

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-umockdev-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// `umockdev-run` on PATH, nil when not installed.
    static var umockdevRun: URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":").map(String.init) {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent("umockdev-run")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Prints, for every device under the fake /sys/bus/pci/devices: its bus link, the link's
    /// resolution, its `subsystem` link, whether `subsystem/devices/<bdf>` leads back to it, and
    /// every regular file in its directory as hex (`od`), so text and binary compare the same way.
    static let readBack = #"""
        for d in /sys/bus/pci/devices/*; do
          n=${d##*/}
          echo "device $n"
          echo "link $n $(readlink "$d")"
          echo "resolved $n $(readlink -f "$d")"
          echo "subsystem $n $(readlink "$d/subsystem")"
          [ -f "$d/subsystem/devices/$n/config" ] && echo "back $n"
          for f in "$d"/*; do
            [ -f "$f" ] && [ ! -L "$f" ] || continue
            echo "attr $n ${f##*/} $(od -An -v -tx1 "$f" | tr -d ' \n')"
          done
        done
        echo end
        """#

    @Test func umockdevRunPresentsTheFixtureAsSysfs() throws {
        guard let umockdevRun = Self.umockdevRun else {
            Issue.record("umockdev-run is not installed (Debian package umockdev): run scripts/ensure-deps.sh")
            return
        }
        let cx = Counterexamples.prefetchable64BehindBridge
        let folder = scratch.appendingPathComponent("bridge")
        try FixtureWriter().write(cx, to: folder)
        // The README's umockdev audit, its `sh -c` script after the read-back, with JSON output.
        let readme = try String(contentsOf: folder.appendingPathComponent(FixtureWriter.readmeFile), encoding: .utf8)
        let prefix = "umockdev-run --device \(FixtureWriter.umockdevFile) -- sh -c '"
        let line = readme.split(separator: "\n").first { $0.hasPrefix(prefix) && $0.contains("barproof audit") }.map(String.init) ?? ""
        #expect(line.hasSuffix(" --sysfs /'"), "\(readme)")
        let audit = String(line.dropFirst(prefix.count).dropLast())
        #expect(audit.hasPrefix("mkdir -p \"$UMOCKDEV_DIR/proc\" && cp proc/iomem \"$UMOCKDEV_DIR/proc/iomem\" && exec barproof audit"), "\(audit)")
        let arguments = ["--device", FixtureWriter.umockdevFile, "--", "/bin/sh", "-c", Self.readBack + "\n" + audit + " --format json"]
        let path = FixtureWriterTests.executable.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")
        let run = try ProgramRun.run(program: umockdevRun, arguments: arguments, in: folder, environment: ["PATH": path],
                                     timeout: .seconds(60))
        #expect(!run.timedOut, "\(run.timeoutMessage)")
        // The audit exits 1: the target BAR is flagged.
        #expect(run.status == 1, "\(run)")
        let parts = run.stdout.components(separatedBy: "\nend\n")
        #expect(parts.count == 2, "\(run)")
        let lines = parts[0].split(separator: "\n").map { $0.split(separator: " ", maxSplits: 3).map(String.init) }
        let report = try JSONDecoder().decode(AuditReport.self, from: Data((parts.last ?? "").utf8))
        let bar = report.devices.first { $0.address == cx.target.function.description }?.bars.first { $0.index == cx.target.index }
        #expect(bar?.violations.contains(cx.invariant.rawValue) == true, "\(parts.last ?? "")")
        #expect(Set(report.devices.map(\.address)) == ["0000:00:03.0", "0000:01:00.0", "0000:01:00.1"])

        // The kernel's layout: bridges hold their children; the links go up to /sys and back down.
        let expectedPaths = [
            "0000:00:03.0": "devices/pci0000:00/0000:00:03.0",
            "0000:01:00.0": "devices/pci0000:00/0000:00:03.0/0000:01:00.0",
            "0000:01:00.1": "devices/pci0000:00/0000:00:03.0/0000:01:00.1",
        ]
        let seen = lines.filter { $0.first == "device" }.map { $0[1] }
        #expect(seen == expectedPaths.keys.sorted(), "\(run.stdout)")
        for (name, path) in expectedPaths {
            #expect(lines.contains(["link", name, "../../../" + path]), "\(name): \(run.stdout)")
            #expect(lines.contains(["resolved", name, "/sys/" + path]), "\(name): \(run.stdout)")
            let depth = path.split(separator: "/").count  // /sys/<path>/subsystem -> ../ per level below /sys
            #expect(lines.contains(["subsystem", name, String(repeating: "../", count: depth) + "bus/pci"]), "\(name): \(run.stdout)")
            #expect(lines.contains(["back", name]), "\(name): \(run.stdout)")
        }

        // Every attribute file of the fixture's tree, read back through the fake /sys, byte for byte.
        var readBack: [String: [String: String]] = [:]
        for line in lines where line.first == "attr" {
            readBack[line[1], default: [:]][line[2]] = line.count > 3 ? line[3] : ""
        }
        let devices = folder.appendingPathComponent("sys/bus/pci/devices")
        let names = try FileManager.default.contentsOfDirectory(atPath: devices.path).sorted()
        #expect(names == expectedPaths.keys.sorted())
        for name in names {
            let directory = devices.appendingPathComponent(name)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            #expect(Set(files).isSuperset(of: ["class", "config", "device", "irq", "resource", "revision",
                                                "subsystem_device", "subsystem_vendor", "vendor"]), "\(name): \(files)")
            // umockdev adds `uevent` (the E: properties), as the kernel has it.
            #expect(readBack[name].map { Set($0.keys) } == Set(files + ["uevent"]), "\(name): \(readBack[name] ?? [:])")
            for file in files {
                let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(file)))
                let hex = bytes.map { String(format: "%02x", $0) }.joined()
                #expect(readBack[name]?[file] == hex, "\(name)/\(file)")
            }
            let uevent = readBack[name]?["uevent"].map { hexText in
                String(decoding: stride(from: 0, to: hexText.count, by: 2).compactMap { i -> UInt8? in
                    let start = hexText.index(hexText.startIndex, offsetBy: i)
                    return UInt8(hexText[start..<hexText.index(start, offsetBy: 2)], radix: 16)
                }, as: UTF8.self)
            } ?? ""
            #expect(uevent.contains("PCI_SLOT_NAME=\(name)\n") && uevent.contains("SUBSYSTEM=pci\n"), "\(name): \(uevent)")
            if name == "0000:01:00.0" {
                #expect(uevent.contains("PCI_ID=15B3:101B\n") && uevent.contains("PCI_CLASS=20000\n"), "\(uevent)")
            }
        }
        #expect(try String(contentsOf: devices.appendingPathComponent("0000:01:00.0/resource"), encoding: .utf8)
            .split(separator: "\n").count == 13)
    }
}
