import Fixtures
import Foundation
import Testing

/// `FixtureRoundTrip` reads `topology.json` back with Foundation's decoder, which recurses per
/// level: a document nested thousands deep is reported at its line and column, not decoded.
@Suite(.timeLimit(.minutes(2))) struct DeepTopologyTests {
    @Test func aDeepTopologyIsAProblemAtItsPlace() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("barproof-deep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = "{\"schema\": \"barproof-topology\",\n \"snapshot\": " + String(repeating: "[", count: 50_000) + "}"
        try Data(text.utf8).write(to: folder.appendingPathComponent("topology.json"))
        let problems = FixtureRoundTrip.check(counterexample: Counterexamples.subpageWithoutReservation, folder: folder)
        #expect(problems == ["topology.json:2:77: nested 50001 levels deep at line 2 column 77; barproof reads at most 64 levels: flatten the document"])
    }
}
