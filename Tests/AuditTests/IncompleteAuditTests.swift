import Audit
import Foundation
import PCIModel
import Testing
import VFIORules

/// Runs the built `barproof` with a deadline: a run that outlives it is killed (SIGKILL) and the
/// test fails naming the command.
struct DeadlineRun {
    var status: Int32
    var stdout: String
    var stderr: String

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func run(_ arguments: [String], program: URL? = nil, timeout seconds: Double = 120) throws -> DeadlineRun {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = program ?? AuditCommandTests.executable
        process.arguments = arguments
        process.currentDirectoryURL = repository
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        if done.wait(timeout: .now() + seconds) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            done.wait()
            Issue.record("killed after \(Int(seconds)) s: \(process.executableURL?.lastPathComponent ?? "?") \(arguments.joined(separator: " "))")
        }
        try outHandle.close()
        try errHandle.close()
        return DeadlineRun(status: process.terminationStatus,
                           stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                           stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}

extension SysfsTree {
    /// The tree as a user without `CAP_SYS_ADMIN` reads it: every `config` cut to its 64-byte header.
    func truncatingConfigs() -> SysfsTree {
        var tree = self
        for (path, bytes) in files where path.hasSuffix("/config") { tree.files[path] = Array(bytes.prefix(64)) }
        return tree
    }

    /// The tree with `proc/iomem` printed as without `CAP_SYS_ADMIN`: every range `00000000-00000000`.
    func hidingIOMemAddresses() -> SysfsTree {
        var tree = self
        let text = String(decoding: files["proc/iomem"] ?? [], as: UTF8.self)
        let hidden = text.split(separator: "\n", omittingEmptySubsequences: true).map { line -> String in
            let indent = line.prefix { $0 == " " }
            let name = line.components(separatedBy: " : ").dropFirst().joined(separator: " : ")
            return "\(indent)00000000-00000000 : \(name)"
        }
        tree.setIOMem(hidden.joined(separator: "\n") + "\n")
        return tree
    }
}

/// A ``SysfsFiles`` that refuses to read some paths, as the file system does for a user without
/// permission (`EACCES`): ``UnreadableFile``.
struct GuardedTree: SysfsFiles {
    var tree: SysfsTree
    var unreadable: Set<String>

