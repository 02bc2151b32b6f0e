import Audit
import Foundation
import PCIModel
import VFIORules
import Testing

/// A hand-built tree whose device has an Enhanced Allocation memory resource: fixed by hardware,
/// 8 KiB, starting 2 KiB into a page, so it is neither naturally aligned nor page aligned.
@Suite(.timeLimit(.minutes(1)))
struct EnhancedAllocationTests {
    static let eaDevice = "0000:00:05.0"

    /// EA BAR 0 of 0000:00:05.0 at fe000800-fe0027ff; 0000:00:06.0's 2 KiB BAR fills the rest of its
    /// first page (fe000000-fe0007ff), 0000:00:07.0's 2 KiB BAR the rest of its last (fe002800-fe002fff).
    static func tree() -> SysfsTree {
        var tree = SysfsTree()
        tree.addFunction(eaDevice, device: 0x1005, bars: [.eaMem(0xfe00_0800, size: 0x2000)],
                         ea: [.init(bei: 0, base: 0xfe00_0800, size: 0x2000)], driver: "vfio-pci", group: 5)
        tree.addFunction("0000:00:06.0", bars: [.mem32(0xfe00_0000, size: 0x800)], driver: "e1000e", group: 6)
        tree.addFunction("0000:00:07.0", bars: [.mem32(0xfe00_2800, size: 0x800)], driver: "e1000e", group: 7)
        tree.setIOMem("""
            fe000000-fe0fffff : PCI Bus 0000:00
              fe000000-fe0007ff : 0000:00:06.0
              fe000800-fe0027ff : 0000:00:05.0
              fe002800-fe002fff : 0000:00:07.0

            """)
        return tree
    }

    func bar(_ report: AuditReport, _ address: String) throws -> BARAudit {
        try #require(report.devices.first { $0.address == address }?.bars.first { $0.index == 0 })
    }

    @Test func eaCapabilityIsParsedAndMatchesTheFixedResource() throws {
        let host = try Self.tree().host()
        let device = try #require(host.devices.first { $0.address.description == Self.eaDevice })
        let entry = try #require(device.enhancedAllocation.first)
        #expect(device.enhancedAllocation.count == 1)
        #expect(entry.target == .bar(0))
        #expect(entry.kernelSlot == 0)
        #expect(entry.resource?.range == 0xfe00_0800...0xfe00_27ff)
        #expect(entry.resource?.flags.contains([.mem, .pciFixed, .pciEABEI]) ?? false)
        let bar0 = try #require(device.bar(0))
        #expect(bar0.resource.range == 0xfe00_0800...0xfe00_27ff)
        #expect(bar0.resource.flags.contains([.pciFixed, .pciEABEI]))
        #expect(host.warnings == [])
    }

    /// Under 4 KiB pages the 8 KiB EA BAR is at least a page: mainline maps it whatever its alignment
    /// (the sub-page clauses do not apply). vfio-pci maps `PAGE_ALIGN(len)` bytes from the page that
    /// holds the start, so the mmap covers fe000000-fe001fff: it exposes 0000:00:06.0 on the first
    /// page, and stops short of the BAR's own last 2 KiB and of 0000:00:07.0 after them.
    @Test func unalignedEABARExposesTheResourcesOnItsFirstAndLastPage() throws {
        let report = HostAudit.run(try Self.tree().host(), options: AuditOptions(policy: .mainline, pageSize: .kib4, msiIsolation: .yes))
        let ea = try bar(report, Self.eaDevice)
        #expect(ea.start == 0xfe00_0800)
        #expect(ea.size == 0x2000)
        #expect(ea.verdicts.map(\.mmappable) == [true])
        #expect(ea.verdicts.first?.violations == ["page-exclusive"])
        #expect(ea.exposedStart == 0xfe00_0000)
        #expect(ea.exposedEnd == 0xfe00_1fff)
        #expect(ea.foreign == [ForeignResource(owner: "0000:00:06.0 BAR 0", start: 0xfe00_0000, end: 0xfe00_07ff)])
        #expect(ea.file == "sys/bus/pci/devices/0000:00:05.0/resource")
        #expect(ea.line == 1)
        // The neighbours are sub-page BARs whose pages are not theirs alone: mainline refuses them.
        for address in ["0000:00:06.0", "0000:00:07.0"] {
            let b = try bar(report, address)
            #expect(b.verdicts.map(\.mmappable) == [false], "\(address): \(b.verdicts)")
            #expect(b.violations == [])
        }
        #expect(report.violationCount == 1)
        #expect(report.text.contains("0x00000000fe000000-0x00000000fe0007ff 0000:00:06.0 BAR 0"), "\(report.text)")
    }

    /// Under 64 KiB pages the same EA BAR is sub-page and starts off a page boundary: refused.
    @Test func unalignedEABARIsRefusedWhenSubpage() throws {
        let report = HostAudit.run(try Self.tree().host(), options: AuditOptions(policy: .mainline, pageSize: .kib64, msiIsolation: .yes))
        let ea = try bar(report, Self.eaDevice)
        #expect(ea.verdicts.first?.mmappable == false)
        #expect(ea.verdicts.first?.refusedBy.contains("mainline.subpage-start-aligned") ?? false, "\(ea.verdicts)")
        #expect(!report.violated)
    }

