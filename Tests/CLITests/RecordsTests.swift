import Foundation
import Testing

/// The drift gate states what it compared, records compare a check's meaning, and a spec's records
/// are replaced as a unit, never deleting what is not barproof's. Serialized: two cores.
@Suite(.serialized, .timeLimit(.minutes(3))) struct RecordsTests {
    static let fastSpec = ProveCommandTests.fastSpec

    /// `fast.yaml` recorded under `specs/proofs`.
    func recorded(_ specs: SpecDirectory, _ text: String = fastSpec) throws -> (spec: String, proofs: String) {
        let path = try specs.write("fast", text)
        let proofs = specs.path("proofs")
        let run = try BarproofRun.run(["prove", path, "--record", "--proofs", proofs])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        return (path, proofs)
    }

    func prove(_ arguments: [String], in directory: URL = BarproofRun.repository) throws -> BarproofRun {
        try BarproofRun.run(["prove"] + arguments, in: directory)
    }

    // MARK: What was compared

    @Test func explicitProofsDirectoryThatDoesNotExistIsAUsageError() throws {
        let specs = try SpecDirectory()
        let path = try specs.write("fast", Self.fastSpec)
        let run = try prove([path, "--proofs", specs.path("proofz")])
        #expect(run.status == 64, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("--proofs \(specs.path("proofz")): no such directory"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test func missingDefaultProofsIsStatedAndRequireRecordsFails() throws {
        let specs = try SpecDirectory()
        try FileManager.default.removeItem(atPath: specs.path("proofs"))
        let path = try specs.write("fast", Self.fastSpec)
        let run = try prove([path], in: specs.url)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.hasSuffix("records: no records compared (no proofs/ directory here)\n"), "\(run.stdout)")

        let required = try prove([path, "--require-records"], in: specs.url)
        #expect(required.status == 1, "\(required.stdout)\(required.stderr)")
        #expect(required.stdout.contains("2 checks: 0 as expected, 2 failed (2 without a record)"), "\(required.stdout)")
        #expect(required.stdout.contains("record: no record proofs/fast/unsafe.json (--require-records)"), "\(required.stdout)")
    }

    @Test func countIsInTextJSONAndSARIF() throws {
        let specs = try SpecDirectory()
        let (path, proofs) = try recorded(specs)
        let text = try prove([path, "--proofs", proofs])
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        #expect(text.stdout.hasSuffix("records: 2 of 2 checks compared with \(proofs)/\n"), "\(text.stdout)")

        let json = try prove([path, "--proofs", proofs, "--format", "json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let records = try #require(document["records"] as? [String: Any])
        #expect(records["compared"] as? Int == 2)
        #expect(records["checks"] as? Int == 2)
        #expect(records["without_record"] as? Int == 0)
        #expect(records["found"] as? Bool == true)
        #expect(records["directory"] as? String == proofs)
        let checks = try #require(document["checks"] as? [[String: Any]])
        #expect(checks.map { $0["record"] as? String } == ["compared", "compared"])

        let sarif = try prove([path, "--proofs", proofs, "--format", "sarif"])
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let properties = try #require(run["properties"] as? [String: Any])
        #expect(properties["recordsCompared"] as? Int == 2)
        #expect(properties["recordsChecks"] as? Int == 2)
        #expect(properties["records"] as? String == "records: 2 of 2 checks compared with \(proofs)/")
    }

    // MARK: Meaning, not bytes

    @Test func commentAndKeyOrderAreNotDrift() throws {
        let specs = try SpecDirectory()
        let (path, proofs) = try recorded(specs)
        let edited = "# a comment the records must not see\n" + Self.fastSpec
            .replacingOccurrences(of: "    invariant: msix-needs-filtering\n    platform:\n      msi_isolated: no\n      allow_unsafe_interrupts: yes\n",
                                  with: "    platform:\n      allow_unsafe_interrupts: yes   # reordered\n      msi_isolated: no\n    invariant: msix-needs-filtering\n")
            .replacingOccurrences(of: "page_sizes: [4K]", with: "page_sizes: [4096]")
        #expect(edited.contains("# reordered"))
        _ = try specs.write("fast", edited)
        let run = try prove([path, "--proofs", proofs])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!run.stdout.contains("drift"), "\(run.stdout)")
        #expect(run.stdout.contains("records: 2 of 2 checks compared"), "\(run.stdout)")
    }

    @Test func changedValueIsDrift() throws {
        let specs = try SpecDirectory()
        let (path, proofs) = try recorded(specs)
        // A search bound: the verdict stays, the check is not the one recorded.
        _ = try specs.write("fast", Self.fastSpec.replacingOccurrences(of: "checks:\n", with: "search: {devices: 2}\nchecks:\n"))
        let run = try prove([path, "--proofs", proofs])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("drift: fast/safe no longer matches its recorded proof"), "\(run.stdout)")
        #expect(run.stdout.contains("- check_sha256: "), "\(run.stdout)")
        #expect(run.stdout.contains("(2 drifted from their records)"), "\(run.stdout)")
    }

    @Test func formatOneRecordIsReadWithANote() throws {
        let specs = try SpecDirectory()
        let (path, proofs) = try recorded(specs)
        let record = proofs + "/fast/safe.json"
        var text = try String(contentsOfFile: record, encoding: .utf8)
        #expect(text.contains("\"schema\" : \"barproof-proof-record\",\n  \"schema_version\" : 3,\n"), "\(text)")
        text = text.replacingOccurrences(of: "\"schema\" : \"barproof-proof-record\",\n  \"schema_version\" : 3,\n", with: "\"format\" : 1,\n")
            .replacingOccurrences(of: "\"check_sha256\"", with: "\"spec_sha256\"")
        try Data(text.utf8).write(to: URL(fileURLWithPath: record))
        let run = try prove([path, "--proofs", proofs])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("note: \(record) is record format 1: its spec_sha256 is not compared; re-record"), "\(run.stdout)")

        let three = text.replacingOccurrences(of: "\"format\" : 1", with: "\"format\" : 3")
        try Data(three.utf8).write(to: URL(fileURLWithPath: record))
        let newer = try prove([path, "--proofs", proofs])
        #expect(newer.status == 65, "\(newer.stdout)\(newer.stderr)")
        // At the format's value, not at 1:1.
        let line = try #require(three.components(separatedBy: "\n").firstIndex { $0.contains("\"format\" : 3") }) + 1
        #expect(newer.stderr.contains("\(record):\(line):14: error: not a barproof proof record: record format 3 is not one this barproof reads"),
                "\(newer.stderr)")
    }

    /// A version 2 record (`"format": 2`, before the schema header) is compared on the same
    /// fields as version 3: no drift, and no note asking to re-record.
    @Test func formatTwoRecordComparesWithoutDriftOrNote() throws {
        let specs = try SpecDirectory()
        let (path, proofs) = try recorded(specs)
        for name in ["safe", "unsafe"] {
            let record = proofs + "/fast/\(name).json"
            let text = try String(contentsOfFile: record, encoding: .utf8)
            let two = text.replacingOccurrences(of: "\"schema\" : \"barproof-proof-record\",\n  \"schema_version\" : 3,\n", with: "\"format\" : 2,\n")
            #expect(two != text)
            try Data(two.utf8).write(to: URL(fileURLWithPath: record))
        }
        let run = try prove([path, "--proofs", proofs])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!run.stdout.contains("drift"), "\(run.stdout)")
        #expect(!run.stdout.contains("note:"), "\(run.stdout)")
        #expect(run.stdout.contains("records: 2 of 2 checks compared"), "\(run.stdout)")
    }

    // MARK: Missing and broken records

    @Test func missingRecordBesideOthersFails() throws {
        let specs = try SpecDirectory()
        let (path, proofs) = try recorded(specs)
        try FileManager.default.removeItem(atPath: proofs + "/fast/safe.json")
        let run = try prove([path, "--proofs", proofs])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("record: no record \(proofs)/fast/safe.json, though other checks of fast have one"), "\(run.stdout)")
        #expect(run.stdout.contains("records: 1 of 2 checks compared with \(proofs)/ (1 without a record)"), "\(run.stdout)")
    }

    @Test func garbageOrUnreadableRecordIsBadInputNamingTheFile() throws {
        let specs = try SpecDirectory()
        let (path, proofs) = try recorded(specs)
        let record = proofs + "/fast/unsafe.json"
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: record))
        let garbage = try prove([path, "--proofs", proofs])
        #expect(garbage.status == 65, "\(garbage.stdout)\(garbage.stderr)")
        #expect(garbage.stderr.contains("\(record):1:3: error: not a barproof proof record: expected a key (a string in double quotes), found 'n'"),
                "\(garbage.stderr)")

        // A record that cannot be read (here a directory; for a user, also a file without read
        // permission) is an error, not an absent record.
        try FileManager.default.removeItem(atPath: record)
        try FileManager.default.createDirectory(atPath: record, withIntermediateDirectories: false)
        let unreadable = try prove([path, "--proofs", proofs])
        #expect(unreadable.status == 65, "\(unreadable.stdout)\(unreadable.stderr)")
        #expect(unreadable.stderr.contains("\(record):1:1: error: cannot read the record"), "\(unreadable.stderr)")
    }

    // MARK: Records as a unit

    @Test func inconclusiveChecksKeepTheirRecords() throws {
        let specs = try SpecDirectory()
        let spec = """
            policy: rfc-v4
            platform: {page_sizes: [64K]}
            checks:
              - {invariant: page-exclusive, expect: proved}
              - {name: bounded, invariant: mmap-within-bar, expect: proved}
            """
        let path = try specs.write("slow", spec)
        let proofs = specs.path("proofs")
        #expect(try BarproofRun.run(["prove", path, "--record", "--proofs", proofs]).status == 0)
        let folder = proofs + "/slow"
        let before = try snapshot(folder)
        #expect(before.keys.contains("page-exclusive.json") && before.keys.contains("bounded.json"))

        let run = try BarproofRun.run(["prove", path, "--record", "--timeout-ms", "1", "--proofs", proofs], timeout: .seconds(60))
        #expect(run.status == 2, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("not recorded: slow/page-exclusive is inconclusive; its previous record is kept"), "\(run.stderr)")
        #expect(try snapshot(folder) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: proofs) == ["slow"], "no staging folder left")
    }

    @Test func folderHoldingAForeignFileIsRefusedAndLeftAlone() throws {
        let specs = try SpecDirectory()
        let (path, proofs) = try recorded(specs)
        let folder = proofs + "/fast"
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
        let before = try snapshot(folder)
        let run = try BarproofRun.run(["prove", path, "--record", "--proofs", proofs])
        #expect(run.status == 65, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("\(folder):1:1: error: refusing to replace this folder"), "\(run.stderr)")
        #expect(run.stderr.contains("it holds 'notes.txt'"), "\(run.stderr)")
        #expect(run.stdout.isEmpty, "refused before solving")
        #expect(try snapshot(folder) == before)

        // `--proofs .` with a spec named like a source folder: the folder is not barproof's.
        let project = try SpecDirectory()
        try FileManager.default.createDirectory(atPath: project.path("Tests/Unit"), withIntermediateDirectories: true)
        try Data("// code\n".utf8).write(to: URL(fileURLWithPath: project.path("Tests/Unit/a.swift")))
        let tests = try project.write("Tests", Self.fastSpec)
        let dot = try BarproofRun.run(["prove", tests, "--record", "--proofs", "."], in: project.url)
        #expect(dot.status == 65, "\(dot.stdout)\(dot.stderr)")
        #expect(FileManager.default.fileExists(atPath: project.path("Tests/Unit/a.swift")))
    }

    @Test func staleStagingFoldersAreRemoved() throws {
        let specs = try SpecDirectory()
        let (path, proofs) = try recorded(specs)
        // A pid that has exited: a short child's.
        let child = try BarproofRun.run(program: URL(fileURLWithPath: "/bin/sh"), ["-c", "echo $$"])
        let pid = try #require(Int(child.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let stale = proofs + "/.fast.staging-\(pid)"
        try FileManager.default.createDirectory(atPath: stale, withIntermediateDirectories: false)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: stale + "/safe.json"))
        // A stale folder that holds something else is not barproof's to delete.
        let foreign = proofs + "/.other.staging-\(pid)"
        try FileManager.default.createDirectory(atPath: foreign + "/sub", withIntermediateDirectories: true)

        let run = try BarproofRun.run(["prove", path, "--record", "--proofs", proofs])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: foreign + "/sub"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: proofs).sorted() == [".other.staging-\(pid)", "fast"])
        #expect(try prove([path, "--proofs", proofs, "--require-records"]).status == 0)
    }

    @Test func longCheckNameIsRejectedAtItsPlace() throws {
        let specs = try SpecDirectory()
        let long = String(repeating: "n", count: 101)
        let path = try specs.write("long", """
            policy: mainline
            checks:
              - name: \(long)
                invariant: mmap-within-bar
                expect: proved
            """)
        let run = try prove([path, "--proofs", specs.path("proofs")])
        #expect(run.status == 65, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("\(path):3:11: error: check name 'nnnnnnnnnnnnnnnnnnnnnnnn...' is 101 bytes; at most 100"), "\(run.stderr)")
    }

    /// Every file of a folder, by name, with its bytes.
    func snapshot(_ folder: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            out[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return out
    }
}
