import Foundation
import Testing

/// The SARIF that `barproof prove` and `barproof audit` print validates against the OASIS SARIF 2.1.0
/// JSON schema shipped in `Schemas/`, checked by the Python `jsonschema` library (`schemas/validate.py`
/// at the top of the repository, which also checks barproof's own documents: `JSONSchemaTests`);
/// a broken document is rejected, so the check can fail.
@Suite(.serialized, .timeLimit(.minutes(1))) struct SARIFSchemaTests {
    static let schemas = BarproofRun.repository.appendingPathComponent("Tests/CLITests/Schemas")
    static let schema = schemas.appendingPathComponent("sarif-schema-2.1.0.json")
    static let validator = BarproofRun.repository.appendingPathComponent("schemas/validate.py")

    /// A Python interpreter that has `jsonschema`: `BARPROOF_PYTHON`, else `python3` on `PATH`, else
    /// Debian's `/usr/bin/python3` (where `scripts/ensure-deps.sh` installs `python3-jsonschema`).
    static let python: [String]? = {
        var candidates = [["python3"], ["/usr/bin/python3"]]
        if let python = ProcessInfo.processInfo.environment["BARPROOF_PYTHON"] { candidates.insert([python], at: 0) }
        return candidates.first { candidate in
            (try? BarproofRun.run(program: URL(fileURLWithPath: "/usr/bin/env"), candidate + ["-c", "import jsonschema"]))?
                .status == 0
        }
    }()

    /// Runs `validate.py` on `document` (written to a file) and returns its run: exit 0 when valid,
    /// 1 with one line per error when not.
    func validate(_ document: String, in specs: SpecDirectory) throws -> BarproofRun {
        let python = try #require(Self.python, "no python3 with jsonschema: run scripts/ensure-deps.sh (python3-jsonschema)")
        let path = specs.path("document-\(UUID().uuidString).sarif")
        try Data(document.utf8).write(to: URL(fileURLWithPath: path))
        return try BarproofRun.run(program: URL(fileURLWithPath: "/usr/bin/env"),
                                   python + [Self.validator.path, Self.schema.path, path])
    }

    func wrongSpec(_ specs: SpecDirectory) throws -> String {
        try specs.write("wrong", ProveCommandTests.fastSpec.replacingOccurrences(of: "expect: refuted", with: "expect: proved"))
    }

    func results(_ sarif: String) throws -> [[String: Any]] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(sarif.utf8)) as? [String: Any])
        let run = try #require((json["runs"] as? [[String: Any]])?.first)
        return try #require(run["results"] as? [[String: Any]])
    }

    /// A passing run: rules and tool, no results. One shipped spec gives the same document shape
    /// as all of them (every spec is proved elsewhere in the suite and by `make test`).
    @Test func shippedSpecSARIFValidates() throws {
        let specs = try SpecDirectory()
        let run = try BarproofRun.run(["prove", "Specs/mainline.yaml", "--format", "sarif", "--jobs", "2"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try results(run.stdout).isEmpty)
        let validation = try validate(run.stdout, in: specs)
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")
        #expect(validation.stdout.contains("valid (Draft4Validator)"))
    }

    @Test func failedExpectationSARIFValidates() throws {
        let specs = try SpecDirectory()
        let run = try BarproofRun.run(["prove", try wrongSpec(specs), "--format", "sarif", "--proofs", specs.path("proofs")])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(try results(run.stdout).map { $0["level"] as? String } == ["error"])
        let validation = try validate(run.stdout, in: specs)
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")
    }

    @Test func unknownVerdictSARIFValidates() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("slow", """
            policy: rfc-v4
            platform: {page_sizes: [64K]}
            checks:
              - {invariant: page-exclusive, expect: proved}
            """)
        let run = try BarproofRun.run(["prove", path, "--format", "sarif", "--timeout-ms", "1", "--proofs", specs.path("proofs")])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(try results(run.stdout).map { $0["level"] as? String } == ["warning"])
        let validation = try validate(run.stdout, in: specs)
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")
    }

    @Test func auditSARIFValidates() throws {
        let specs = try SpecDirectory()
        let snapshot = BarproofRun.repository.appendingPathComponent("Tests/AuditTests/Fixtures/dev-vm-snapshot.json").path
        let run = try BarproofRun.run(["audit", snapshot, "--format", "sarif", "--msi-isolated", "no", "--allow-unsafe-interrupts"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(try !results(run.stdout).isEmpty)
        let validation = try validate(run.stdout, in: specs)
        #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")
    }

    /// The negative control: our own output with one value the schema forbids must be rejected,
    /// naming the value and where it is.
    @Test func brokenSARIFIsRejected() throws {
        let specs = try SpecDirectory()
        let run = try BarproofRun.run(["prove", try wrongSpec(specs), "--format", "sarif", "--proofs", specs.path("proofs")])
        var json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        var runs = try #require(json["runs"] as? [[String: Any]])
        var results = try #require(runs[0]["results"] as? [[String: Any]])
        try #require(!results.isEmpty)
        results[0]["level"] = "fatal"
        runs[0]["results"] = results
        json["runs"] = runs
        let broken = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        let validation = try validate(broken, in: specs)
        #expect(validation.status == 1, "\(validation.stdout)\(validation.stderr)")
        #expect(validation.stdout.contains("runs/0/results/0/level: 'fatal' is not one of"))
    }
}