    func contents(of path: String) throws -> [UInt8]? {
        if unreadable.contains(path) { throw UnreadableFile(path: path) }
        return try tree.contents(of: path)
    }
    func linkTarget(of path: String) -> String? { tree.linkTarget(of: path) }
    func entries(of path: String) throws -> [String]? { try tree.entries(of: path) }
}

/// Input that could not be read (64-byte config images, hidden iomem addresses, unreadable files)
/// makes the verdicts it decides `unknown` and the audit incomplete (exit 2), never a silent pass;
/// what it does not decide stays decided.
@Suite(.serialized, .timeLimit(.minutes(3))) struct IncompleteAuditTests {
    static let msixDevice = "0000:00:03.0"

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func bars(_ report: [String: Any], _ address: String) throws -> [[String: Any]] {
        let devices = try #require(report["devices"] as? [[String: Any]])
        let device = try #require(devices.first { $0["address"] as? String == address })
        return try #require(device["bars"] as? [[String: Any]])
    }

    func audit(_ tree: some SysfsFiles, policy: Policy = .mainline, page: PageSize = .kib4, msi: MSIIsolation,
               unsafe: Bool = false) throws -> AuditReport {
        HostAudit.run(try HostInventory.load(from: tree),
                      options: AuditOptions(policy: policy, pageSize: page, msiIsolation: msi, allowUnsafeInterrupts: unsafe))
    }

    func withTree<T>(_ tree: SysfsTree, _ body: (URL) throws -> T) throws -> T {
        let root = try tree.write()
        defer { try? FileManager.default.removeItem(at: root) }
        return try body(root)
    }

    // MARK: 64-byte config images

    @Test func truncatedConfigLeavesMSIXUnknownExit2() throws {
        let tree = HostAuditTests.msixTree().truncatingConfigs()
        try withTree(tree) { root in
            let args = ["audit", "--sysfs", root.path, "--page-size", "4096", "--msi-isolated", "no", "--allow-unsafe-interrupts"]
            let text = try DeadlineRun.run(args)
            #expect(text.status == 2, "\(text.stdout)\(text.stderr)")
            #expect(text.stdout.hasSuffix("no invariant violated on what could be read; 1 verdict unknown; "
                                          + "incomplete: run as root or audit a snapshot taken as root\n"), "\(text.stdout)")
            #expect(text.stdout.contains("UNKNOWN msix-needs-filtering"), "\(text.stdout)")
            #expect(text.stdout.contains("  BAR 0 unknown: msix-needs-filtering\n    because sys/bus/pci/devices/0000:00:03.0/config "
                                         + "has only the 64-byte header (read without CAP_SYS_ADMIN)"), "\(text.stdout)")

            let run = try DeadlineRun.run(args + ["--format", "json"])
            #expect(run.status == 2)
            let report = try json(run.stdout)
            #expect(report["status"] as? String == "incomplete")
            let bar = try #require(try bars(report, Self.msixDevice).first)
            #expect(bar["verdict"] as? String == "unknown")
            #expect(bar["msix_known"] as? Bool == false)
            let reasons = try #require(bar["unknown_reasons"] as? [String])
            #expect(reasons.count == 1 && reasons[0].contains("whether the function has MSI-X, and where its table is, is unknown"))
            let verdict = try #require((bar["verdicts"] as? [[String: Any]])?.first)
            #expect(verdict["unknown"] as? [String] == ["msix-needs-filtering"])
            #expect(verdict["violations"] as? [String] == [])
            #expect(verdict["mmappable"] as? Bool == true, "mainline reads no MSI-X to decide the mmap")

            let sarif = try DeadlineRun.run(args + ["--format", "sarif"])
            #expect(sarif.status == 2)
            let document = try json(sarif.stdout)
            let sarifRun = try #require((document["runs"] as? [[String: Any]])?.first)
            let results = try #require(sarifRun["results"] as? [[String: Any]])
            #expect(results.count == 1)
            #expect(results.first?["kind"] as? String == "open")
            #expect(results.first?["level"] as? String == "warning")
            let message = (results.first?["message"] as? [String: Any])?["text"] as? String ?? ""
            #expect(message.contains("64-byte header"), "\(message)")
            let properties = try #require(sarifRun["properties"] as? [String: Any])
            #expect(properties["status"] as? String == "incomplete")
            #expect(properties["unknown"] as? Int == 1)
            let invocation = try #require((sarifRun["invocations"] as? [[String: Any]])?.first)
            #expect(invocation["exitCode"] as? Int == 2)
            try validateSARIF(sarif.stdout)
        }
    }

    @Test func fullConfigDecidesAsBefore() throws {
        try withTree(HostAuditTests.msixTree()) { root in
            let unsafe = try DeadlineRun.run(["audit", "--sysfs", root.path, "--page-size", "4096", "--msi-isolated", "no",
                                              "--allow-unsafe-interrupts"])
            #expect(unsafe.status == 1, "\(unsafe.stdout)\(unsafe.stderr)")
            #expect(unsafe.stdout.hasSuffix("\n1 invariant violation\n"), "\(unsafe.stdout)")
            let isolated = try DeadlineRun.run(["audit", "--sysfs", root.path, "--page-size", "4096", "--msi-isolated", "yes"])
            #expect(isolated.status == 0, "\(isolated.stdout)\(isolated.stderr)")
            #expect(isolated.stdout.hasSuffix("\nno invariant violated\n"))
            // No verdict unknown (the host facts may say that a fact, such as the kernel release, is).
            #expect(!isolated.stdout.contains("UNKNOWN") && !isolated.stdout.contains(" unknown: ")
                    && !isolated.stdout.contains("incomplete"), "\(isolated.stdout)")
        }
    }

    @Test func allowIncompleteExitsOnTheDecidedVerdicts() throws {
        try withTree(HostAuditTests.msixTree().truncatingConfigs()) { root in
            let run = try DeadlineRun.run(["audit", "--sysfs", root.path, "--page-size", "4096", "--msi-isolated", "no",
                                           "--allow-unsafe-interrupts", "--allow-incomplete"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("note: incomplete: 1 verdict unknown; --allow-incomplete"), "\(run.stdout)")
            #expect(run.stdout.hasSuffix("no invariant violated on what could be read; 1 verdict unknown (--allow-incomplete)\n"))
            #expect(run.stdout.contains("UNKNOWN msix-needs-filtering"))
        }
        let help = try DeadlineRun.run(["audit", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--allow-incomplete"))
        #expect(help.stdout.contains("2 incomplete"))
    }

    /// MSI isolated: `msix-needs-filtering` cannot be violated whatever the table, so 64 bytes decide it.
    @Test func isolatedMSIsAreDecidedWithoutTheCapabilityList() throws {
        let report = try audit(HostAuditTests.msixTree().truncatingConfigs(), msi: .yes)
        let bar = try #require(report.devices.first?.bars.first)
        #expect(bar.verdict == "clean")
        #expect(bar.unknownReasons.isEmpty)
        #expect(!report.incomplete)
        #expect(report.exitCode == 0)
        // Unknown isolation: the isolated half is decided, the other half is refused by the attach
        // check without allow_unsafe_interrupts, so nothing is open either.
        #expect(try audit(HostAuditTests.msixTree().truncatingConfigs(), msi: .unknown).exitCode == 0)
        // With allow_unsafe_interrupts the "not isolated" half is open.
        let open = try audit(HostAuditTests.msixTree().truncatingConfigs(), msi: .unknown, unsafe: true)
        #expect(open.exitCode == 2)
        #expect(open.devices.first?.bars.first?.verdicts.map(\.unknown) == [[], ["msix-needs-filtering"]])
    }

    /// A BAR the policy refuses for a reason that does not read MSI-X is decided: legacy refuses a
    /// sub-page BAR (min-page-size) whatever the capability list holds.
    @Test func barRefusedIndependentlyIsDecided() throws {
        var tree = HostAuditTests.sharedPageTree()
        tree.addFunction("0000:00:03.0", bars: [.mem32(0xfe00_2000, size: 0x800)],
                         msix: .init(tableBIR: 0, tableOffset: 0, entries: 4, pbaBIR: 0, pbaOffset: 0x400))
        tree.setIOMem("""
            fe000000-fe0fffff : PCI Bus 0000:00
              fe000000-fe000fff : 0000:00:01.0
              fe001000-fe001fff : 0000:00:02.0
              fe002000-fe0027ff : 0000:00:03.0

            """)
        let report = try audit(tree.truncatingConfigs(), policy: .legacy, msi: .no, unsafe: true)
        let bar = try #require(report.devices.first { $0.address == "0000:00:03.0" }?.bars.first)
        #expect(bar.verdicts.first?.mmappable == false)
        #expect(bar.verdicts.first?.refusedBy.contains("legacy.min-page-size") == true)
        #expect(bar.verdict == "clean")
        #expect(report.exitCode == 0, "\(report.text)")
        // Legacy with a page-sized BAR: the table exclusion may refuse it, and only a table in this BAR
        // can be reached, which the exclusion refuses: decided not violated, though mmappable is open.
        let legacy = try audit(HostAuditTests.msixTree().truncatingConfigs(), policy: .legacy, msi: .no, unsafe: true)
        let whole = try #require(legacy.devices.first?.bars.first)
        #expect(whole.verdicts.first?.mmappable == nil)
        #expect(whole.verdicts.first?.unknownClauses == ["legacy.msix-table-excluded"])
        #expect(whole.verdict == "clean")
        #expect(legacy.exitCode == 0)
    }

    /// A violation on what could be read stays a violation: exit 1 wins over 2.
    @Test func violationOnWhatWasReadWinsOverIncomplete() throws {
        var tree = HostAuditTests.sharedPageTree()
        tree.addFunction("0000:00:03.0", bars: [.mem32(0xfe10_0000, size: 0x4000)],
                         msix: .init(tableBIR: 0, tableOffset: 0x2000, entries: 8, pbaBIR: 0, pbaOffset: 0x3000))
        tree.setIOMem("""
            fe000000-fe1fffff : PCI Bus 0000:00
              fe000000-fe000fff : 0000:00:01.0
              fe001000-fe001fff : 0000:00:02.0
              fe100000-fe103fff : 0000:00:03.0

            """)
        try withTree(tree.truncatingConfigs()) { root in
            let run = try DeadlineRun.run(["audit", "--sysfs", root.path, "--page-size", "65536", "--msi-isolated", "no",
                                           "--allow-unsafe-interrupts", "--drop", "subpage-reservation"])
            #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("VIOLATES page-exclusive"), "\(run.stdout)")
            #expect(run.stdout.hasSuffix("incomplete: run as root or audit a snapshot taken as root\n"), "\(run.stdout)")
        }
    }

    // MARK: Hidden iomem

    @Test func hiddenIOMemLeavesTheRestOfASubpageBARsPageUnknown() throws {
        let tree = HostAuditTests.sharedPageTree().hidingIOMemAddresses()
        // 4 KiB pages: each BAR fills its page, so nothing unseen can share it; decided.
        let four = try audit(tree, msi: .yes)
        #expect(four.exitCode == 0, "\(four.text)")
        #expect(!four.incomplete)
        #expect(four.notes.contains { $0.contains("hides addresses") })
        // 64 KiB pages without the reservation: 0000:00:01.0's page holds 0000:00:02.0's BAR (read
        // from its resource file): violated, decided. 0000:00:02.0 does not start on a page and the
        // bytes before it on its page are unseen: unknown (it is refused by start-alignment anyway
        // under mainline, so the full policy decides it).
        let dropped = try Policy.mainline.removing(["subpage-reservation", "subpage-start-aligned"])
        let report = try audit(tree, policy: dropped, page: .kib64, msi: .yes)
        let first = try #require(report.devices.first { $0.address == "0000:00:01.0" }?.bars.first)
        #expect(first.violations == ["page-exclusive"])
        #expect(first.verdict == "violated")
        #expect(report.exitCode == 1)
        // Full mainline at 64 KiB: 0000:00:01.0's reservation collides with 0000:00:02.0's BAR as read,
        // which fails inside any parent: decided refused; 0000:00:02.0 is refused by start alignment.
        let full = try audit(tree, page: .kib64, msi: .yes)
        #expect(full.exitCode == 0, "\(full.text)")
        // A lone sub-page BAR under hidden iomem: the rest of its page, and its reservation, are unseen.
        var lone = SysfsTree()
        lone.addFunction("0000:00:01.0", bars: [.mem32(0xfe00_0000, size: 0x1000)])
        lone.setIOMem("""
            fe000000-fe0fffff : PCI Bus 0000:00
              fe000000-fe000fff : 0000:00:01.0

            """)
        let seen = try audit(lone, page: .kib64, msi: .yes)
        #expect(seen.exitCode == 0, "\(seen.text)")
        let unseen = try audit(lone.hidingIOMemAddresses(), page: .kib64, msi: .yes)
        #expect(unseen.exitCode == 2, "\(unseen.text)")
        let bar = try #require(unseen.devices.first?.bars.first)
        #expect(bar.verdicts.first?.unknown == ["page-exclusive"])
        #expect(bar.verdicts.first?.unknownClauses == ["mainline.subpage-reservation"])
        #expect(bar.unknownReasons.first?.contains("proc/iomem hides addresses") == true)
        #expect(unseen.text.contains("incomplete: run as root or audit a snapshot taken as root"))
    }

    @Test func hiddenIOMemEndToEnd() throws {
        var lone = SysfsTree()
        lone.addFunction("0000:00:01.0", bars: [.mem32(0xfe00_0000, size: 0x1000)])
        lone.setIOMem("fe000000-fe0fffff : PCI Bus 0000:00\n  fe000000-fe000fff : 0000:00:01.0\n")
        try withTree(lone.hidingIOMemAddresses()) { root in
            let run = try DeadlineRun.run(["audit", "--sysfs", root.path, "--page-size", "65536", "--msi-isolated", "yes"])
            #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("UNKNOWN page-exclusive"), "\(run.stdout)")
            let allowed = try DeadlineRun.run(["audit", "--sysfs", root.path, "--page-size", "65536", "--msi-isolated", "yes",
                                               "--allow-incomplete"])
            #expect(allowed.status == 0, "\(allowed.stdout)\(allowed.stderr)")
        }
    }

    // MARK: Snapshots

    @Test func snapshotOfTheTruncatedTreeAuditsTheSameWay() throws {
        var tree = HostAuditTests.msixTree().truncatingConfigs().hidingIOMemAddresses()
        tree.addFunction("0000:00:05.0", bars: [.mem32(0xfe20_0000, size: 0x1000)])
        tree = tree.truncatingConfigs()
        try withTree(tree) { root in
            let snapshot = root.appendingPathComponent("snapshot.json").path
            let taken = try DeadlineRun.run(["snapshot", "--root", root.path, "--output", snapshot])
            #expect(taken.status == 0, "\(taken.stderr)")
            let common = ["--page-size", "65536", "--msi-isolated", "no", "--allow-unsafe-interrupts", "--format", "json"]
            let fromTree = try DeadlineRun.run(["audit", "--sysfs", root.path] + common)
            let fromSnapshot = try DeadlineRun.run(["audit", snapshot] + common)
            #expect(fromTree.status == 2, "\(fromTree.stdout)\(fromTree.stderr)")
            #expect(fromSnapshot.status == fromTree.status)
            // Sorted keys: the same report is the same text, but for the host it names.
            let named = { (text: String, host: String) in text.replacingOccurrences(of: "\"host\" : \"\(host)\"", with: "\"host\" : \"HOST\"") }
            #expect(named(fromTree.stdout, root.path) == named(fromSnapshot.stdout, snapshot),
                    "\(fromTree.stdout)\n---\n\(fromSnapshot.stdout)")
            #expect(try json(fromTree.stdout)["status"] as? String == "incomplete")
        }
    }

    // MARK: Unreadable files

    @Test func unreadableResourceFileLeavesTheFunctionUnread() throws {
        var tree = HostAuditTests.sharedPageTree()
        tree.addFunction("0000:00:04.0", bars: [.mem32(0xfe00_4000, size: 0x1000)])
        let guarded = GuardedTree(tree: tree, unreadable: ["sys/bus/pci/devices/0000:00:04.0/resource"])
        let host = try HostInventory.load(from: guarded)
        #expect(host.gaps.functions.keys.sorted() == ["0000:00:04.0"])
        let report = HostAudit.run(host, options: AuditOptions(pageSize: .kib4, msiIsolation: .yes))
        #expect(report.unreadCount == 1)
        #expect(report.incomplete)
        #expect(report.exitCode == 2)
        #expect(report.text.contains("0000:00:04.0\n  not read: sys/bus/pci/devices/0000:00:04.0/resource cannot read (permission denied)"),
                "\(report.text)")
        #expect(report.summary.contains("1 function not read; incomplete: run as root"), "\(report.summary)")
        // The others are still decided: their BARs fill their 4 KiB pages.
        #expect(report.devices.filter { $0.unread == nil }.allSatisfy { $0.bars.allSatisfy { $0.verdict == "clean" } })
        // Under 64 KiB pages, with the tree read, 0000:00:04.0's BAR is in iomem; only an unclaimed
        // one could be missed, on bytes outside the other BARs: 0000:00:01.0 without the reservation is
        // violated anyway (0000:00:02.0's BAR), decided.
        let dropped = try Policy.mainline.removing(["subpage-reservation"])
        let wide = HostAudit.run(host, options: AuditOptions(policy: dropped, pageSize: .kib64, msiIsolation: .yes))
        #expect(wide.exitCode == 1)
    }

    @Test func unreadableConfigLeavesHeaderAndMSIXUnknown() throws {
        let guarded = GuardedTree(tree: HostAuditTests.msixTree(), unreadable: ["sys/bus/pci/devices/0000:00:03.0/config"])
        let isolated = try audit(guarded, msi: .yes)
        let bar = try #require(isolated.devices.first?.bars.first)
        #expect(bar.verdicts.first?.mmappable == nil)
        #expect(bar.verdicts.first?.unknownClauses == ["vfio-pci.normal-header"])
        // Nothing foreign on its pages and MSIs isolated: nothing to violate, decided.
        #expect(isolated.exitCode == 0, "\(isolated.text)")
        let unsafe = try audit(guarded, msi: .no, unsafe: true)
        #expect(unsafe.exitCode == 2)
        #expect(unsafe.devices.first?.bars.first?.unknownReasons.first?.contains("config cannot read (permission denied)") == true)
    }

    @Test func unreadableIOMemIsAnUnknownTreeNotBadInput() throws {
        var lone = SysfsTree()
        lone.addFunction("0000:00:01.0", bars: [.mem32(0xfe00_0000, size: 0x1000)])
        lone.setIOMem("fe000000-fe0fffff : PCI Bus 0000:00\n  fe000000-fe000fff : 0000:00:01.0\n")
        let guarded = GuardedTree(tree: lone, unreadable: ["proc/iomem"])
        let report = try audit(guarded, page: .kib64, msi: .yes)
        #expect(report.exitCode == 2, "\(report.text)")
        #expect(report.notes.contains { $0.hasPrefix("proc/iomem cannot read (permission denied), so the resource tree is unknown") })
        // A missing iomem is still bad input.
        lone.files["proc/iomem"] = nil
        #expect(throws: AuditInputError.self) { try HostInventory.load(from: lone) }
    }

    // MARK: SARIF schema

    func validateSARIF(_ document: String) throws {
        let schemas = DeadlineRun.repository.appendingPathComponent("Tests/CLITests/Schemas")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).sarif")
        try Data(document.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let env = URL(fileURLWithPath: "/usr/bin/env")
        guard (try? DeadlineRun.run(["python3", "-c", "import jsonschema"], program: env))?.status == 0 else {
            Issue.record("no python3 with jsonschema: run scripts/ensure-deps.sh (python3-jsonschema)")
            return
        }
        let validator = DeadlineRun.repository.appendingPathComponent("schemas/validate.py")
        let run = try DeadlineRun.run(["python3", validator.path,
                                       schemas.appendingPathComponent("sarif-schema-2.1.0.json").path, file.path], program: env)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    }
}
