import Foundation
import TestSupport
import Testing

/// The rule that keeps the suite from hanging: every `@Suite` in every test target has a
/// `.timeLimit`, and so does every `@Test` outside a `@Suite` (see `TimeLimitCheck`). A new suite
/// without one fails here, naming its file and line.
@Suite(.timeLimit(.minutes(1)))
struct TimeLimitRuleTests {
    @Test func everySuiteAndFreeTestInTestsHasATimeLimit() throws {
        let tests = BarproofRun.repository.appendingPathComponent("Tests")
        let findings = try TimeLimitCheck.findings(under: tests)
        #expect(findings.isEmpty, "add .timeLimit(.minutes(N)) to:\n\(findings.map(\.description).joined(separator: "\n"))")
        // The scan did see the test files (a wrong path would find nothing to complain about).
        let files = try FileManager.default.subpathsOfDirectory(atPath: tests.path).filter { $0.hasSuffix("Tests.swift") }
        #expect(files.count > 40)
        #expect(files.contains("CLITests/TimeLimitRuleTests.swift"))
    }

    /// The check itself catches what it should, and only that.
    @Test func checkFindsMissingLimitsAndNothingElse() {
        let source = #"""
            import Testing

            @Suite struct NoLimit {                                   // line 3: finding
                @Test func a() {}
            }

            @Suite(.serialized, .timeLimit(.minutes(2))) struct Limited {
                @Test("a name with .timeLimit in it") func b() {}
                @Suite struct Nested { @Test func c() {} }            // line 9: finding (nested suite)
                struct Plain { @Test func d() {} }                    // inside a @Suite: bounded
            }

            @Test func free() {}                                      // line 13: finding
            @Test(.timeLimit(.minutes(1))) func freeLimited() {}

            struct ImplicitSuite {
                @Test func e() {}                                     // line 17: finding
                @Test(.timeLimit(.minutes(1))) func f() {}
            }

            // @Suite struct InAComment {}
            /* @Test func inABlockComment() {} /* nested */ @Test */
            let text = "@Suite struct InAString { \(1 + (2)) }"
            let raw = #"@Test "quoted" \(x)"#
            let multi = """
                @Suite struct InAMultiLineString {} \(f("}")) "
                """
            @Suite(.enabled(if: { true }()), .timeLimit(.minutes(3)))
            enum WithClosureTrait { @Test func g() {} }
            extension WithClosureTrait {
                @Test func h() {}                                     // line 31: finding (extension)
            }
            """#
        let findings = TimeLimitCheck.findings(in: source, file: "Sample.swift")
        #expect(findings.map(\.line) == [3, 9, 13, 17, 31], "\(findings)")
        #expect(findings.first?.description == "Sample.swift:3: @Suite without .timeLimit")
        #expect(findings.dropFirst(2).first?.message == "@Test outside any @Suite without .timeLimit")
    }
}
