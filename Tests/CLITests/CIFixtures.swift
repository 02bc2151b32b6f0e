import Foundation
import Testing

/// What the CI-output suites share: a source root in a temporary folder, the smallest specs with
/// failing checks, and readers for the documents the binary writes.
final class SourceTree {
    let url: URL

    /// A folder with an empty `.git` directory, so that it is the default source root of a run
    /// inside it (git itself does not take it for a repository: barproof walks up for `.git`).
    /// `name` may hold characters a file URI percent-encodes.
    init(name: String = "barproof ci #\(UUID().uuidString)") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: url.appendingPathComponent("specs"), withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }

    func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let path = path(relative)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func read(_ relative: String) throws -> String { try String(contentsOfFile: path(relative), encoding: .utf8) }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    /// Files whose names start with `.` other than `.git`: temporary files a write left behind.
    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix(".") && $0 != ".git" }
    }
}

enum CIFixtures {
    /// Two fast checks (each well under a second) that both miss their expectation: `unsafe` is
    /// refuted (expected proved), `safe` is proved (expected refuted).
    static let twoFailing = """
        policy: mainline
        platform:
          page_sizes: [4K]
        checks:
          - name: unsafe
            invariant: msix-needs-filtering
            platform:
              msi_isolated: no
              allow_unsafe_interrupts: yes
            expect: proved
          - name: safe
            invariant: msix-needs-filtering
            platform:
              allow_unsafe_interrupts: no
              backends: [type1, iommufd]
            expect: refuted
        """

    /// `unsafe` alone fails (line 5); `safe` passes.
    static let oneFailing = twoFailing.replacingOccurrences(of: "expect: refuted", with: "expect: proved")

    /// The dev VM's snapshot: five virtio functions whose BAR 0 holds its MSI-X table; with
    /// `--msi-isolated no --allow-unsafe-interrupts` each violates msix-needs-filtering.
    static let devVM = BarproofRun.repository.appendingPathComponent("Tests/AuditTests/Fixtures/dev-vm-snapshot.json").path
    static let devVMViolating = ["--msi-isolated", "no", "--allow-unsafe-interrupts"]

    static func json(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], sourceLocation: sourceLocation)
    }

    static func runs(_ sarif: String) throws -> [[String: Any]] {
        try #require(try json(sarif)["runs"] as? [[String: Any]])
    }

    /// The log's first run.
    static func firstRun(_ sarif: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try runs(sarif).first, sourceLocation: sourceLocation)
    }

    static func results(_ run: [String: Any]) throws -> [[String: Any]] {
        try #require(run["results"] as? [[String: Any]])
    }

    static func artifact(_ result: [String: Any]) -> [String: Any]? {
        let location = (result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]
        return location?["artifactLocation"] as? [String: Any]
    }

    static func automationID(_ run: [String: Any]) -> String? {
        (run["automationDetails"] as? [String: Any])?["id"] as? String
    }

    /// Validates `document` (written to a file in `folder`) against the SARIF 2.1.0 schema, or
    /// against `schemas/<name>.schema.json`; records an issue naming what is wrong.
    static func validate(_ document: String, schema name: String = "sarif", in folder: URL,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let python = try #require(SARIFSchemaTests.python, "no python3 with jsonschema: run scripts/ensure-deps.sh (python3-jsonschema)")
        let file = folder.appendingPathComponent("validate-\(UUID().uuidString).json")
        try Data(document.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let schema = name == "sarif" ? SARIFSchemaTests.schema
            : BarproofRun.repository.appendingPathComponent("schemas/\(name).schema.json")
        let run = try BarproofRun.run(program: URL(fileURLWithPath: "/usr/bin/env"),
                                      python + [SARIFSchemaTests.validator.path, schema.path, file.path])
        #expect(run.status == 0, "\(name): \(run.stdout)\(run.stderr)", sourceLocation: sourceLocation)
    }
}

extension Optional {
    /// The value, or a recorded failure naming the place (a `#require` usable inside another's argument).
    func unwrap(sourceLocation: SourceLocation = #_sourceLocation) throws -> Wrapped {
        try #require(self, sourceLocation: sourceLocation)
    }
}
