import TestSupport
import Testing
import PCIModel

@Suite(.timeLimit(.minutes(1))) struct ResourceTests {
    @Test func inclusiveEndAndPCIResourceLen() throws {
        let r = try #require(Resource(start: 0xfe00_0000, size: 0x1000, flags: .mem))
        #expect(r.end == 0xfe00_0fff)
        #expect(r.size == 0x1000)
        #expect(r.contains(0xfe00_0fff))
        #expect(!r.contains(0xfe00_1000))
        #expect(Resource.unused.size == 0)
        #expect(Resource.unused.isUnused)
        #expect(!Resource.unused.overlaps(Resource(start: 0, end: 0xfff)!))
    }

    @Test func rejectsBackwardsAndOverflowingRanges() {
        #expect(Resource(start: 0x2000, end: 0x1fff) == nil)
        #expect(Resource(start: 0, end: .max) == nil)  // size 2^64
        #expect(Resource(start: .max, size: 2) == nil)
        #expect(Resource(start: 1, size: 0) == nil)
        #expect(Resource(start: 1, end: .max)?.size == .max)
        #expect(Resource(start: .max, size: 1)?.size == 1)
    }

    @Test func overlapAndContainment() throws {
        let a = try #require(Resource(start: 0x1000, end: 0x1fff))
        let b = try #require(Resource(start: 0x1fff, end: 0x2fff))
        let c = try #require(Resource(start: 0x2000, end: 0x2fff))
        #expect(a.overlaps(b))
        #expect(!a.overlaps(c))
        #expect(!a.contains(b))
        #expect(Resource(start: 0, end: 0xffff)!.contains(a))
    }

    @Test func naturalAlignment() {
        #expect(Resource(start: 0x10000, size: 0x10000)!.isNaturallyAligned)
        #expect(!Resource(start: 0x18000, size: 0x10000)!.isNaturallyAligned)
        #expect(!Resource(start: 0x0, size: 0x3000)!.isNaturallyAligned)
    }

    @Test func decodingValidates() throws {
        let good = #"{"start":4096,"end":8191,"flags":512}"#
        let r = try JSONTestDecoder.decode(Resource.self, from: good)
        #expect(r.size == 4096 && r.isMemory)
        #expect(throws: (any Error).self) {
            try JSONTestDecoder.decode(Resource.self, from: #"{"start":8192,"end":4096,"flags":0}"#)
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct ResourceFlagsTests {
    @Test func kernelValues() {
        #expect(ResourceFlags.io.rawValue == 0x100)
        #expect(ResourceFlags.mem.rawValue == 0x200)
        #expect(ResourceFlags.prefetch.rawValue == 0x2000)
        #expect(ResourceFlags.sizeAlign.rawValue == 0x40000)
        #expect(ResourceFlags.startAlign.rawValue == 0x80000)
        #expect(ResourceFlags.mem64.rawValue == 0x10_0000)
        #expect(ResourceFlags.window.rawValue == 0x20_0000)
        #expect(ResourceFlags.unset.rawValue == 0x2000_0000)
        #expect(ResourceFlags.pciFixed.rawValue == 1 << 4)
        #expect(ResourceFlags.pciEABEI.rawValue == 1 << 5)
        #expect(ResourceFlags.romEnable.rawValue == 1 << 0)
        #expect(ResourceFlags.romShadow.rawValue == 1 << 1)
    }

    @Test func describesWithKernelNames() {
        #expect(ResourceFlags(rawValue: 0x46200).description == "SIZEALIGN|READONLY|PREFETCH|MEM")
        #expect(ResourceFlags(rawValue: 0x2004_0200).description == "UNSET|SIZEALIGN|MEM")
        #expect(ResourceFlags().description == "0x0")
        #expect(ResourceFlags(rawValue: 0x40101).typeBits == 0x100)
    }
}

@Suite(.timeLimit(.minutes(1))) struct BARTests {
    @Test func kindFromFlags() {
        #expect(BARKind(flags: [.mem, .mem64]) == .mem64)
        #expect(BARKind(flags: .mem) == .mem32)
        #expect(BARKind(flags: ResourceFlags(rawValue: 0x40101)) == .io)
        #expect(BARKind(flags: []) == .none)
        #expect(BAR(index: 7, resource: .unused) == nil)
        #expect(BAR(index: 6, resource: .unused)?.isROM == true)
    }
}

@Suite(.timeLimit(.minutes(1))) struct MSIXCapabilityTests {
    @Test func sizesAsVFIOAndQEMUComputeThem() throws {
        let one = try #require(MSIXCapability(tableBIR: 0, tableOffset: 0, entries: 1, pbaBIR: 0, pbaOffset: 0x800))
        #expect(one.tableSize == 16)
        #expect(one.pbaSize == 8)
        let max = try #require(MSIXCapability(tableBIR: 0, tableOffset: 0, entries: 2048, pbaBIR: 0, pbaOffset: 0x8000))
        #expect(max.tableSize == 32768)
        #expect(max.pbaSize == 256)
        let sixtyFive = try #require(MSIXCapability(tableBIR: 0, tableOffset: 0, entries: 65, pbaBIR: 0, pbaOffset: 0x800))
        #expect(sixtyFive.pbaSize == 16)
    }

    @Test func rejectsReservedBIRsMisalignedOffsetsAndBadCounts() {
        #expect(MSIXCapability(tableBIR: 6, tableOffset: 0, entries: 1, pbaBIR: 0, pbaOffset: 0) == nil)
        #expect(MSIXCapability(tableBIR: 0, tableOffset: 0, entries: 1, pbaBIR: 7, pbaOffset: 0) == nil)
        #expect(MSIXCapability(tableBIR: 0, tableOffset: 4, entries: 1, pbaBIR: 0, pbaOffset: 0) == nil)
        #expect(MSIXCapability(tableBIR: 0, tableOffset: 0, entries: 0, pbaBIR: 0, pbaOffset: 0) == nil)
        #expect(MSIXCapability(tableBIR: 0, tableOffset: 0, entries: 2049, pbaBIR: 0, pbaOffset: 0) == nil)
        #expect(MSIXCapability(messageControl: 0x07ff, table: 0x7, pba: 0) == nil)
    }

    /// Issue 5: "a table that runs past its BAR" is a finding, not a parse error.
    @Test func tableThatRunsPastItsBAR() throws {
        let msix = try #require(MSIXCapability(messageControl: 0x00ff, table: 0x0000_7003, pba: 0x0000_0003))
        #expect(msix.tableRange == 0x7000..<0x8000)
        #expect(msix.tableFits(in: 0x8000))
        #expect(!msix.tableFits(in: 0x4000))
        #expect(msix.pbaFits(in: 0x4000))
        #expect(msix.tableOverlapsPBA == false)
    }

    @Test func overlappingTableAndPBA() throws {
        let msix = try #require(MSIXCapability(tableBIR: 2, tableOffset: 0, entries: 64, pbaBIR: 2, pbaOffset: 0x3f8))
        #expect(msix.tableOverlapsPBA)
    }
}

@Suite(.timeLimit(.minutes(1))) struct PCIDeviceTests {
    @Test func assemblesSysfsFilesIntoADevice() throws {
        let config = try ConfigSpace(bytes: ConfigImage.intelX710().bytes)
        let resources = try SysfsResourceFile(parsing: intelX710ResourceFile)
        let device = PCIDevice(address: try PCIAddress(parsing: "0000:3b:00.0"), resources: resources, config: config,
                               classCode: 0x02_0000, iommuGroup: 41, driver: "i40e")
        #expect(device.vendorID == 0x8086)
        #expect(device.bars.count == 6)
        #expect(device.bar(0)?.resource.start == 0x38bf_fe00_0000)
        #expect(device.rom?.size == 512 << 10)
        #expect(device.sriovBARs.count == 6)
        #expect(device.sriov?.totalVFs == 64)
        #expect(device.msixTableBAR?.index == 3)
        #expect(device.msixTableFitsBAR == true)
        #expect(device.msixPBAFitsBAR == true)
        #expect(!device.isBridge)
        #expect(device.iommuGroup == 41)
        #expect(device.driver == "i40e")

        let identity = device.alignmentIdentity()
        let param = try ResourceAlignmentParameter(parsing: "pci:8086:1572")
        #expect(param.alignment(for: identity, pageSize: .kib64) == 65536)
    }

    /// Issue 5: a table that runs past its BAR, seen once config space meets the resource file.
    @Test func msixTableRunningPastItsBARIsAFinding() throws {
        var image = ConfigImage.intelX710()
        image.set32(0x74, 0x0000_7803)  // table at BAR3 + 0x7800: 129 * 16 bytes end at 0x8010 > 32 KiB
        let config = try ConfigSpace(bytes: image.bytes)
        let resources = try SysfsResourceFile(parsing: intelX710ResourceFile)
        let device = PCIDevice(address: try PCIAddress(parsing: "0000:3b:00.0"), resources: resources, config: config)
        #expect(device.msixTableFitsBAR == false)
        #expect(device.msix?.tableRange.upperBound == 0x8010)
    }

    @Test func roundTripsThroughJSON() throws {
        let config = try ConfigSpace(bytes: ConfigImage.intelX710().bytes)
        let resources = try SysfsResourceFile(parsing: intelX710ResourceFile)
        let device = PCIDevice(address: try PCIAddress(parsing: "0000:3b:00.0"), resources: resources, config: config)
        let json = try JSONTestEncoder.encode(device)
        #expect(json.contains(#""address":"0000:3b:00.0""#))
        #expect(try JSONTestDecoder.decode(PCIDevice.self, from: json) == device)
    }
}

/// Random text from each format's own alphabet must give a value or a ParseError, never a crash.
@Suite(.timeLimit(.minutes(1))) struct TextFuzzTests {
    static func randomText(_ rng: inout SplitMix64, alphabet: [Character], length: Int) -> String {
        String((0..<length).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }

    @Test func textParsersNeverCrash() {
        var rng = SplitMix64(seed: 42)
        let hexy = Array("0123456789abcdefxX :-;,.@/pci\n\t\r g")
        for _ in 0..<2000 {
            let text = Self.randomText(&rng, alphabet: hexy, length: Int(rng.next() % 80))
            _ = try? SysfsResourceFile(parsing: text)
            _ = try? ResourceTree(parsingProcIOMem: text)
            _ = try? ResourceAlignmentParameter(parsing: text)
            _ = try? PCIAddress(parsing: text)
            _ = try? SysfsAttribute.parseVendor(text)
        }
    }
}
