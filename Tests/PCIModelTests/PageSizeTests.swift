import Testing
import PCIModel

@Test(.timeLimit(.minutes(1))) func pageRoundingMatchesKernelMacros() {
    let ps = PageSize.kib64
    #expect(ps.pageDown(0x1_2345) == 0x1_0000)
    #expect(ps.pageUp(0x1_2345) == 0x2_0000)
    #expect(ps.pageUp(0x2_0000) == 0x2_0000)
    #expect(ps.pageUp(UInt64.max) == 0)  // u64 wrap, as PAGE_ALIGN in the kernel
    #expect(PageSize(rawValue: 12288) == nil)
}
