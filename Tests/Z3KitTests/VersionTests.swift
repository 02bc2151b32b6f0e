import Testing
import Z3Kit

@Suite("Z3 version read from the library at run time", .timeLimit(.minutes(1)))
struct VersionTests {
    @Test("fullVersion starts with a digit and agrees with version")
    func versionsAgree() {
        let full = Context.fullVersion
        let version = Context.version
        #expect(full.first?.isNumber == true, "Z3_get_full_version gave \(full)")
        #expect(full.hasPrefix(version), "full version \(full) does not start with \(version)")
        let parts = version.split(separator: ".")
        #expect(parts.count == 4 && parts.allSatisfy { UInt32($0) != nil }, "version \(version) is not major.minor.build.revision")
        #expect(parts.first.flatMap { UInt32($0) }.map { $0 >= 4 } == true, "Z3 \(version) is older than 4")
    }
}
