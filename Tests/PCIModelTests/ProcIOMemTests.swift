import Testing
import PCIModel

@Suite(.timeLimit(.minutes(1))) struct ProcIOMemTests {
    /// An excerpt in the kernel's format: a host bridge window holding a root port's window, holding
    /// an X710's BARs, each with the region its driver requested, plus this VM's layout above 256 GiB.
    static let excerpt = """
        00000000-00000fff : Reserved
        00001000-0009fbff : System RAM
        000a0000-000bffff : PCI Bus 0000:00
        00100000-bfffffff : System RAM
          01000000-0220bb07 : Kernel code
          02400000-02e09fff : Kernel rodata
        c0000000-fcffffff : PCI Bus 0000:00
          fb000000-fc0fffff : PCI Bus 0000:3a
            fb000000-fb00ffff : 0000:3a:00.0
            fb010000-fb010fff : 0000:3a:00.1
        fec00000-fec003ff : IOAPIC 0
        4000000000-7fffffffff : PCI Bus 0000:00
          4000000000-400007ffff : 0000:00:01.0
            4000000000-400007ffff : virtio-pci-modern
        38bf80000000-38bfffffffff : PCI Bus 0000:3a
          38bffe000000-38bffe7fffff : 0000:3b:00.0
            38bffe000000-38bffe7fffff : i40e
          38bffe808000-38bffe80ffff : 0000:3b:00.0
            38bffe808000-38bffe80ffff : i40e

        """

    @Test func buildsTheNestedTree() throws {
        let tree = try ResourceTree(parsingProcIOMem: Self.excerpt)
        #expect(tree.warnings.isEmpty)
        #expect(tree.roots.map(\.name) == [
            "Reserved", "System RAM", "PCI Bus 0000:00", "System RAM", "PCI Bus 0000:00", "IOAPIC 0",
            "PCI Bus 0000:00", "PCI Bus 0000:3a",
        ])
        let ram = tree.roots[3]
        #expect(ram.children.map(\.name) == ["Kernel code", "Kernel rodata"])
        #expect(ram.line == 4)
        let window = tree.roots[7]
        #expect(window.start == 0x38bf_8000_0000)
        #expect(window.end == 0x38bf_ffff_ffff)
        #expect(window.children.count == 2)
        #expect(window.children[0].children.first?.name == "i40e")
        #expect(tree.allNodes.count == 19)
        #expect(tree.allNodes.map(\.depth).max() == 2)
    }

    @Test func parentAndSiblingsOfABAR() throws {
        let tree = try ResourceTree(parsingProcIOMem: Self.excerpt)
        let bar0: ClosedRange<UInt64> = 0x38bf_fe00_0000...0x38bf_fe7f_ffff
        // The BAR and its driver's region share a range; the shallowest (the BAR) is the node.
        #expect(tree.path(to: bar0)?.map(\.name) == ["PCI Bus 0000:3a", "0000:3b:00.0"])
        #expect(tree.path(to: bar0, named: "i40e")?.count == 3)
        #expect(tree.parent(of: bar0)?.name == "PCI Bus 0000:3a")
        #expect(tree.siblings(of: bar0).map(\.start) == [0x38bf_fe80_8000])

        // A 4 KiB BAR of 0000:3a:00.1 in a 64 KiB page: the rest of the page is free of siblings,
        // but under 64 KiB pages the page also covers 0000:3a:00.0's BAR.
        let small: ClosedRange<UInt64> = 0xfb01_0000...0xfb01_0fff
        let parent = try #require(tree.parent(of: small))
        #expect(parent.name == "PCI Bus 0000:3a")
        let restOfPage4K: ClosedRange<UInt64> = 0xfb01_1000...0xfb01_0fff + 0x1000
        #expect(tree.conflicts(for: restOfPage4K, under: parent).isEmpty)
        let page64K: ClosedRange<UInt64> = 0xfb01_0000...0xfb01_ffff
        #expect(tree.conflicts(for: page64K, under: parent).map(\.name) == ["0000:3a:00.1"])
        let otherPage64K: ClosedRange<UInt64> = 0xfb00_0000...0xfb00_ffff
        #expect(tree.conflicts(for: otherPage64K, under: parent).map(\.name) == ["0000:3a:00.0"])
    }

    @Test func rangeInNoNodeHangsOffTheDeepestContainer() throws {
        let tree = try ResourceTree(parsingProcIOMem: Self.excerpt)
        #expect(tree.ancestors(of: 0xfb00_1000...0xfb00_1fff).map(\.name)
            == ["PCI Bus 0000:00", "PCI Bus 0000:3a", "0000:3a:00.0"])
        #expect(tree.parent(of: 0xffff_0000...0xffff_ffff) == nil)  // directly under iomem_resource
        #expect(tree.siblings(of: 0xffff_0000...0xffff_ffff).count == tree.roots.count)
    }

    @Test func zeroedRangesFromAnUnprivilegedReadWarn() throws {
        let tree = try ResourceTree(parsingProcIOMem: "00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n")
        #expect(tree.warnings.count == 1)
        #expect(tree.warnings.first?.message.contains("CAP_SYS_ADMIN") == true)
    }

    @Test func childOutsideItsParentWarns() throws {
        let tree = try ResourceTree(parsingProcIOMem: "00001000-00001fff : parent\n  00002000-00002fff : child\n")
        #expect(tree.warnings.map(\.location) == [.line(2, column: nil)])
    }

    @Test func namesMayHoldColonsAndSpaces() throws {
        let tree = try ResourceTree(parsingProcIOMem: "eec00000-eecfffff : PCI ECAM 0000 [bus 00-00]\n")
        #expect(tree.roots.first?.name == "PCI ECAM 0000 [bus 00-00]")
    }

    // MARK: Malformed input

    @Test(arguments: [
        ("00001000-00001fff : a\n   00001000-000010ff : b\n", 2, "multiple of 2"),
        ("00001000-00001fff : a\n    00001000-000010ff : b\n", 2, "levels below"),
        ("  00001000-00001fff : a\n", 1, "depth 0"),
        ("0000100g-00001fff : a\n", 1, "not a hex digit"),
        ("00002000-00001fff : a\n", 1, "above end"),
        ("00001000 00001fff : a\n", 1, "no '-'"),
        ("00001000-00001fff a\n", 1, "\" : \""),
        ("00001000-00001fff : a\n\n00002000-00002fff : b\n", 2, "empty line"),
        ("00001000-10000000000000000 : a\n", 1, "above 0xffffffffffffffff"),
        ("\t00001000-00001fff : a\n", 1, "tab"),
    ])
    func malformedLines(text: String, line: Int, expected: String) throws {
        let error = try #require(#expect(throws: ParseError.self) { try ResourceTree(parsingProcIOMem: text) })
        #expect(error.format == .procIOMem)
        #expect(error.line == line)
        #expect(error.message.contains(expected))
    }

    @Test func nonHexDigitNamesItsColumn() throws {
        let error = try #require(#expect(throws: ParseError.self) {
            try ResourceTree(parsingProcIOMem: "00001000-00001fff : a\n  00001z00-000010ff : b\n")
        })
        #expect(error.location == .line(2, column: 8))
    }
}
