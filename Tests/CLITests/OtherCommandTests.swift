import Foundation
import Testing

@Suite(.serialized) struct OtherCommandTests {
    @Test func listNamesEveryPolicyInvariantAndAssumption() throws {
        let run = try BarproofRun.run(["list"])
        #expect(run.status == 0)
        for name in ["legacy:", "rfc-v4:", "mainline:", "subpage-reservation:", "page-exclusive:", "msix-needs-filtering:",
                     "mmap-within-bar:", "natural-alignment:", "source: vfio_pci_probe_mmaps"] {
            #expect(run.stdout.contains(name), "missing \(name)")
        }
    }

    @Test func explainShowsDependenciesOrCounterexample() throws {
        let proved = try BarproofRun.run(["explain", "mainline", "msix-safe-interrupts"])
        #expect(proved.status == 0)
        #expect(proved.stdout.contains("mainline/msix-safe-interrupts: proved (as expected)"))
        #expect(proved.stdout.contains("    mainline.attach-isolated-msi: "))
        #expect(proved.stdout.contains("vacuity witness: present"))

        let refuted = try BarproofRun.run(["explain", "Specs/mainline.yaml", "msix-unsafe-interrupts"])
        #expect(refuted.status == 0)
        #expect(refuted.stdout.contains("refuted (as expected)"))
        #expect(refuted.stdout.contains("allowed by: mainline."))
        #expect(refuted.stdout.contains("MSI-X table in BAR"))
    }

    /// Exported queries give the same answer in z3 and cvc5 (skipped where either is missing):
    /// one proved check (all unsat) and one refuted check (sat and unsat cases). The other
    /// shipped queries take the z3 executable up to 13 s each, too slow for a unit test.
    @Test(arguments: ["msix-safe-interrupts", "page-exclusive-without-reservation"])
    func exportedQueriesAgreeInZ3AndCVC5(check: String) throws {
        let specs = try SpecDirectory()
        let out = specs.path("smt2")
        let run = try BarproofRun.run(["export-smt2", "mainline", check, "--out", out])
        #expect(run.status == 0)
        let files = run.stdout.split(separator: "\n").map(String.init)
        #expect(files.count == (check == "msix-safe-interrupts" ? 8 : 4))
        guard let z3 = Self.tool("z3"), let cvc5 = Self.tool("cvc5") else { return }
        for file in files {
            let z3Answer = try Self.answer(z3, [file])
            let cvc5Answer = try Self.answer(cvc5, ["--lang=smt2", file])
            #expect(["sat", "unsat"].contains(z3Answer), "\(file): z3 said \(z3Answer)")
            #expect(z3Answer == cvc5Answer, "\(file): z3 \(z3Answer), cvc5 \(cvc5Answer)")
        }
    }

    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func answer(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }
}
