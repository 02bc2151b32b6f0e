import Audit
import PCIModel
import VFIORules
import Testing

/// The audit's findings on hand-built machines, asserted against what the rules say.
@Suite(.timeLimit(.minutes(1)))
struct HostAuditTests {
    /// Two 4 KiB BARs of two devices, back to back in one 64 KiB page, both claimed under the host bridge window.
    static func sharedPageTree() -> SysfsTree {
        var tree = SysfsTree()
        tree.addFunction("0000:00:01.0", bars: [.mem32(0xfe00_0000, size: 0x1000)], driver: "vfio-pci", group: 1)
        tree.addFunction("0000:00:02.0", bars: [.mem32(0xfe00_1000, size: 0x1000)], driver: "e1000e", group: 2)
        tree.setIOMem("""
            00000000-00000fff : Reserved
            fe000000-fe0fffff : PCI Bus 0000:00
              fe000000-fe000fff : 0000:00:01.0
              fe001000-fe001fff : 0000:00:02.0
                fe001000-fe001fff : e1000e

            """)
        return tree
    }

    func audit(_ tree: SysfsTree, policy: Policy = .mainline, page: PageSize = .kib4,
               msi: MSIIsolation = .yes, unsafe: Bool = false) throws -> AuditReport {
        HostAudit.run(try tree.host(), options: AuditOptions(policy: policy, pageSize: page, msiIsolation: msi,
                                                             allowUnsafeInterrupts: unsafe))
    }

    func bar(_ report: AuditReport, _ address: String, _ index: Int = 0) throws -> BARAudit {
        let device = try #require(report.devices.first { $0.address == address })
        return try #require(device.bars.first { $0.index == index })
    }

    @Test func fourKiBBARsAreMmappableWithFourKiBPages() throws {
        let report = try audit(Self.sharedPageTree())
        for address in ["0000:00:01.0", "0000:00:02.0"] {
            let b = try bar(report, address)
            #expect(b.verdicts.map(\.mmappable) == [true])
            #expect(b.foreign == [])
            #expect(b.exposedEnd - b.exposedStart + 1 == 0x1000)
        }
        #expect(!report.violated)
    }

    @Test func mainlineRefusesSubpageBARWhoseReservationCollidesUnder64KiBPages() throws {
        let report = try audit(Self.sharedPageTree(), page: .kib64)
        let first = try bar(report, "0000:00:01.0")
        // Page-aligned, so only the reservation [fe001000, fe00ffff] decides: it hits 0000:00:02.0.
        #expect(first.verdicts.first?.refusedBy == ["mainline.subpage-reservation"])
        #expect(first.foreign.map(\.owner) == ["0000:00:02.0 BAR 0"])
        let second = try bar(report, "0000:00:02.0")
        #expect(second.verdicts.first?.refusedBy.contains("mainline.subpage-start-aligned") ?? false)
        #expect(!report.violated)
    }

    @Test func legacyRefusesSubpageBARs() throws {
        let report = try audit(Self.sharedPageTree(), policy: .legacy, page: .kib64)
        // The whole-BAR mmap is page-rounded (64 KiB), so it also runs past the 4 KiB BAR.
        for address in ["0000:00:01.0", "0000:00:02.0"] {
            #expect(try bar(report, address).verdicts.first?.refusedBy == ["legacy.min-page-size", "legacy.request-within-bar"])
        }
        #expect(!report.violated)
    }

