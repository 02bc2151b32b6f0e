import Audit
import Fixtures
import Foundation
import PCIModel
import Prover
import Reports
import TestSupport
import Testing
import VFIORules

/// The fixture writers: every hand-built counterexample is written, read back by the audit
/// importers (the sysfs tree and topology.json), replayed by the Concrete rules, audited by the
/// `barproof` binary, and its memory map rendered to PNG.
/// Time limit: the slowest test renders every fixture to PNG, or runs the binary a dozen times,
/// 2-3 s on a loaded 2-core machine.
@Suite(.timeLimit(.minutes(1)))
final class FixtureWriterTests {
    let scratch: URL

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-fixtures-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: scratch)
    }

    func write(_ cx: TopologyCounterexample, _ name: String) throws -> URL {
        let folder = scratch.appendingPathComponent(name)
        try FixtureWriter(spec: try SpecCopy(path: "Specs/mainline.yaml"), checkID: "page-exclusive-without-reservation").write(cx, to: folder)
        return folder
    }

    func text(_ folder: URL, _ path: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
    }

    // MARK: Round trip, every counterexample

    /// Set `BARPROOF_FIXTURE_OUT` to a directory to keep the fixtures for a look.
    @Test func everyCounterexampleRoundTrips() throws {
        let keep = ProcessInfo.processInfo.environment["BARPROOF_FIXTURE_OUT"].map { URL(fileURLWithPath: $0) }
        for (name, cx) in Counterexamples.all {
            let folder = try write(cx, name)
            #expect(FixtureRoundTrip.check(counterexample: cx, folder: folder) == [], "\(name)")
            if let keep {
                try FixtureWriter(spec: try SpecCopy(path: "Specs/mainline.yaml")).write(cx, to: keep.appendingPathComponent(name))
            }
        }
    }

    @Test func everyMemoryMapRendersToPNG() throws {
        for (name, cx) in Counterexamples.all {
            let folder = try write(cx, name)
            let svg = folder.appendingPathComponent(FixtureWriter.svgFile)
            let size = try FixtureRoundTrip.renderedPNGSize(ofSVG: svg)
            #expect(size.width == MemoryMapSVG.width, "\(name)")
            let declared = try text(folder, FixtureWriter.svgFile)
            #expect(declared.contains("height=\"\(size.height)\""), "\(name): PNG height \(size.height)")
            #expect(size.height > 150, "\(name)")
        }
    }

    @Test func outputIsDeterministic() throws {
        for (name, cx) in Counterexamples.all {
            let writer = FixtureWriter(spec: try SpecCopy(path: "Specs/mainline.yaml"))
            #expect(try writer.files(for: cx) == writer.files(for: cx), "\(name)")
        }
    }

    // MARK: What the files say

    @Test func subpageFixtureInTheKernelsFormats() throws {
        let folder = try write(Counterexamples.subpageWithoutReservation, "subpage")
        let a = "sys/bus/pci/devices/0000:00:01.0"
        let resource = try text(folder, "\(a)/resource").split(separator: "\n", omittingEmptySubsequences: false)
        #expect(resource.count == 14)  // 13 lines and the final newline
        #expect(resource[0] == "0x00000000e0000000 0x00000000e0000fff 0x0000000000040200")
        #expect(resource[1] == "0x0000000000000000 0x0000000000000000 0x0000000000000000")
        #expect(try text(folder, "\(a)/vendor") == "0x8086\n")
        #expect(try text(folder, "\(a)/device") == "0x10d3\n")
        #expect(try text(folder, "\(a)/class") == "0x020000\n")
        #expect(try text(folder, "proc/iomem") == """
            e0000000-efffffff : PCI Bus 0000:00
              e0000000-e0000fff : 0000:00:01.0
              e0001000-e0001fff : 0000:00:02.0

            """)
        let config = try ConfigSpace(bytes: [UInt8](Data(contentsOf: folder.appendingPathComponent("\(a)/config"))))
        #expect(config.bytes.count == 256)
        #expect(config.barRegisters.first?.address == 0xe000_0000)
        #expect(config.barRegisters.first?.kind == .mem32)
        #expect(config.classCode == 0x020000)
        #expect(config.msix == nil)

        let readme = try text(folder, FixtureWriter.readmeFile)
        #expect(readme.contains(Invariant.pageExclusive.statement), "\(readme)")
        #expect(readme.contains("`mainline.subpage-start-aligned`"), "\(readme)")
        #expect(readme.contains("0000:00:02.0 BAR 0"), "\(readme)")
        #expect(readme.contains("barproof audit --policy mainline --drop subpage-reservation --page-size 65536 --msi-isolated yes topology.json"), "\(readme)")
        #expect(readme.contains("barproof search mainline.yaml --check page-exclusive-without-reservation"), "\(readme)")
        #expect(readme.contains("page 0xe0000000-0xe000ffff"), "\(readme)")
        // The page map: 1 KiB cells, the 4 KiB BAR in the first 4, the foreign one in the next 4.
        #expect(readme.contains("""
            page 0x00000000e0000000 is shared with:
              |####AAAA........................................................|  (1 KiB a cell; # this BAR)
              A 0x00000000e0001000-0x00000000e0001fff 0000:00:02.0 BAR 0 (foreign)
            """), "\(readme)")
        #expect(try text(folder, "mainline.yaml") == (try String(contentsOfFile: "Specs/mainline.yaml", encoding: .utf8)))

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(FixtureWriter.topologyFile))) as? [String: Any]
        #expect(json?["schema"] as? String == "barproof-topology")
        #expect(json?["schema_version"] as? Int == 2)
        let counterexample = json?["counterexample"] as? [String: Any]
        #expect(counterexample?["request_length"] as? String == "0x10000")
        #expect((counterexample?["topology"] as? [String: Any])?["page_size"] as? String == "0x10000")
        #expect((json?["reproduce"] as? [String: Any])?["audit_whole_bar"] as? Bool == true)
        let snapshot = json?["snapshot"] as? [String: Any]
        #expect(snapshot?["schema"] as? String == "barproof-snapshot")
        #expect(snapshot?["page_size"] as? String == "0x10000")

        let svg = try text(folder, FixtureWriter.svgFile)
        #expect(svg.contains("page-exclusive violated: mainline - subpage-reservation, 64 KiB pages"), "\(svg)")
        #expect(svg.contains("url(#foreign)"), "\(svg)")
        #expect(svg.contains("0000:00:02.0 BAR 0 mem32 4 KiB (foreign)"), "\(svg)")
        // The host window starts at the exposed page, so no empty page before it: the axis starts
        // there. Both 4 KiB BARs on the 64 KiB page are wide enough to carry their labels.
        let firstLabel = svg.range(of: ##"font-size="10" fill="#555555">0x[0-9a-f]+<"##, options: .regularExpression).map { svg[$0] }
        #expect(firstLabel?.contains(">0xe0000000<") == true, "\(svg)")
        let barBoxes = svg.split(separator: "\n").filter { $0.hasPrefix("<rect") && $0.contains(##"height="24" fill="#"##) && !$0.contains("#eeeeee") && !$0.contains("#ffffff") }
        #expect(barBoxes.count == 2, "\(barBoxes)")
        for box in barBoxes {
            let width = box.range(of: #"width="[0-9.]+""#, options: .regularExpression).map { Double(box[$0].dropFirst(7).dropLast()) ?? 0 } ?? 0
            #expect(width >= MemoryMapSVG.minimumBoxWidth, "\(box)")
        }
        #expect(svg.components(separatedBy: ">BAR 0</text>").count - 1 == 2, "\(svg)")
    }

    @Test func bridgeAnd64BitBARs() throws {
        let folder = try write(Counterexamples.prefetchable64BehindBridge, "bridge")
        let bridge = try text(folder, "sys/bus/pci/devices/0000:00:03.0/resource").split(separator: "\n")
        #expect(bridge.count == 17)
        #expect(bridge[15] == "0x0000004000000000 0x00000040000fffff 0x0000000000102201")
        let b = try text(folder, "sys/bus/pci/devices/0000:01:00.1/resource").split(separator: "\n")
        #expect(b[2] == "0x000000400000c000 0x000000400000dfff 0x000000000014220c")
        #expect(b[3] == "0x0000000000000000 0x0000000000000000 0x0000000000000000")
        #expect(try text(folder, "proc/iomem") == """
            4000000000-7fffffffff : PCI Bus 0000:00
              4000000000-40000fffff : PCI Bus 0000:01
                4000000000-4000003fff : 0000:01:00.0
                400000c000-400000dfff : 0000:01:00.1

            """)
        let bridgeConfig = try ConfigSpace(bytes: [UInt8](Data(contentsOf: folder.appendingPathComponent("sys/bus/pci/devices/0000:00:03.0/config"))))
        #expect(bridgeConfig.headerType.layout == .bridge)
        #expect(bridgeConfig.bridgeWindows?.prefetchable == 0x40_0000_0000...0x40_000f_ffff)
        #expect(bridgeConfig.bridgeWindows?.prefetchable64Bit == true)
        #expect(bridgeConfig.bridgeWindows?.memory == nil)
        #expect(bridgeConfig.bridgeWindows?.secondaryBus == 1)
        let config = try ConfigSpace(bytes: [UInt8](Data(contentsOf: folder.appendingPathComponent("sys/bus/pci/devices/0000:01:00.1/config"))))
        #expect(config.barRegisters[2].kind == .mem64)
        #expect(config.barRegisters[2].prefetchable)
        #expect(config.barRegisters[2].address == 0x40_0000_c000)
        #expect(config.barRegisters[3].isUpperHalf)
        #expect(config.headerType.isMultiFunction)
    }

    @Test func nestedBridges() throws {
        let folder = try write(Counterexamples.nestedBridges, "switch")
        #expect(try text(folder, "proc/iomem") == """
            a0000000-afffffff : PCI Bus 0000:00
              a0000000-a00fffff : 0000:00:02.0
              a0100000-a02fffff : PCI Bus 0000:01
                a0200000-a02fffff : PCI Bus 0000:02
                  a0200000-a0200fff : 0000:02:00.0
                  a0202000-a0203fff : 0000:02:01.0

            """)
        let rootPort = try ConfigSpace(bytes: [UInt8](Data(contentsOf: folder.appendingPathComponent("sys/bus/pci/devices/0000:00:1c.0/config"))))
        #expect(rootPort.bridgeWindows?.memory == 0xa010_0000...0xa02f_ffff)
        #expect([rootPort.bridgeWindows?.primaryBus, rootPort.bridgeWindows?.secondaryBus, rootPort.bridgeWindows?.subordinateBus] == [0, 1, 2])
        #expect(try text(folder, "sys/bus/pci/devices/0000:00:1c.0/resource").split(separator: "\n")[14] == "0x00000000a0100000 0x00000000a02fffff 0x0000000000000200")
        let readme = try text(folder, FixtureWriter.readmeFile)
        #expect(readme.contains("backend spapr"), "\(readme)")
        #expect(readme.contains("is a different question"), "\(readme)")
        #expect(readme.contains("barproof audit --policy rfc-v4 --drop subpage-reservation --page-size 16384"), "\(readme)")
    }

    @Test func msixCapabilityInTheList() throws {
        let folder = try write(Counterexamples.msixUnfiltered, "msix")
        let config = try ConfigSpace(bytes: [UInt8](Data(contentsOf: folder.appendingPathComponent("sys/bus/pci/devices/0000:00:04.0/config"))))
        #expect(config.status & 0x10 == 0x10)
        #expect(config.capabilities.map(\.id) == [0x11])
        #expect(config.msix?.tableBIR == 0)
        #expect(config.msix?.tableOffset == 0x2000)
        #expect(config.msix?.entries == 4)
        #expect(config.msix?.pbaOffset == 0x3000)
        #expect(config.barRegisters[2].kind == .io)
        #expect(config.barRegisters[2].address == 0xc000)
        let resource = try text(folder, "sys/bus/pci/devices/0000:00:04.0/resource").split(separator: "\n")
        #expect(resource[2] == "0x000000000000c000 0x000000000000c01f 0x0000000000040101")
        let readme = try text(folder, FixtureWriter.readmeFile)
        #expect(readme.contains("--msi-isolated no --allow-unsafe-interrupts topology.json"), "\(readme)")
        #expect(readme.contains("Both audits exit 1"), "\(readme)")

        let partial = try write(Counterexamples.msixTablePageOnly, "msix-partial")
        #expect(try text(partial, FixtureWriter.readmeFile).contains("is a different question"))
    }

    @Test func unalignedFixedBARsAreEnhancedAllocationEntries() throws {
        let folder = try write(Counterexamples.fixedUnaligned, "ea")
        let a = "sys/bus/pci/devices/0000:00:05.0"
        let resource = try text(folder, "\(a)/resource").split(separator: "\n")
        #expect(resource[0] == "0x00000000c0000800 0x00000000c00027ff 0x0000000000000230")
        let config = try ConfigSpace(bytes: [UInt8](Data(contentsOf: folder.appendingPathComponent("\(a)/config"))))
        #expect(config.barRegisters[0].rawValue == 0, "an EA BAR's register is hard-wired to zero")
        #expect(config.capabilities.map(\.id) == [0x14])
        let entry = try #require(config.enhancedAllocation.first)
        #expect(entry.bei == 0)
        #expect(entry.resource?.start == 0xc000_0800)
        #expect(entry.resource?.end == 0xc000_27ff)
        #expect(config.warnings == [])

        let huge = try write(Counterexamples.fixedUnalignedHuge, "ea64")
        #expect(try text(huge, "sys/bus/pci/devices/0000:00:07.0/resource").split(separator: "\n")[0] == "0x0000004000000800 0x00000044000007ff 0x0000000000102230")
        let wide = try ConfigSpace(bytes: [UInt8](Data(contentsOf: huge.appendingPathComponent("sys/bus/pci/devices/0000:00:07.0/config"))))
        #expect(wide.enhancedAllocation.first?.resource?.start == 0x40_0000_0800)
        #expect(wide.enhancedAllocation.first?.resource?.end == 0x44_0000_07ff)
        #expect(wide.enhancedAllocation.first?.resource?.is64Bit == true)

        // A naturally aligned fixed BAR stays a BAR register, marked IORESOURCE_PCI_FIXED.
        var aligned = Counterexamples.subpageWithoutReservation
        aligned.topology.functions[0].bars[0].fixed = true
        let plain = try write(aligned, "fixed-aligned")
        #expect(try text(plain, "sys/bus/pci/devices/0000:00:01.0/resource").split(separator: "\n")[0] == "0x00000000e0000000 0x00000000e0000fff 0x0000000000040210")
        #expect(FixtureRoundTrip.check(counterexample: aligned, folder: plain) == [])
    }

    // MARK: The check has teeth

    @Test func roundTripReportsATamperedTree() throws {
        let cx = Counterexamples.subpageWithoutReservation
        let folder = try write(cx, "tampered")
        // Move the foreign BAR to the next page: the tree no longer matches topology.json, and the
        // mmap no longer exposes it.
        let path = folder.appendingPathComponent("sys/bus/pci/devices/0000:00:02.0/resource")
        let moved = try String(contentsOf: path, encoding: .utf8)
            .replacingOccurrences(of: "0x00000000e0001000 0x00000000e0001fff", with: "0x00000000e0010000 0x00000000e0010fff")
        try moved.write(to: path, atomically: true, encoding: .utf8)
        let problems = FixtureRoundTrip.check(counterexample: cx, folder: folder)
        #expect(problems.contains { $0.hasPrefix("the sysfs tree and the snapshot") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("sysfs tree: the mmap does not expose 0000:00:02.0 BAR 0") }, "\(problems)")
        #expect(!(problems.contains { $0.hasPrefix("\(FixtureWriter.topologyFile): the mmap") }), "\(problems)")
    }

    @Test func roundTripReportsAnotherCounterexample() throws {
        let folder = try write(Counterexamples.msixUnfiltered, "other")
        var isolated = Counterexamples.msixUnfiltered
        isolated.platform.msiIsolated = true
        let problems = FixtureRoundTrip.check(counterexample: isolated, folder: folder)
        #expect(problems.contains { $0.contains("differs from the one written") }, "\(problems)")
        #expect(problems.contains { $0.contains("does not violate msix-needs-filtering") }, "\(problems)")
    }

    // MARK: Nothing half-written

    @Test func invalidTopologyWritesNothing() throws {
        var cx = Counterexamples.subpageWithoutReservation
        cx.topology.functions[1].bars[0].start = 0xe000_0000  // overlaps the target
        let folder = scratch.appendingPathComponent("invalid")
        let error = #expect(throws: (any Error).self) { try FixtureWriter().write(cx, to: folder) }
        if let error {
            #expect("\(error)".contains("overlaps"), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == [])
    }

    @Test func rewriteReplacesTheFolder() throws {
        let folder = try write(Counterexamples.msixUnfiltered, "same")
        try Data("stale".utf8).write(to: folder.appendingPathComponent("stale.txt"))
        _ = try write(Counterexamples.subpageWithoutReservation, "same")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("stale.txt").path))
        #expect(FixtureRoundTrip.check(counterexample: Counterexamples.subpageWithoutReservation, folder: folder) == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["same"])
    }

    // MARK: The barproof binary reads both forms

    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["BARPROOF_BINARY"] { return URL(fileURLWithPath: path) }
        return Bundle.main.bundleURL.appendingPathComponent("barproof")
    }

    /// Runs `barproof arguments` in `directory` through the shared runner; a run past the deadline
    /// is killed and recorded as a failure naming the command line.
    func runBarproof(_ arguments: [String], in directory: URL, timeout: Duration = .seconds(60),
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> (status: Int32, stdout: String, stderr: String) {
        let run = try ProgramRun.run(program: Self.executable, arguments: arguments, in: directory, timeout: timeout)
        if run.timedOut { Issue.record(Comment(rawValue: run.timeoutMessage), sourceLocation: sourceLocation) }
        return (run.status, run.stdout, run.stderr)
    }

    @Test func reproduceCommandsFlagTheTargetBAR() throws {
        for (name, cx) in Counterexamples.all where cx.mapsWholeBAR && cx.platform.backend == .type1 {
            let folder = try write(cx, name)
            let document = try JSONDecoder().decode(TopologyDocument.self, from: Data(contentsOf: folder.appendingPathComponent(FixtureWriter.topologyFile)))
            #expect(document.reproduce.auditWholeBAR, "\(name)")
            let words = document.reproduce.audit.split(separator: " ").map(String.init)
            #expect(words.first == "barproof")
            for arguments in [Array(words.dropFirst()), Array(words.dropFirst().dropLast()) + ["--sysfs", "."]] {
                let run = try runBarproof(arguments + ["--format", "json"], in: folder)
                #expect(run.status == 1, "\(name) \(arguments): \(run.stderr)")
                let report = try JSONDecoder().decode(AuditReport.self, from: Data(run.stdout.utf8))
                let bar = report.devices.first { $0.address == cx.target.function.description }?.bars.first { $0.index == cx.target.index }
                #expect(bar?.violations.contains(cx.invariant.rawValue) == true, "\(name) \(arguments)")
                #expect(report.pageSize == cx.platform.pageSize)
                #expect(report.policy == cx.policy)
            }
        }
    }

    @Test func auditDefaultsToTheTopologysPageSize() throws {
        let folder = try write(Counterexamples.subpageWithoutReservation, "default-page")
        let run = try runBarproof(["audit", "--policy", "mainline", "--drop", "subpage-reservation", "--msi-isolated", "yes",
                                   "--format", "json", FixtureWriter.topologyFile], in: folder)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(try JSONDecoder().decode(AuditReport.self, from: Data(run.stdout.utf8)).pageSize == 65536)
        // With the clause back, mainline refuses the sub-page BAR: nothing is violated.
        let full = try runBarproof(["audit", "--msi-isolated", "yes", FixtureWriter.topologyFile], in: folder)
        #expect(full.status == 0, "\(full.stdout + full.stderr)")
        #expect(full.stdout.contains("mainline.subpage-reservation"), "\(full.stdout)")
    }
}
