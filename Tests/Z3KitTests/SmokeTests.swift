import Testing
import Z3Kit

@Test func provesAlignmentLemma() throws {
    let ctx = Context()
    let s = try ctx.bitVectorConstant("start", width: 64)
    #expect(s.width == 64)
}