    @Test func withoutTheReservationTheSharedPageIsExposed() throws {
        let policy = try Policy.mainline.removing(["subpage-reservation"])
        let report = try audit(Self.sharedPageTree(), policy: policy, page: .kib64)
        let first = try bar(report, "0000:00:01.0")
        #expect(first.verdicts.first?.mmappable == true)
        #expect(first.verdicts.first?.violations == ["page-exclusive"])
        #expect(first.exposedStart == 0xfe00_0000)
        #expect(first.exposedEnd == 0xfe00_ffff)
        #expect(first.foreign == [ForeignResource(owner: "0000:00:02.0 BAR 0", start: 0xfe00_1000, end: 0xfe00_1fff)])
        #expect(report.violated)
        #expect(report.text.contains("BAR 0 exposes 0x00000000fe000000-0x00000000fe00ffff (sys/bus/pci/devices/0000:00:01.0/resource:1):"), "\(report.text)")
        #expect(report.text.contains("page 0x00000000fe000000 is shared with:"), "\(report.text)")
        #expect(report.text.contains("0x00000000fe001000-0x00000000fe001fff 0000:00:02.0 BAR 0"), "\(report.text)")
        // The compact map of the page: 64 cells of 1 KiB, this BAR's 4 KiB, then the foreign 4 KiB.
        let map = "|####AAAA" + String(repeating: ".", count: 56) + "|  (1 KiB a cell; # this BAR)"
        #expect(report.text.contains(map), "\(report.text)")
        #expect(report.text.contains("  A 0x00000000fe001000-0x00000000fe001fff 0000:00:02.0 BAR 0"), "\(report.text)")
    }

    /// A 16 KiB BAR holding registers at 0-0x1fff, the MSI-X table at 0x2000 and the PBA at 0x3000.
    static func msixTree() -> SysfsTree {
        var tree = SysfsTree()
        tree.addFunction("0000:00:03.0", bars: [.mem32(0xfe10_0000, size: 0x4000)],
                         msix: .init(tableBIR: 0, tableOffset: 0x2000, entries: 8, pbaBIR: 0, pbaOffset: 0x3000))
        tree.setIOMem("""
            fe000000-fe1fffff : PCI Bus 0000:00
              fe100000-fe103fff : 0000:00:03.0

            """)
        return tree
    }

    @Test func msixTableInSharedBAR() throws {
        // Isolated MSIs: mainline maps the table (MSIX_MAPPABLE), which is safe.
        var b = try bar(try audit(Self.msixTree(), msi: .yes), "0000:00:03.0")
        #expect(b.verdicts.map(\.mmappable) == [true])
        #expect(b.msixTableExposed)
        #expect(b.msixPBAExposed)
        #expect(b.violations == [])

        // Not isolated: the attach check refuses the device, unless allow_unsafe_interrupts.
        b = try bar(try audit(Self.msixTree(), msi: .no), "0000:00:03.0")
        #expect(b.verdicts.first?.refusedBy == ["mainline.attach-isolated-msi"])
        let unsafe = try audit(Self.msixTree(), msi: .no, unsafe: true)
        b = try bar(unsafe, "0000:00:03.0")
        #expect(b.verdicts.first?.violations == ["msix-needs-filtering"])
        #expect(unsafe.violated)

        // Legacy excludes the table from the mmap, so mapping the whole BAR is refused.
        b = try bar(try audit(Self.msixTree(), policy: .legacy, msi: .yes), "0000:00:03.0")
        #expect(b.verdicts.first?.refusedBy == ["legacy.msix-table-excluded"])

        // Unknown isolation: both answers, and the violation under "not isolated" counts.
        let unknown = try audit(Self.msixTree(), msi: .unknown, unsafe: true)
        b = try bar(unknown, "0000:00:03.0")
        #expect(b.verdicts.map(\.msiIsolated) == [true, false])
        #expect(b.violations == ["msix-needs-filtering"])
    }

    @Test func sixtyFourBitPrefetchableBARAbove4GiB() throws {
        var tree = SysfsTree()
        tree.addFunction("0000:00:04.0", bars: [.mem64Prefetch(0x40_0000_0000, size: 0x80_0000), .unused])
        tree.setIOMem("""
            4000000000-7fffffffff : PCI Bus 0000:00
              4000000000-40007fffff : 0000:00:04.0

            """)
        for page in [PageSize.kib4, .kib64] {
            let report = try audit(tree, page: page)
            let b = try bar(report, "0000:00:04.0")
            #expect(b.kind == "mem64")
            #expect(b.prefetchable)
            #expect(b.start == 0x40_0000_0000)
            #expect(b.size == 0x80_0000)
            #expect(b.verdicts.map(\.mmappable) == [true])
            #expect(b.exposedStart == 0x40_0000_0000)
            #expect(b.exposedEnd == 0x40_007f_ffff)
            #expect(report.devices.first?.bars.count == 1, "the upper half is not a BAR of its own")
            #expect(report.text.contains("0x0000004000000000-0x00000040007fffff  8 MiB  mem64 pref  yes"), "\(report.text)")
        }
    }

