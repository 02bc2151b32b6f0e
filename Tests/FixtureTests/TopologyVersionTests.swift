import Fixtures
import Foundation
import Prover
import Reports
import TestSupport
import Testing

/// `topology.json` versions: version 2 is what the writer writes; a version 1 document (what
/// barproof 0.1.0 wrote) is still read, through its own decoding, to the same counterexample; and
/// reading version 1 does not make version 2 lenient.
/// Time limit: in-process, every hand-built counterexample written and read back, well under 10 s.
@Suite(.timeLimit(.minutes(1)))
final class TopologyVersionTests {
    let scratch: URL

    init() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-topology-versions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: scratch) }

    func written(_ cx: TopologyCounterexample, _ name: String) throws -> (folder: URL, document: URL) {
        let folder = scratch.appendingPathComponent(name)
        try FixtureWriter(spec: try SpecCopy(path: "Specs/mainline.yaml"), checkID: "page-exclusive-without-reservation").write(cx, to: folder)
        return (folder, folder.appendingPathComponent(FixtureWriter.topologyFile))
    }

    @Test func versionTwoIsWritten() throws {
        let (_, path) = try written(Counterexamples.msixUnfiltered, "v2")
        let (document, version) = try TopologyDocument.read(Data(contentsOf: path))
        #expect(version == 2)
        #expect(document.schema == "barproof-topology")
        #expect(document.schemaVersion == 2)
        #expect(document.counterexample == Counterexamples.msixUnfiltered)
    }

    /// Every hand-built counterexample (bridges, MSI-X, fixed BARs, 64-bit windows) written, its
    /// topology.json turned into version 1, read back to the same counterexample and round-tripped.
    @Test func versionOneIsReadToTheSameCounterexample() throws {
        for (name, cx) in Counterexamples.all {
            let (folder, path) = try written(cx, name)
            let v1 = try TopologyV1.from(Data(contentsOf: path))
            #expect(String(decoding: v1, as: UTF8.self).contains("\"hostWindow\""), "\(name)")
            try v1.write(to: path)
            let (document, version) = try TopologyDocument.read(v1)
            #expect(version == 1, "\(name)")
            #expect(document.counterexample == cx, "\(name)")
            #expect(FixtureRoundTrip.check(counterexample: cx, folder: folder) == [], "\(name)")
        }
    }

    /// Version 2 with an address as a number is an error at the value, not a version 1 document.
    @Test func versionTwoStaysStrict() throws {
        let (_, path) = try written(Counterexamples.subpageWithoutReservation, "strict")
        let text = try String(contentsOf: path, encoding: .utf8)
        let broken = text.replacingOccurrences(of: "\"request_length\" : \"0x10000\"", with: "\"request_length\" : 65536")
        #expect(broken != text)
        let line = try #require(broken.components(separatedBy: "\n").firstIndex { $0.contains("\"request_length\" : 65536") }) + 1
        #expect(throws: JSONInput.Problem.self) { try TopologyDocument.read(Data(broken.utf8)) }
        do {
            _ = try TopologyDocument.read(Data(broken.utf8))
        } catch {
            #expect(error.line == line)
            #expect(error.message.contains("request_length: expected a string, found a number"), "\(error.message)")
        }
        let unknown = text.replacingOccurrences(of: "\"schema_version\" : 2", with: "\"schema_version\" : 3")
        do {
            _ = try TopologyDocument.read(Data(unknown.utf8))
            Issue.record("schema_version 3 was read")
        } catch {
            #expect(error.message == "barproof-topology version 3 is not one this barproof reads (1 or 2)", "\(error.message)")
        }
    }
}
