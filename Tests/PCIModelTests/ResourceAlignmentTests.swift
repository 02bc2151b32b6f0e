import Testing
import PCIModel

@Suite(.timeLimit(.minutes(1))) struct ResourceAlignmentTests {
    static let nic = ResourceAlignmentParameter.DeviceIdentity(
        address: PCIAddress(domain: 0, bus: 0x3b, device: 0, function: 1)!,
        vendorID: 0x8086, deviceID: 0x1572, subsystemVendorID: 0x8086, subsystemDeviceID: 0x0001,
        upstreamBridges: [PCIAddress(domain: 0, bus: 0x3a, device: 0, function: 0)!,
                          PCIAddress(domain: 0, bus: 0, device: 3, function: 0)!])

    @Test func documentedExamples() throws {
        // The 2009 example (32a9a682bef2) and the kernel-parameters.txt ID example.
        let p = try ResourceAlignmentParameter(parsing: "20@07:00.0;18@0f:00.0;00:1d.7")
        #expect(p.entries.count == 3)
        #expect(p.entries[0].order == 20)
        #expect(p.entries[0].selector == .path(domain: 0, bus: 7, rootDevfn: 0, downstream: []))
        #expect(p.entries[1].offset == 11)
        #expect(p.entries[2].order == nil)
        #expect(p.entries[2].selector == .path(domain: 0, bus: 0, rootDevfn: 0x1d << 3 | 7, downstream: []))
        #expect(p.entries[2].alignment(pageSize: .kib64) == 65536)

        let ids = try ResourceAlignmentParameter(parsing: "12@pci:8086:9c22:103c:198f")
        #expect(ids.entries == [.init(order: 12, selector: .ids(vendor: 0x8086, device: 0x9c22,
                                                                subsystemVendor: 0x103c, subsystemDevice: 0x198f),
                                      offset: 0)])
        #expect(ids.entries[0].alignment(pageSize: .kib4) == 4096)
    }

    @Test func matchesByAddressIDsAndPath() throws {
        let p = try ResourceAlignmentParameter(parsing: "16@0000:3b:00.0;pci:8086:1572,21@0000:00:03.0/00.0/00.1")
        // First matching entry wins: the ID entry (missing order = PAGE_SIZE).
        #expect(p.matchingEntry(for: Self.nic)?.offset == 16)
        #expect(p.alignment(for: Self.nic, pageSize: .kib64) == 65536)

        let byPath = try ResourceAlignmentParameter(parsing: "21@0000:00:03.0/00.0/00.1")
        #expect(byPath.entries[0].selector == .path(domain: 0, bus: 0, rootDevfn: 3 << 3, downstream: [0, 1]))
        #expect(byPath.alignment(for: Self.nic, pageSize: .kib4) == 1 << 21)
        let wrongRoot = try ResourceAlignmentParameter(parsing: "21@0000:00:02.0/00.0/00.1")
        #expect(wrongRoot.alignment(for: Self.nic, pageSize: .kib4) == nil)
        let tooDeep = try ResourceAlignmentParameter(parsing: "21@00:01.0/03.0/00.0/00.1")
        #expect(tooDeep.alignment(for: Self.nic, pageSize: .kib4) == nil)

        let byAddress = try ResourceAlignmentParameter(parsing: "3b:00.1")
        #expect(byAddress.alignment(for: Self.nic, pageSize: .kib16) == 16384)
        let otherDomain = try ResourceAlignmentParameter(parsing: "0001:3b:00.1")
        #expect(otherDomain.alignment(for: Self.nic, pageSize: .kib16) == nil)
    }

    @Test func zeroIDsMatchAnything() throws {
        let p = try ResourceAlignmentParameter(parsing: "pci:0:1572")
        #expect(p.alignment(for: Self.nic, pageSize: .kib4) == 4096)
        let other = try ResourceAlignmentParameter(parsing: "pci:8086:1572:0:2")
        #expect(other.alignment(for: Self.nic, pageSize: .kib4) == nil)
    }

    @Test func orderAbove63WarnsAndFallsBackToPageSize() throws {
        let p = try ResourceAlignmentParameter(parsing: "64@pci:8086:1572")
        #expect(p.entries[0].order == nil)
        #expect(p.entries[0].alignment(pageSize: .kib64) == 65536)
        #expect(p.warnings.map(\.location) == [.byteOffset(0)])
    }

    @Test func threeIDsReadAsTwoAndTheRestEndsTheParameter() throws {
        // sscanf("%hx:%hx:%hx:%hx") fails, "%hx:%hx" succeeds; ":103c" is neither ';' nor ','.
        let p = try ResourceAlignmentParameter(parsing: "pci:8086:1572:103c;00:02.0")
        #expect(p.entries.count == 1)
        #expect(p.entries[0].selector == .ids(vendor: 0x8086, device: 0x1572, subsystemVendor: 0, subsystemDevice: 0))
        #expect(p.warnings.map(\.location) == [.byteOffset(13)])
    }

    @Test func trailingSeparatorAndNewlineAreAccepted() throws {
        #expect(try ResourceAlignmentParameter(parsing: "00:02.0;\n").entries.count == 1)
        #expect(try ResourceAlignmentParameter(parsing: "").entries.isEmpty)
    }

    @Test func commandLineSplitsPCIOptionsOnCommas() {
        let cmdline = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 pci=realloc,resource_alignment=16@pci:10de:1db6,noaer iommu=pt -- init=x"
        #expect(ResourceAlignmentParameter.value(inKernelCommandLine: cmdline) == "16@pci:10de:1db6")
        #expect(ResourceAlignmentParameter.value(inKernelCommandLine: "quiet panic=1") == nil)
        #expect(ResourceAlignmentParameter.value(inKernelCommandLine: "-- pci=resource_alignment=12@00:02.0") == nil)
    }

    // MARK: Malformed input

    @Test(arguments: [
        ("00:02.0;;00:03.0", 8, "empty entry"),
        ("00:02", 3, "lacks the '.'"),
        ("00:0g.0", 4, "not a hex digit"),
        ("00:02.0,00:03.0", 7, "only at ';'"),
        ("pci:8086:", 9, "found the end"),
        ("pci:8086", 8, "expected pci:<vendor>:<device>"),
        ("pci:", 4, "expected pci:<vendor>:<device>"),
        ("-1@00:02.0", 0, "negative"),
        ("1:2:3:4.0", 0, "[<domain>:]<bus>"),
    ])
    func malformedValues(value: String, offset: Int, expected: String) throws {
        let error = try #require(#expect(throws: ParseError.self) { try ResourceAlignmentParameter(parsing: value) })
        #expect(error.format == .resourceAlignment)
        #expect(error.byteOffset == offset)
        #expect(error.message.contains(expected))
    }
}
