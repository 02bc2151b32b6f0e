import TestSupport
import Testing
import PCIModel

@Suite(.timeLimit(.minutes(1))) struct ConfigSpaceTests {
    @Test func intelNICHeaderAndBARRegisters() throws {
        let config = try ConfigSpace(bytes: ConfigImage.intelX710().bytes)
        #expect(config.vendorID == 0x8086)
        #expect(config.deviceID == 0x1572)
        #expect(config.classCode == 0x02_0000)
        #expect(config.revision == 2)
        #expect(config.headerType.layout == .normal)
        #expect(config.headerType.isMultiFunction)
        #expect(config.memoryDecodeEnabled)
        #expect(config.subsystemVendorID == 0x8086)
        #expect(config.subsystemDeviceID == 0x0001)
        #expect(config.warnings.isEmpty)

        #expect(config.barRegisters.count == 6)
        let bar0 = config.barRegisters[0]
        #expect(bar0.kind == .mem64)
        #expect(bar0.prefetchable)
        #expect(bar0.address == 0x38bf_fe00_0000)
        #expect(config.barRegisters[1].isUpperHalf)
        #expect(config.barRegisters[1].kind == .none)
        #expect(config.barRegisters[2].kind == .none)  // reads 0
        #expect(config.barRegisters[3].address == 0x38bf_fe80_8000)
        #expect(config.romRegister == ROMRegister(address: 0xab58_0000, enabled: false))
        #expect(config.bridgeWindows == nil)
    }

    @Test func capabilityWalkAndMSIX() throws {
        let config = try ConfigSpace(bytes: ConfigImage.intelX710().bytes)
        #expect(config.capabilities.map(\.id) == [0x01, 0x05, 0x11, 0x10])
        #expect(config.capabilities.map(\.offset) == [0x40, 0x50, 0x70, 0xa0])
        let msix = try #require(config.msix)
        #expect(msix.capabilityOffset == 0x70)
        #expect(msix.tableBIR == 3)
        #expect(msix.tableOffset == 0)
        #expect(msix.entries == 129)
        #expect(msix.tableSize == 129 * 16)
        #expect(msix.pbaBIR == 3)
        #expect(msix.pbaOffset == 0x1000)
        #expect(msix.pbaSize == 24)  // ceil(129 / 64) * 8
        #expect(!msix.enabled)
        #expect(!msix.tableOverlapsPBA)
    }

    @Test func extendedCapabilitiesSRIOVAndResizableBAR() throws {
        let config = try ConfigSpace(bytes: ConfigImage.intelX710().bytes)
        #expect(config.extendedCapabilities.map(\.id) == [0x0001, 0x0003, 0x000e, 0x0010, 0x0015])
        #expect(config.extendedCapabilities.first?.version == 2)
        let sriov = try #require(config.sriov)
        #expect(sriov.offset == 0x160)
        #expect(sriov.totalVFs == 64)
        #expect(sriov.initialVFs == 64)
        #expect(sriov.numVFs == 0)
        #expect(sriov.firstVFOffset == 0x10)
        #expect(sriov.vfStride == 1)
        #expect(sriov.vfDeviceID == 0x154c)
        #expect(sriov.systemPageSizeBytes == 4096)
        #expect(!sriov.vfEnabled)
        #expect(sriov.vfBARRegisters.map(\.kind) == [.mem64, .none, .none, .mem64, .none, .none])
        #expect(sriov.vfBARRegisters[0].address == 0x38bf_fd40_0000)
        #expect(sriov.vfBARRegisters[3].address == 0x38bf_fe41_0000)

        #expect(config.resizableBARs == [
            ResizableBAR(barIndex: 0, supportedSizes: [1 << 20, 2 << 20, 4 << 20], currentSize: 8 << 20),
        ])
    }

    @Test func serialNumberIsZeroedForSnapshots() throws {
        let config = try ConfigSpace(bytes: ConfigImage.intelX710().bytes)
        let scrubbed = config.bytesWithSerialNumberZeroed()
        #expect(config.bytes[0x144..<0x14c].contains { $0 != 0 })
        #expect(scrubbed[0x144..<0x14c].allSatisfy { $0 == 0 })
        #expect(scrubbed[0x140..<0x144] == config.bytes[0x140..<0x144])  // header kept
        #expect(try ConfigSpace(bytes: scrubbed).extendedCapabilities == config.extendedCapabilities)
    }

    @Test func conventional256ByteImageHasNoExtendedCapabilities() throws {
        let config = try ConfigSpace(bytes: ConfigImage.intelX710(size: 256).bytes)
        #expect(config.msix?.entries == 129)
        #expect(config.extendedCapabilities.isEmpty)
        #expect(config.sriov == nil)
    }

    @Test func unprivileged64ByteImageWarnsThatCapabilitiesAreHidden() throws {
        let config = try ConfigSpace(bytes: ConfigImage.intelX710(size: 64).bytes)
        #expect(config.barRegisters[0].address == 0x38bf_fe00_0000)
        #expect(config.capabilities.isEmpty)
        #expect(config.msix == nil)
        #expect(config.warnings.count == 1)
        #expect(config.warnings.first?.location == .byteOffset(0x34))
    }

    @Test func thisMachinesVirtioNetConfig() throws {
        // First 0xa4 bytes of /sys/bus/pci/devices/0000:00:03.0/config on the development VM: virtio-net
        // (1af4:1041), BAR0 64-bit at 0x40_0010_0000, vendor capabilities, MSI-X at 0x98 with 3 vectors,
        // table at BAR0+0x8000 and PBA at BAR0+0x48000.
        var c = ConfigImage(size: 256)
        let head: [UInt8] = [
            0xf4, 0x1a, 0x41, 0x10, 0x06, 0x04, 0x10, 0x00, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
            0x04, 0x00, 0x10, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x1a, 0x41, 0x10,
            0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x09, 0x50, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00,
            0x09, 0x60, 0x10, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
            0x09, 0x70, 0x10, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
            0x09, 0x84, 0x14, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
            0x04, 0x00, 0x00, 0x00, 0x09, 0x98, 0x14, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, 0x02, 0x80, 0x00, 0x80, 0x00, 0x00,
            0x00, 0x80, 0x04, 0x00,
        ]
        c.bytes.replaceSubrange(0..<head.count, with: head)
        let config = try ConfigSpace(bytes: c.bytes)
        #expect(config.vendorID == 0x1af4)
        #expect(config.barRegisters[0].address == 0x40_0010_0000)
        #expect(config.capabilities.map(\.offset) == [0x40, 0x50, 0x60, 0x70, 0x84, 0x98])
        let msix = try #require(config.msix)
        #expect(msix.enabled)
        #expect(msix.entries == 3)
        #expect(msix.tableOffset == 0x8000)
        #expect(msix.pbaOffset == 0x48000)
        #expect(msix.tableFits(in: 0x80000))
    }

    @Test func bridgeHeaderDecodesWindowsAndTwoBARs() throws {
        var c = ConfigImage(size: 256)
        c.set16(0x00, 0x8086)
        c.set16(0x02, 0x2030)
        c.set32(0x08, 0x0604_0000)  // PCI-PCI bridge
        c.set8(0x0e, 0x01)
        c.set8(0x18, 0x00); c.set8(0x19, 0x3b); c.set8(0x1a, 0x3b)
        c.set8(0x1c, 0x11); c.set8(0x1d, 0x21)  // I/O 0x1000-0x2fff, 32-bit I/O type
        c.set16(0x30, 0x0000); c.set16(0x32, 0x0000)
        c.set16(0x20, 0xfb00); c.set16(0x22, 0xfc00)  // memory 0xfb000000-0xfc0fffff
        c.set16(0x24, 0x8001); c.set16(0x26, 0x81f1)  // prefetchable, 64-bit
        c.set32(0x28, 0x0000_38bf); c.set32(0x2c, 0x0000_38bf)
        let config = try ConfigSpace(bytes: c.bytes)
        #expect(config.headerType.layout == .bridge)
        #expect(config.barRegisters.count == 2)
        let windows = try #require(config.bridgeWindows)
        #expect(windows.io == 0x1000...0x2fff)
        #expect(windows.memory == 0xfb00_0000...0xfc0f_ffff)
        #expect(windows.prefetchable == 0x38bf_8000_0000...0x38bf_81ff_ffff)
        #expect(windows.prefetchable64Bit)
        #expect(windows.secondaryBus == 0x3b)
    }

    @Test func enhancedAllocationIsAStandardCapability() throws {
        var c = ConfigImage(size: 256)
        c.set16(0x00, 0x177d)  // Cavium, whose ThunderX SoC devices use EA
        c.set16(0x02, 0xa01e)
        c.set16(0x06, 0x0010)
        c.set8(0x34, 0x40)
        c.capability(0x14, at: 0x40, next: 0)  // PCI_CAP_ID_EA
        c.set8(0x42, 3)  // three entries
        // Entry 1 at 0x44: BAR0, non-prefetchable memory, enabled, ES=2 (base, max offset).
        c.set32(0x44, 0x8000_0002 | 0 << 4 | 0x00 << 8)
        c.set32(0x48, 0xfe00_1000)
        c.set32(0x4c, 0x0000_2ffc)  // 12 KiB: not a power of two
        // Entry 2 at 0x50: BAR2, prefetchable memory, 64-bit base and max offset, ES=4.
        c.set32(0x50, 0x8000_0004 | 2 << 4 | 0x01 << 8)
        c.set32(0x54, 0x1000_0002)  // base low | PCI_EA_IS_64
        c.set32(0x58, 0x0000_3ffe)  // max offset low | PCI_EA_IS_64
        c.set32(0x5c, 0x0000_0040)  // base high
        c.set32(0x60, 0x0000_0000)  // max offset high
        // Entry 3 at 0x64: disabled, ES=2.
        c.set32(0x64, 0x0000_0002 | 4 << 4)
        let config = try ConfigSpace(bytes: c.bytes)
        #expect(config.capabilities.map(\.id) == [0x14])
        #expect(config.enhancedAllocation.count == 3)

        let first = config.enhancedAllocation[0]
        #expect(first.target == .bar(0))
        #expect(first.kernelSlot == 0)
        let r0 = try #require(first.resource)
        #expect(r0.start == 0xfe00_1000)
        #expect(r0.end == 0xfe00_3fff)
        #expect(r0.size == 0x3000)
        #expect(!r0.isNaturallyAligned)
        #expect(r0.flags == [.mem, .pciFixed, .pciEABEI])

        let second = config.enhancedAllocation[1]
        #expect(second.size == 20)
        let r1 = try #require(second.resource)
        #expect(r1.start == 0x40_1000_0000)
        #expect(r1.size == 0x4000)
        #expect(r1.flags == [.mem, .prefetch, .mem64, .pciFixed, .pciEABEI])

        #expect(!config.enhancedAllocation[2].enabled)
        #expect(config.enhancedAllocation[2].resource == nil)
        #expect(config.warnings.isEmpty)
    }

    @Test func enhancedAllocationEntryTheKernelSkipsWarns() throws {
        var c = ConfigImage(size: 256)
        c.set16(0x00, 0x177d)
        c.set16(0x06, 0x0010)
        c.set8(0x34, 0x40)
        c.capability(0x14, at: 0x40, next: 0)
        c.set8(0x42, 1)
        c.set32(0x44, 0x8000_0001 | 0 << 4)  // ES=1 but an enabled entry reads base + max offset (ES=2)
        let config = try ConfigSpace(bytes: c.bytes)
        #expect(config.enhancedAllocation.first?.resource == nil)
        #expect(config.warnings.map(\.location) == [.byteOffset(0x44)])
    }

    // MARK: Malformed input (issue 5 acceptance list)

    @Test func seventeenByteConfigIsAnError() throws {
        let error = try #require(#expect(throws: ParseError.self) {
            try ConfigSpace(bytes: Array(ConfigImage.intelX710().bytes.prefix(17)))
        })
        #expect(error.format == .configSpace)
        #expect(error.byteOffset == 17)
        #expect(error.message.contains("17 bytes"))
    }

    @Test func capabilityPointerLoopIsAnErrorAtThePointer() throws {
        var c = ConfigImage.intelX710(size: 256)
        c.capability(0x10, at: 0xa0, next: 0x50)  // PCIe now points back to MSI
        let error = try #require(#expect(throws: ParseError.self) { try ConfigSpace(bytes: c.bytes) })
        #expect(error.byteOffset == 0xa1)
        #expect(error.message.contains("loops"))
    }

    @Test func capabilityPointingAtItselfIsALoop() throws {
        var c = ConfigImage.intelX710(size: 256)
        c.capability(0x01, at: 0x40, next: 0x40)
        let error = try #require(#expect(throws: ParseError.self) { try ConfigSpace(bytes: c.bytes) })
        #expect(error.byteOffset == 0x41)
    }

    @Test func capabilityPointerIntoTheHeaderIsAnError() throws {
        var c = ConfigImage.intelX710(size: 256)
        c.set8(0x34, 0x10)
        let error = try #require(#expect(throws: ParseError.self) { try ConfigSpace(bytes: c.bytes) })
        #expect(error.byteOffset == 0x34)
        #expect(error.message.contains("standard header"))
    }

    @Test func capabilityPointerWithReservedBitsWarnsAndIsMasked() throws {
        var c = ConfigImage.intelX710(size: 256)
        c.set8(0x34, 0x43)
        let config = try ConfigSpace(bytes: c.bytes)
        #expect(config.capabilities.first?.offset == 0x40)
        #expect(config.warnings.map(\.location) == [.byteOffset(0x34)])
    }

    @Test func msixTableBIR7IsAnErrorAtTheTableRegister() throws {
        var c = ConfigImage.intelX710()
        c.set32(0x74, 0x0000_0007)
        let error = try #require(#expect(throws: ParseError.self) { try ConfigSpace(bytes: c.bytes) })
        #expect(error.byteOffset == 0x74)
        #expect(error.message.contains("BIR 7"))
    }

    @Test func msixPBABIR6IsAnErrorAtThePBARegister() throws {
        var c = ConfigImage.intelX710()
        c.set32(0x78, 0x0000_1006)
        let error = try #require(#expect(throws: ParseError.self) { try ConfigSpace(bytes: c.bytes) })
        #expect(error.byteOffset == 0x78)
    }

    @Test func msixInTheUpperHalfOfA64BitBARWarns() throws {
        var c = ConfigImage.intelX710()
        c.set32(0x74, 0x0000_0004)  // BIR 4: BAR3's upper half
        let config = try ConfigSpace(bytes: c.bytes)
        #expect(config.warnings.map(\.location) == [.byteOffset(0x74)])
    }

    @Test func extendedCapabilityLoopIsAnError() throws {
        var c = ConfigImage.intelX710()
        c.extendedCapability(0x0015, at: 0x1a0, next: 0x140)
        let error = try #require(#expect(throws: ParseError.self) { try ConfigSpace(bytes: c.bytes) })
        #expect(error.byteOffset == 0x1a2)
        #expect(error.message.contains("loops"))
    }

    @Test func extendedCapabilityPointerBelow0x100IsAnError() throws {
        var c = ConfigImage.intelX710()
        c.extendedCapability(0x0001, version: 2, at: 0x100, next: 0x0fc)
        let error = try #require(#expect(throws: ParseError.self) { try ConfigSpace(bytes: c.bytes) })
        #expect(error.byteOffset == 0x102)
    }

    @Test func absentDeviceReadsAllOnes() throws {
        let error = try #require(#expect(throws: ParseError.self) {
            try ConfigSpace(bytes: Array(repeating: 0xff, count: 256))
        })
        #expect(error.byteOffset == 0)
    }

    @Test func reservedHeaderLayoutIsAnError() throws {
        var c = ConfigImage.intelX710(size: 64)
        c.set8(0x0e, 0x05)
        let error = try #require(#expect(throws: ParseError.self) { try ConfigSpace(bytes: c.bytes) })
        #expect(error.byteOffset == 0x0e)
    }

    @Test(arguments: [0, 1, 63, 65, 255, 257, 1024, 4095, 4097, 8192])
    func everyOtherLengthIsAnError(length: Int) throws {
        let error = try #require(#expect(throws: ParseError.self) {
            try ConfigSpace(bytes: Array(repeating: 0, count: length))
        })
        #expect(error.byteOffset == length)
    }

    /// Random bytes behind a valid header must give a value or a ParseError, never a crash.
    @Test func randomImagesNeverCrash() {
        var rng = SplitMix64(seed: 0x5eed)
        for size in [64, 256, 4096] {
            for _ in 0..<300 {
                var bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                bytes[0] = 0x86; bytes[1] = 0x80
                bytes[0x0e] = UInt8(rng.next() % 3)
                bytes[0x06] |= 0x10
                _ = try? ConfigSpace(bytes: bytes)
            }
        }
    }
}
