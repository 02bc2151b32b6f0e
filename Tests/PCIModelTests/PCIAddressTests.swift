import Testing
import PCIModel

@Suite(.timeLimit(.minutes(1))) struct PCIAddressTests {
    @Test func parseAndPrint() throws {
        let a = try PCIAddress(parsing: "0000:3b:00.1")
        #expect(a.domain == 0)
        #expect(a.bus == 0x3b)
        #expect(a.device == 0)
        #expect(a.function == 1)
        #expect(a.devfn == 1)
        #expect(a.description == "0000:3b:00.1")
        #expect(try PCIAddress(parsing: "3B:1F.7").description == "0000:3b:1f.7")
        #expect(try PCIAddress(parsing: "10000:e1:00.0").description == "10000:e1:00.0")  // VMD domain
        #expect(PCIAddress("0000:00:02.0")?.devfn == 0x10)
        #expect(PCIAddress("junk") == nil)
    }

    @Test func ordersByDomainBusDevfn() throws {
        let sorted = try ["0000:3b:00.1", "0000:00:1f.0", "0001:00:00.0", "0000:3b:00.0"]
            .map { try PCIAddress(parsing: $0) }.sorted()
        #expect(sorted.map(\.description) == ["0000:00:1f.0", "0000:3b:00.0", "0000:3b:00.1", "0001:00:00.0"])
    }

    @Test func codableAsString() throws {
        let a = try PCIAddress(parsing: "0000:3b:00.1")
        let device = PCIDevice(address: a, vendorID: 0x8086, deviceID: 0x1572, classCode: 0x02_0000)
        #expect(device.address == a)
        #expect(PCIAddress(domain: 0, bus: 0, device: 32, function: 0) == nil)
        #expect(PCIAddress(domain: 0, bus: 0, device: 0, function: 8) == nil)
    }

    @Test(arguments: [
        ("0000:3b:00", 10, "no '.'"),
        ("0000:3b:20.0", 8, "above 0x1f"),
        ("0000:3b:00.8", 11, "above 7"),
        ("0000:3g:00.0", 6, "not a hex digit"),
        ("0000:3b:00.", 11, "empty"),
        ("3b00.0", 0, "0 ':'"),
        ("0000:13b:00.0", 5, "3 digits"),
    ])
    func malformed(text: String, offset: Int, expected: String) throws {
        let error = try #require(#expect(throws: ParseError.self) { try PCIAddress(parsing: text) })
        #expect(error.format == .pciAddress)
        #expect(error.byteOffset == offset)
        #expect(error.message.contains(expected))
    }
}
