import Foundation
import TestSupport
import Testing

/// Every JSON document barproof writes validates against its JSON Schema in `schemas/` (checked by
/// `schemas/validate.py` with the Python `jsonschema` library): `prove --format json`, the proof
/// records, `search --format json` and a fixture's `topology.json`. Each schema also rejects a
/// broken document (an address as a number, a wrong version), so the checks can fail; and a
/// version 1 `topology.json` is still audited.
///
/// Time limit: about 15 s on a loaded 2-core machine (a shipped spec proved, two small searches,
/// a dozen validator runs), hence 2 minutes.
@Suite(.serialized, .timeLimit(.minutes(2))) struct JSONSchemaTests {
    static let schemas = BarproofRun.repository.appendingPathComponent("schemas")


    /// Runs `validate.py` on files against `schemas/<name>.schema.json`: exit 0 when all are valid,
    /// 1 with one line per error when not.
    func validate(_ name: String, _ paths: [String]) throws -> BarproofRun {
        let python = try #require(SARIFSchemaTests.python, "no python3 with jsonschema: run scripts/ensure-deps.sh (python3-jsonschema)")
        return try BarproofRun.run(program: URL(fileURLWithPath: "/usr/bin/env"),
                                   python + [Self.schemas.appendingPathComponent("validate.py").path,
                                             Self.schemas.appendingPathComponent("\(name).schema.json").path] + paths)
    }

    /// `document` written under `specs`, then validated.
    func validate(_ name: String, document: String, in specs: SpecDirectory) throws -> BarproofRun {
        let path = specs.path("document-\(UUID().uuidString).json")
        try Data(document.utf8).write(to: URL(fileURLWithPath: path))
        return try validate(name, [path])
    }

    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func text(_ object: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// A refuted search with fixtures written under `specs/fixtures`: its stdout and the fixture's topology.json.
    func search(_ specs: SpecDirectory) throws -> (json: String, topology: String) {
        let path = try specs.write("small", SearchCommandTests.spec)
        let run = try BarproofRun.run(["search", path, "--check", "without-reservation", "--minimize", "--format", "json",
                                       "--out", specs.path("fixtures")])
        #expect(run.status == 0, "\(run.stderr)")
        return (run.stdout, specs.path("fixtures/small-without-reservation-1/topology.json"))
    }

    // MARK: prove --format json

    @Test func proveJSONValidates() throws {
        let specs = try SpecDirectory()
        let shipped = try BarproofRun.run(["prove", "Specs/mainline.yaml", "--format", "json", "--jobs", "2"])
        #expect(shipped.status == 0, "\(shipped.stderr)")
        let valid = try validate("barproof-prove", document: shipped.stdout, in: specs)
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
        #expect(valid.stdout.contains("valid (Draft202012Validator)"))

        // A missed expectation: a counterexample, a failed status, no records folder.
        let wrong = try specs.write("wrong", ProveCommandTests.fastSpec.replacingOccurrences(of: "expect: refuted", with: "expect: proved"))
        let failed = try BarproofRun.run(["prove", wrong, "--format", "json", "--proofs", specs.path("proofs")])
        #expect(failed.status == 1, "\(failed.stderr)")
        #expect(try validate("barproof-prove", document: failed.stdout, in: specs).status == 0)

        var broken = try object(shipped.stdout)
        broken["total_seconds"] = "12"
        let rejected = try validate("barproof-prove", document: try text(broken), in: specs)
        #expect(rejected.status == 1, "\(rejected.stdout)\(rejected.stderr)")
        #expect(rejected.stdout.contains("total_seconds: '12' is not of type 'number'"), "\(rejected.stdout)")
    }

    // MARK: Proof records

    @Test func proofRecordsValidate() throws {
        let specs = try SpecDirectory()
        let proofs = BarproofRun.repository.appendingPathComponent("proofs")
        let shipped = try FileManager.default.subpathsOfDirectory(atPath: proofs.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(shipped.count > 50)
        let valid = try validate("barproof-proof-record", shipped.map { proofs.appendingPathComponent($0).path })
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")

        // Freshly recorded by this binary.
        let path = try specs.write("fast", ProveCommandTests.fastSpec)
        let record = try BarproofRun.run(["prove", path, "--record", "--proofs", specs.path("proofs")])
        #expect(record.status == 0, "\(record.stdout)\(record.stderr)")
        let fresh = [specs.path("proofs/fast/safe.json"), specs.path("proofs/fast/unsafe.json")]
        #expect(try validate("barproof-proof-record", fresh).status == 0)

        // A version 2 header is not version 3.
        var broken = try object(try String(contentsOfFile: fresh[0], encoding: .utf8))
        broken["format"] = 2
        let rejected = try validate("barproof-proof-record", document: try text(broken), in: specs)
        #expect(rejected.status == 1, "\(rejected.stdout)\(rejected.stderr)")
        #expect(rejected.stdout.contains("Additional properties are not allowed ('format' was unexpected)"), "\(rejected.stdout)")
    }

    // MARK: search --format json and topology.json

    @Test func searchJSONAndTopologyValidate() throws {
        let specs = try SpecDirectory()
        let (json, topology) = try search(specs)
        let search = try validate("barproof-search", document: json, in: specs)
        #expect(search.status == 0, "\(search.stdout)\(search.stderr)")
        let fixture = try validate("barproof-topology", [topology])
        #expect(fixture.status == 0, "\(fixture.stdout)\(fixture.stderr)")

        // An address as a number, in each.
        var document = try object(json)
        var checks = try #require(document["checks"] as? [[String: Any]])
        var entries = try #require(checks[0]["counterexamples"] as? [[String: Any]])
        var cx = try #require(entries[0]["counterexample"] as? [String: Any])
        var exposed = try #require(cx["exposed"] as? [String: Any])
        exposed["start"] = 2_147_483_648
        cx["exposed"] = exposed
        entries[0]["counterexample"] = cx
        checks[0]["counterexamples"] = entries
        document["checks"] = checks
        let rejected = try validate("barproof-search", document: try text(document), in: specs)
        #expect(rejected.status == 1, "\(rejected.stdout)\(rejected.stderr)")
        #expect(rejected.stdout.contains("checks/0/counterexamples/0/counterexample/exposed/start: 2147483648 is not of type 'string'"),
                "\(rejected.stdout)")

        var fixtureDocument = try object(try String(contentsOfFile: topology, encoding: .utf8))
        var counterexample = try #require(fixtureDocument["counterexample"] as? [String: Any])
        var machine = try #require(counterexample["topology"] as? [String: Any])
        machine["page_size"] = 65536
        counterexample["topology"] = machine
        fixtureDocument["counterexample"] = counterexample
        let brokenFixture = try validate("barproof-topology", document: try text(fixtureDocument), in: specs)
        #expect(brokenFixture.status == 1, "\(brokenFixture.stdout)\(brokenFixture.stderr)")
        #expect(brokenFixture.stdout.contains("counterexample/topology/page_size: 65536 is not of type 'string'"), "\(brokenFixture.stdout)")
    }

    /// A topology.json as barproof 0.1.0 wrote it (schema `barproof-topology/1`, camelCase,
    /// numbers) is still audited, as its version 2 twin is; and the version 2 schema rejects it.
    @Test func versionOneTopologyIsStillAudited() throws {
        let specs = try SpecDirectory()
        let (_, topology) = try search(specs)
        let v1 = specs.path("topology-v1.json")
        try TopologyV1.from(Data(contentsOf: URL(fileURLWithPath: topology))).write(to: URL(fileURLWithPath: v1))
        let arguments = ["audit", "--policy", "mainline", "--drop", "subpage-reservation", "--page-size", "65536", "--msi-isolated", "yes"]
        let current = try BarproofRun.run(arguments + [topology])
        let old = try BarproofRun.run(arguments + [v1])
        #expect(current.status == 1, "\(current.stdout)\(current.stderr)")
        #expect(old.status == 1, "\(old.stdout)\(old.stderr)")
        #expect(old.stdout.contains("page-exclusive"), "\(old.stdout)")
        #expect(old.stdout == current.stdout.replacingOccurrences(of: topology, with: v1))
        #expect(try validate("barproof-topology", [v1]).status == 1)
    }
}