    @Test func endToEndExits1() throws {
        let root = try Self.tree().write()
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try AuditCommandTests.run(["audit", "--sysfs", root.path, "--page-size", "4096", "--msi-isolated", "yes"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("BAR 0 exposes 0x00000000fe000000-0x00000000fe001fff (sys/bus/pci/devices/0000:00:05.0/resource:1)"), "\(result.stdout)")
        let sixtyFour = try AuditCommandTests.run(["audit", "--sysfs", root.path, "--page-size", "65536", "--msi-isolated", "yes"])
        #expect(sixtyFour.status == 0, "\(sixtyFour.stdout + sixtyFour.stderr)")
    }
}

/// `barproof audit --format sarif`: SARIF 2.1.0, one result per (BAR, invariant) violation.
@Suite(.timeLimit(.minutes(1)))
struct AuditSARIFTests {
    /// The EA tree plus the MSI-X device of ``HostAuditTests/msixTree()``: with MSIs not isolated and
    /// `allow_unsafe_interrupts`, two violations (page-exclusive on the EA BAR, msix-needs-filtering on 0000:00:03.0).
    static func twoViolationTree() -> SysfsTree {
        var tree = EnhancedAllocationTests.tree()
        tree.addFunction("0000:00:03.0", bars: [.mem32(0xfe10_0000, size: 0x4000)],
                         msix: .init(tableBIR: 0, tableOffset: 0x2000, entries: 8, pbaBIR: 0, pbaOffset: 0x3000))
        tree.setIOMem("""
            fe000000-fe1fffff : PCI Bus 0000:00
              fe000000-fe0007ff : 0000:00:06.0
              fe000800-fe0027ff : 0000:00:05.0
              fe002800-fe002fff : 0000:00:07.0
              fe100000-fe103fff : 0000:00:03.0

            """)
        return tree
    }

    func sarif(_ tree: SysfsTree, _ arguments: [String]) throws -> (Int32, [String: Any]) {
        let root = try tree.write()
        defer { try? FileManager.default.removeItem(at: root) }
        // The tree is the source root: locations are relative to it (uriBaseId SRCROOT).
        let result = try AuditCommandTests.run(["audit", "--sysfs", root.path, "--format", "sarif", "--srcroot", root.path] + arguments)
        let json = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout + result.stderr)")
        return (result.status, json)
    }

    @Test func oneResultPerViolationLocatedAtTheResourceLine() throws {
        let (status, json) = try sarif(Self.twoViolationTree(),
                                       ["--page-size", "4096", "--msi-isolated", "no", "--allow-unsafe-interrupts"])
        #expect(status == 1)
        #expect(json["version"] as? String == "2.1.0")
        #expect((json["$schema"] as? String)?.contains("sarif-2.1.0") ?? false)
        let run = try #require((json["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.compactMap { $0["id"] as? String } == ["page-exclusive", "msix-needs-filtering", "mmap-within-bar"])
        let results = try #require(run["results"] as? [[String: Any]])
        // The same count the audit itself reports.
        let report = HostAudit.run(try Self.twoViolationTree().host(),
                                   options: AuditOptions(pageSize: .kib4, msiIsolation: .no, allowUnsafeInterrupts: true))
        #expect(report.violationCount == 2)
        #expect(results.count == report.violationCount)
        let byRule = Dictionary(uniqueKeysWithValues: results.map { ($0["ruleId"] as? String ?? "", $0) })
        for (rule, device) in [("page-exclusive", "0000:00:05.0"), ("msix-needs-filtering", "0000:00:03.0")] {
            let result = try #require(byRule[rule], "\(results)")
            #expect(result["level"] as? String == "error")
            let location = try #require((result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any])
            #expect((location["artifactLocation"] as? [String: Any])?["uri"] as? String == "sys/bus/pci/devices/\(device)/resource")
            #expect((location["artifactLocation"] as? [String: Any])?["uriBaseId"] as? String == "SRCROOT")
            #expect((location["region"] as? [String: Any])?["startLine"] as? Int == 1)
            #expect((result["partialFingerprints"] as? [String: String])?["barproofAudit/v1"]?.count == 64)
            #expect((result["properties"] as? [String: String])?["device"] == device)
            #expect(((result["message"] as? [String: Any])?["text"] as? String)?.hasPrefix("\(device) BAR 0") ?? false)
        }
        let text = try #require((byRule["page-exclusive"]?["message"] as? [String: Any])?["text"] as? String)
        #expect(text.contains("0000:00:06.0 BAR 0 (0xfe000000-0xfe0007ff)"), "\(text)")
    }

    @Test func noViolationsGivesNoResultsAndExit0() throws {
        let (status, json) = try sarif(HostAuditTests.sharedPageTree(), ["--page-size", "65536", "--msi-isolated", "yes"])
        #expect(status == 0)
        let run = try #require((json["runs"] as? [[String: Any]])?.first)
        #expect((run["results"] as? [[String: Any]])?.count == 0)
        #expect((run["invocations"] as? [[String: Any]])?.first?["exitCode"] as? Int == 0)
    }
}
