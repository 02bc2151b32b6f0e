import Testing
import PCIModel

@Suite(.timeLimit(.minutes(1))) struct SysfsResourceFileTests {
    @Test func intelNICWith64BitPrefetchableBARAbove4GiB() throws {
        let file = try SysfsResourceFile(parsing: intelX710ResourceFile)
        #expect(file.layout == .functionWithIOV)
        #expect(file.resources.count == 13)
        #expect(file.warnings.isEmpty)

        let bar0 = try #require(file.bars.first)
        #expect(bar0.index == 0)
        #expect(bar0.kind == .mem64)
        #expect(bar0.prefetchable)
        #expect(bar0.resource.start == 0x38bf_fe00_0000)
        #expect(bar0.resource.start > 1 << 32)
        #expect(bar0.size == 8 << 20)
        #expect(bar0.flags == [.mem, .prefetch, .mem64, .sizeAlign, .barRegisterMemType64, .barRegisterPrefetch])
        #expect(bar0.flags.description == "MEM_64|SIZEALIGN|PREFETCH|MEM|0xc")
        #expect(bar0.resource.isNaturallyAligned)

        // The upper half of the 64-bit BAR is the all-zero line.
        #expect(file.bars[1].kind == .none)
        #expect(file.bars[1].size == 0)
        #expect(file.bars[1].resource == .unused)

        #expect(file.bars[3].size == 32 << 10)
        let rom = try #require(file.rom)
        #expect(rom.isROM)
        #expect(rom.flags == [.mem, .prefetch, .readOnly, .sizeAlign])
        #expect(rom.size == 512 << 10)

        #expect(file.sriovBARs.count == 6)
        #expect(file.sriovBARs[0].size == 64 * (64 << 10))  // 64 VFs x 64 KiB
        #expect(file.sriovBARs[3].size == 64 * (16 << 10))
        #expect(file.bridgeWindows.isEmpty)
    }

    @Test func thisMachinesVirtioDeviceLayout() throws {
        // Captured from the development VM (0000:00:03.0, virtio-net): 7 lines, no CONFIG_PCI_IOV,
        // one 512 KiB 64-bit non-prefetchable BAR at 256 GiB; flags 0x140204 = MEM_64|SIZEALIGN|MEM|0x4.
        let text = "0x0000004000100000 0x000000400017ffff 0x0000000000140204\n"
            + String(repeating: "0x0000000000000000 0x0000000000000000 0x0000000000000000\n", count: 6)
        let file = try SysfsResourceFile(parsing: text)
        #expect(file.layout == .function)
        #expect(file.bars[0].kind == .mem64)
        #expect(!file.bars[0].prefetchable)
        #expect(file.bars[0].size == 0x80000)
        #expect(file.rom?.resource == .unused)
        #expect(file.sriovBARs.isEmpty)
    }

    @Test func bridgeWindowsFollowTheROM() throws {
        let zero = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
        let text = String(repeating: zero, count: 7)
            + "0x0000000000001000 0x0000000000001fff 0x0000000000200101\n"
            + "0x00000000fb000000 0x00000000fc0fffff 0x0000000000200200\n"
            + "0x00000000d0000000 0x00000000e1ffffff 0x0000000000302201\n"
            + zero
        let file = try SysfsResourceFile(parsing: text)
        #expect(file.layout == .bridge)
        #expect(file.bridgeWindows.count == 4)
        #expect(file.bridgeWindows[0].isIO)
        #expect(file.bridgeWindows[1].size == 0x110_0000)
        #expect(file.bridgeWindows[2].flags.isSuperset(of: [.window, .prefetch, .mem64]))
        #expect(file.bridgeWindows[3] == .unused)
    }

    @Test func unusualLineCountWarnsButParses() throws {
        let file = try SysfsResourceFile(parsing: "0x0000000000001000 0x000000000000101f 0x0000000000040101\n")
        #expect(file.layout == .unknown(lineCount: 1))
        #expect(file.bars[0].kind == .io)
        #expect(file.rom == nil)
        #expect(file.warnings.count == 1)
    }

    @Test func unalignedBARWarns() throws {
        let zero = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
        let text = "0x00000000fe001000 0x00000000fe002fff 0x0000000000040200\n" + String(repeating: zero, count: 6)
        let file = try SysfsResourceFile(parsing: text)
        #expect(file.warnings.map(\.location) == [.line(1, column: nil)])
    }

    // MARK: Malformed input (issue 5 acceptance list)

    @Test func shortLineNamesTheLineAndTheMissingField() throws {
        let text = "0x00000000fe000000 0x00000000fe0fffff 0x0000000000040200\n0x00000000fe100000 0x00000000fe10ffff\n"
        let error = try #require(#expect(throws: ParseError.self) { try SysfsResourceFile(parsing: text) })
        #expect(error.format == .sysfsResource)
        #expect(error.line == 2)
        #expect(error.message.contains("missing flags"))
    }

    @Test func startAboveEndIsRejected() throws {
        let text = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n0x00000000fe100000 0x00000000fe0fffff 0x0000000000040200\n"
        let error = try #require(#expect(throws: ParseError.self) { try SysfsResourceFile(parsing: text) })
        #expect(error.line == 2)
        #expect(error.column == 1)
        #expect(error.message.contains("above end"))
    }

    @Test func nonHexCharacterNamesLineAndColumn() throws {
        let text = "0x00000000fe00g000 0x00000000fe0fffff 0x0000000000040200\n"
        let error = try #require(#expect(throws: ParseError.self) { try SysfsResourceFile(parsing: text) })
        #expect(error.location == .line(1, column: 15))
        #expect(error.message.contains("'g'"))
    }

    @Test func valueAbove2To64IsAnOverflow() throws {
        let zero = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
        let text = zero + zero + "0x10000000000000000 0x00000000fe0fffff 0x0000000000040200\n"
        let error = try #require(#expect(throws: ParseError.self) { try SysfsResourceFile(parsing: text) })
        #expect(error.line == 3)
        #expect(error.message.contains("above 0xffffffffffffffff"))
    }

    @Test func leadingZerosBeyond16DigitsAreNotAnOverflow() throws {
        let file = try SysfsResourceFile(parsing: "0x00000000000001000 0x0000000000001fff 0x200\n")
        #expect(file.resources[0].start == 0x1000)
    }

    @Test func fullSixtyFourBitRangeSizeOverflows() throws {
        let text = "0x0000000000000000 0xffffffffffffffff 0x0000000000000200\n"
        let error = try #require(#expect(throws: ParseError.self) { try SysfsResourceFile(parsing: text) })
        #expect(error.line == 1)
        #expect(error.message.contains("2^64"))
    }

    @Test(arguments: [
        ("0x1000 0x1fff", "missing flags"),
        ("", "empty"),
        ("0x1000 0x1fff 0x200 0x0", "4 fields"),
        ("1000 0x1fff 0x200", "0x prefix"),
        ("0x 0x1fff 0x200", "no digits"),
    ])
    func otherMalformedLines(line: String, expected: String) throws {
        let error = try #require(#expect(throws: ParseError.self) { try SysfsResourceFile(parsing: line + "\n") })
        #expect(error.line == 1)
        #expect(error.message.contains(expected))
    }

    @Test func emptyFileIsAnError() {
        #expect(throws: ParseError.self) { try SysfsResourceFile(parsing: "") }
    }
}
