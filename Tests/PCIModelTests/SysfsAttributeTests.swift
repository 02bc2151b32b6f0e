import Testing
import PCIModel

@Suite(.timeLimit(.minutes(1))) struct SysfsAttributeTests {
    @Test func idFilesAsTheKernelPrintsThem() throws {
        #expect(try SysfsAttribute.parseVendor("0x8086\n") == 0x8086)
        #expect(try SysfsAttribute.parseDevice("0x1572\n") == 0x1572)
        #expect(try SysfsAttribute.parseClass("0x020000\n") == 0x02_0000)
        #expect(try SysfsAttribute.parseRevision("0x02\n") == 2)
        #expect(try SysfsAttribute.parseVendor("0x1AF4") == 0x1af4)  // no newline, uppercase
    }

    @Test func linkTargets() throws {
        #expect(try SysfsAttribute.parseIOMMUGroupLink("../../../../kernel/iommu_groups/12") == 12)
        #expect(try SysfsAttribute.parseDriverLink("../../../../bus/pci/drivers/vfio-pci") == "vfio-pci")
        #expect(try SysfsAttribute.parseDriverLink("../../../bus/pci/drivers/i40e/") == "i40e")
        #expect(throws: ParseError.self) { try SysfsAttribute.parseIOMMUGroupLink("../kernel/iommu_groups/") }
        #expect(throws: ParseError.self) { try SysfsAttribute.parseIOMMUGroupLink("../kernel/iommu_groups/x1") }
        #expect(throws: ParseError.self) { try SysfsAttribute.parseDriverLink("") }
    }

    @Test(arguments: [
        ("8086\n", 1, "0x prefix"),
        ("0x80g6\n", 5, "'g'"),
        ("0x\n", 3, "no digits"),
        ("0x18086\n", 1, "above the largest"),
        ("", nil, "empty"),
    ] as [(String, Int?, String)])
    func malformedVendor(text: String, column: Int?, expected: String) throws {
        let error = try #require(#expect(throws: ParseError.self) { try SysfsAttribute.parseVendor(text) })
        #expect(error.format == .sysfsAttribute)
        #expect(error.line == 1)
        #expect(error.column == column)
        #expect(error.message.contains(expected))
    }

    @Test func secondLineIsAnError() throws {
        let error = try #require(#expect(throws: ParseError.self) { try SysfsAttribute.parseClass("0x020000\n0x1\n") })
        #expect(error.line == 2)
    }

    @Test func classAbove24BitsIsAnError() {
        #expect(throws: ParseError.self) { try SysfsAttribute.parseClass("0x1000000\n") }
    }
}