    @Test func unclaimedBARKeepsTheDeviceClosed() throws {
        var tree = Self.sharedPageTree()
        tree.setIOMem("""
            fe000000-fe0fffff : PCI Bus 0000:00
              fe001000-fe001fff : 0000:00:02.0

            """)
        let b = try bar(try audit(tree), "0000:00:01.0")
        #expect(b.verdicts.first?.refusedBy == ["mainline.enable-requires-claimed"])
    }

    @Test func badInputNamesFileAndLine() throws {
        var tree = Self.sharedPageTree()
        tree.files["sys/bus/pci/devices/0000:00:02.0/resource"] = Array("""
            0x00000000fe001000 0x00000000fe001fff 0x0000000000040200
            0x0000000000000000 0x00000000000g0000 0x0000000000000000

            """.utf8)
        let error = #expect(throws: (any Error).self) { try tree.host() }
        if let error {
            let e = error as? AuditInputError
            #expect(e?.file == "sys/bus/pci/devices/0000:00:02.0/resource")
            #expect(e?.parseError?.line == 2)
        }
    }

    @Test func bridgeIsSkippedAndItsWindowIsTheParentOfTheBARsBehindIt() throws {
        var tree = SysfsTree()
        tree.addBridge("0000:00:1c.0", window: .init(start: 0xfe20_0000, end: 0xfe2f_ffff, flags: 0x200))
        tree.addFunction("0000:01:00.0", bars: [.mem32(0xfe20_0000, size: 0x1000)])
        tree.addFunction("0000:01:00.1", bars: [.mem32(0xfe21_0000, size: 0x1000)])
        tree.setIOMem("""
            fe000000-fe3fffff : PCI Bus 0000:00
              fe200000-fe2fffff : PCI Bus 0000:01
                fe200000-fe200fff : 0000:01:00.0
                fe210000-fe210fff : 0000:01:00.1

            """)
        let report = try audit(tree, page: .kib64)
        let bridge = try #require(report.devices.first { $0.address == "0000:00:1c.0" })
        #expect(bridge.skipped != nil)
        #expect(bridge.bars == [])
        // Each sub-page BAR is alone in its 64 KiB page of the window: the reservation fits.
        for address in ["0000:01:00.0", "0000:01:00.1"] {
            let b = try bar(report, address)
            #expect(b.verdicts.map(\.mmappable) == [true], "\(address): \(b.verdicts)")
            #expect(b.foreign == [], "the window holding the BAR is not foreign")
        }
        #expect(report.text.contains("not audited: a bridge"), "\(report.text)")
    }

    /// Not a benchmark: checks that a 1,000-function host is audited correctly, and prints the time.
    @Test func thousandFunctionHost() throws {
        var tree = SysfsTree()
        var iomem = "e0000000-efffffff : PCI Bus 0000:00\n"
        for i in 0..<1000 {
            let bdf = "0000:\(hex(UInt64(1 + i / 32), 2)):\(hex(UInt64(i % 32), 2)).0"
            let start = 0xe000_0000 + UInt64(i) * 0x4000
            tree.addFunction(bdf, bars: [.mem32(start, size: 0x4000)],
                             msix: .init(tableBIR: 0, tableOffset: 0x2000, entries: 4, pbaBIR: 0, pbaOffset: 0x3000))
            iomem += "  \(hex(start, 8))-\(hex(start + 0x3fff, 8)) : \(bdf)\n"
        }
        tree.setIOMem(iomem)
        let host = try tree.host()
        let clock = ContinuousClock()
        var report: AuditReport?
        let elapsed = clock.measure {
            report = HostAudit.run(host, options: AuditOptions(policy: .mainline, pageSize: .kib64, msiIsolation: .yes))
        }
        print("audit of 1000 functions: \(elapsed)")
        let audited = try #require(report)
        #expect(audited.devices.count == 1000)
        // 16 KiB BARs under 64 KiB pages: only every fourth starts on a page; its reservation hits the next BAR.
        #expect(audited.devices.allSatisfy { $0.bars.first?.verdicts.first?.mmappable == false })
        #expect(!audited.violated)
    }

