import Foundation
import Testing

/// JSON inputs (snapshots and topologies for `audit`, proof records for `prove`) are bad input at
/// the line and column of the problem, duplicate keys included, never a decoder's dump.
@Suite("JSON inputs", .timeLimit(.minutes(2)))
struct JSONInputTests {
    static let snapshot = """
        {
          "schema": "barproof-snapshot/1",
          "pageSize": 4096,
          "kernelParameters": [],
          "iomem": "",
          "devices": {
            "0000:00:01.0": {
              "resource": "",
              "config": ""
            }
          }
        }

        """

    func audit(_ text: String, name: String = "input.json") throws -> (run: BarproofRun, path: String) {
        let folder = try SpecDirectory()
        let path = folder.path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return (try BarproofRun.run(["audit", path]), path)
    }

    @Test("a snapshot that is not JSON: the line and column of the problem")
    func syntaxError() throws {
        let (run, path) = try audit(Self.snapshot.replacingOccurrences(of: "\"pageSize\": 4096,", with: "\"pageSize\": 4096"))
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr == "\(path):4:3: not a barproof snapshot or topology: expected ',' or '}' after a member of the object, found '\"'\n",
                "\(run.stderr)")
    }

    @Test("a key twice in one object is bad input naming the key and both lines (the decoder would keep one)")
    func duplicateKey() throws {
        let text = Self.snapshot.replacingOccurrences(of: "\"config\": \"\"", with: "\"config\": \"\",\n      \"resource\": \"x\"")
        let (run, path) = try audit(text)
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("\(path):10:7: not a barproof snapshot or topology: duplicate key 'resource' in one object (first at line 8 column 7)"),
                "\(run.stderr)")
        #expect(!run.stdout.contains("0000:00:01.0"), "audited anyway")
    }

    @Test("a field of the wrong type or a missing key: at the value or its object, with the path")
    func wrongTypeAndMissingKey() throws {
        let wrong = try audit(Self.snapshot.replacingOccurrences(of: "\"pageSize\": 4096", with: "\"pageSize\": \"4096\""))
        #expect(wrong.run.status == 65)
        #expect(wrong.run.stderr == "\(wrong.path):3:15: not a barproof snapshot or topology: pageSize: expected an integer, found a string\n",
                "\(wrong.run.stderr)")

        let missing = try audit(Self.snapshot.replacingOccurrences(of: "\"resource\": \"\",\n", with: ""))
        #expect(missing.run.status == 65)
        #expect(missing.run.stderr == "\(missing.path):7:21: not a barproof snapshot or topology: devices[\"0000:00:01.0\"]: missing key 'resource'\n",
                "\(missing.run.stderr)")
    }

    @Test("a topology document's embedded snapshot is read the same way")
    func topologyDocument() throws {
        let embedded = Self.snapshot.replacingOccurrences(of: "\n", with: "\n  ").replacingOccurrences(of: "\"iomem\": \"\"", with: "\"iomem\": 7")
        let text = "{\n  \"schema\": \"barproof-topology/1\",\n  \"snapshot\": " + embedded + "}\n"
        let (run, path) = try audit(text, name: "topology.json")
        #expect(run.status == 65, "\(run.stderr)")
        #expect(run.stderr == "\(path):7:14: not a barproof snapshot or topology: snapshot.iomem: expected a string, found a number\n",
                "\(run.stderr)")
    }

    // MARK: Proof records

    /// A copy of the shipped records, and the path of one of them.
    func records() throws -> (folder: SpecDirectory, proofs: String, record: String) {
        let folder = try SpecDirectory()
        let proofs = folder.path("proofs")
        try FileManager.default.removeItem(atPath: proofs)
        try FileManager.default.copyItem(at: BarproofRun.repository.appendingPathComponent("proofs"), to: URL(fileURLWithPath: proofs))
        return (folder, proofs, proofs + "/legacy/page-exclusive.json")
    }

    /// The 1-based line and column where `needle` starts in `text`.
    static func place(of needle: String, in text: String) throws -> (Int, Int) {
        let lines = text.components(separatedBy: "\n")
        for (index, line) in lines.enumerated() {
            if let range = line.range(of: needle) { return (index + 1, line.distance(from: line.startIndex, to: range.lowerBound) + 1) }
        }
        throw CocoaError(.coderValueNotFound)
    }

    @Test("a record of schema_version 99 is bad input at its schema_version value")
    func unknownRecordFormat() throws {
        let (scratch, proofs, record) = try records()
        defer { withExtendedLifetime(scratch) {} }
        let original = try String(contentsOfFile: record, encoding: .utf8)
        let text = original.replacingOccurrences(of: "\"schema_version\" : 3", with: "\"schema_version\" : 99")
        #expect(text != original)
        try Data(text.utf8).write(to: URL(fileURLWithPath: record))
        let (line, key) = try Self.place(of: "\"schema_version\" : 99", in: text)
        let column = key + "\"schema_version\" : ".count
        let run = try BarproofRun.run(["prove", "Specs/legacy.yaml", "--proofs", proofs])
        #expect(run.status == 65, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("\(record):\(line):\(column): error: not a barproof proof record: record schema_version 99 is not one this barproof reads (3; 1 and 2 as 'format')"),
                "\(run.stderr)")
        #expect(line > 1)
    }

    @Test("a record with a key twice, or a value of the wrong type, is bad input at its line")
    func brokenRecord() throws {
        let (scratch, proofs, record) = try records()
        defer { withExtendedLifetime(scratch) {} }
        let original = try String(contentsOfFile: record, encoding: .utf8)
        let duplicated = original.replacingOccurrences(of: "\"verdict\" : \"proved\"", with: "\"verdict\" : \"proved\",\n  \"verdict\" : \"refuted\"")
        #expect(duplicated != original)
        try Data(duplicated.utf8).write(to: URL(fileURLWithPath: record))
        let (line, column) = try Self.place(of: "\"verdict\" : \"refuted\"", in: duplicated)
        let twice = try BarproofRun.run(["prove", "Specs/legacy.yaml", "--proofs", proofs])
        #expect(twice.status == 65, "\(twice.stdout)\(twice.stderr)")
        #expect(twice.stderr.contains("\(record):\(line):\(column): error: not a barproof proof record: duplicate key 'verdict'"), "\(twice.stderr)")

        let typed = original.replacingOccurrences(of: "\"verdict\" : \"proved\"", with: "\"verdict\" : true")
        try Data(typed.utf8).write(to: URL(fileURLWithPath: record))
        let (typedLine, key) = try Self.place(of: "\"verdict\" : true", in: typed)
        let typedColumn = key + "\"verdict\" : ".count
        let wrong = try BarproofRun.run(["prove", "Specs/legacy.yaml", "--proofs", proofs])
        #expect(wrong.status == 65, "\(wrong.stdout)\(wrong.stderr)")
        #expect(wrong.stderr.contains("\(record):\(typedLine):\(typedColumn): error: not a barproof proof record: verdict: expected a string, found true or false"),
                "\(wrong.stderr)")
    }
}