    @Test func malformedInputsAreErrorsNamingTheFile() throws {
        let resource = "sys/bus/pci/devices/0000:00:03.0/resource", config = "sys/bus/pci/devices/0000:00:03.0/config"
        func expectError(_ edit: (inout SysfsTree) -> Void, file: String, line: Int? = nil, offset: Int? = nil,
                         _ message: String, caller: SourceLocation = #_sourceLocation) {
            var tree = Self.msixTree()
            edit(&tree)
            let error = #expect(throws: (any Error).self, "case at line \(caller.line)", sourceLocation: caller) {
                try tree.host()
            }
            guard let error else { return }
            guard let e = error as? AuditInputError else {
                Issue.record("\(error)", sourceLocation: caller)
                return
            }
            #expect(e.file == file, sourceLocation: caller)
            if let line { #expect(e.parseError?.line == line, "\(e)", sourceLocation: caller) }
            if let offset { #expect(e.parseError?.byteOffset == offset, "\(e)", sourceLocation: caller) }
            #expect(e.description.contains(message), "\(e)", sourceLocation: caller)
        }
        expectError({ $0.files[resource] = Array("0x00000000fe102000 0x00000000fe101fff 0x0000000000040200\n".utf8) },
                    file: resource, line: 1, "above")
        expectError({ $0.files[config] = Array(repeating: 0x86, count: 17) }, file: config, offset: 17, "17 bytes")
        expectError({ $0.files[config]?[0x41] = 0x40 }, file: config, "loops")
        expectError({ $0.files[config]?[0x44] = 0x07 }, file: config, "BIR 7")
        expectError({ $0.files["proc/iomem"] = Array("fe000000-fe1fffff PCI Bus\n".utf8) }, file: "proc/iomem", line: 1, "before the name")
    }

    @Test func msixTableRunningPastItsBARIsAFinding() throws {
        var tree = Self.msixTree()
        tree.files["sys/bus/pci/devices/0000:00:03.0/config"]?[0x45] = 0x3f  // table offset 0x3f00: 8 entries end at 0x3f80
        tree.files["sys/bus/pci/devices/0000:00:03.0/config"]?[0x42] = 0x3f  // 64 entries: 1 KiB, to 0x4300
        let report = try audit(tree)
        let device = try #require(report.devices.first)
        #expect(device.findings == ["sys/bus/pci/devices/0000:00:03.0/config (capability at 0x40): the MSI-X table runs past the end of BAR 0"])
        #expect(report.text.contains("finding: sys/bus/pci/devices/0000:00:03.0/config"), "\(report.text)")
    }

    /// A 4 KiB BAR that fills its parent window exactly: the sub-page reservation would lie outside
    /// the parent, so the kernel refuses the mmap under 64 KiB pages (`request_resource` fails).
    /// The parent is the window, not the BAR's own node found by range alone.
    @Test func barFillingItsWindowHasTheWindowAsParent() throws {
        var tree = SysfsTree()
        tree.addFunction("0000:00:01.0", bars: [.mem32(0xfe00_0000, size: 0x1000)])
        tree.setIOMem("""
            fe000000-fe000fff : PCI Bus 0000:00
              fe000000-fe000fff : 0000:00:01.0

            """)
        let report = try audit(tree, page: .kib64)
        let verdict = try #require(try bar(report, "0000:00:01.0").verdicts.first)
        #expect(verdict.mmappable == false)
        #expect(verdict.refusedBy == ["mainline.subpage-reservation"])
    }
}
