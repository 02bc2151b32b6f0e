import Audit
import Foundation
import PCIModel
import Reports

/// Reading a snapshot file for `barproof audit`: a snapshot written by `barproof snapshot`
/// (version 2, `barproof-snapshot`, or version 1, `barproof-snapshot/1`), or a fixture's
/// `topology.json` (`barproof-topology/1`, or `barproof-topology` of a later version), which
/// embeds the snapshot of its tree under `snapshot`.
enum SnapshotLoading {
    /// The topology schemas whose `snapshot` is read.
    static let topologySchemas: Set<String> = ["barproof-topology/1", "barproof-topology"]

    /// The snapshot in the file at `path`, or the bad-input message (`path:line:column: ...`,
    /// escaped for the terminal) that the caller prints before exiting 65. The snapshot's own page
    /// size is input, not an option: a bad one is bad input in the file, unless `pageSizeGiven`
    /// (`--page-size` replaces it).
    static func load(_ path: String, pageSizeGiven: Bool) -> Result<Snapshot, BadSnapshot> {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            return .failure(BadSnapshot(path, nil, "cannot read: \(OutputFiles.reason(error))"))
        }
        struct Fixture: Decodable { var snapshot: Snapshot }
        // Nesting, syntax and duplicate keys are checked before the decoder sees the file.
        let keysAbove: [String]
        let loaded: Snapshot
        do throws(JSONInput.Problem) {
            let outer = try JSONInput.decode(DocumentHeader.self, from: data)
            if topologySchemas.contains(outer.schema) {
                keysAbove = ["snapshot"]
                let inner = try JSONInput.decode(Fixture.self, from: data)
                loaded = inner.snapshot
            } else {
                keysAbove = []
                if !Snapshot.isReadable(schema: outer.schema, version: outer.schemaVersion) {
                    return .failure(schemaProblem(path, data, keysAbove, outer.schema, outer.schemaVersion))
                }
                loaded = try JSONInput.decode(Snapshot.self, from: data)
            }
        } catch {
            return .failure(BadSnapshot(path, (error.line, error.column), "not a barproof snapshot or topology: \(error.message)"))
        }
        let version: Int? = loaded.schema == Snapshot.version1SchemaName ? nil : loaded.schemaVersion
        guard Snapshot.isReadable(schema: loaded.schema, version: version) else {
            return .failure(schemaProblem(path, data, keysAbove, loaded.schema, version))
        }
        if !pageSizeGiven, PageSize(rawValue: loaded.pageSize) == nil {
            // Named as the file writes it: version 1 a number, version 2 a hex string.
            let (key, value) = loaded.schemaVersion == 1 ? ("pageSize", "\(loaded.pageSize)") : ("page_size", HexWord(loaded.pageSize).description)
            let place = JSONInput.problem(atKeys: keysAbove + [key], in: data, "")
            return .failure(BadSnapshot(path, (place.line, place.column), "field \(key): \(value) is not a page size "
                                        + "(a power of two from 4096 to 1 GiB); --page-size overrides it"))
        }
        return .success(loaded)
    }

    static func schemaProblem(_ path: String, _ data: Data, _ keysAbove: [String], _ schema: String, _ version: Int?) -> BadSnapshot {
        let place = JSONInput.problem(atKeys: keysAbove + ["schema"], in: data, "")
        let given = version.map { "\(schema) version \($0)" } ?? schema
        return BadSnapshot(path, (place.line, place.column), "schema \(given); this barproof reads \(Snapshot.schemaName) "
                           + "version \(Snapshot.schemaVersion) and \(Snapshot.version1SchemaName)")
    }

    /// Where each of `devices` has its `resource` text in the snapshot file at `path` (under
    /// `snapshot` in a fixture's topology.json): the place a SARIF result about one of its BARs
    /// points at. At most `limit` devices are looked up (each look-up reads the file); the others,
    /// and a file that no longer reads, get the place of `devices`.
    static func resourcePlaces(_ path: String, devices: [String], limit: Int = 1_000) -> [String: (line: Int, column: Int)] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        struct Schema: Decodable { var schema: String }
        let above = (try? JSONDecoder().decode(Schema.self, from: data)).map { topologySchemas.contains($0.schema) } == true ? ["snapshot"] : []
        let fallback = JSONInput.problem(atKeys: above + ["devices"], in: data, "")
        var places: [String: (line: Int, column: Int)] = [:]
        for (i, device) in devices.enumerated() {
            if i < limit {
                let place = JSONInput.problem(atKeys: above + ["devices", device, "resource"], in: data, "")
                places[device] = (place.line, place.column)
            } else {
                places[device] = (fallback.line, fallback.column)
            }
        }
        return places
    }
}

/// Why a snapshot file cannot be audited: one line naming the file (and line and column).
struct BadSnapshot: Error {
    var file: String
    var place: (line: Int, column: Int)?
    /// The problem, without the file's name.
    var problem: String
    /// `FILE[:LINE:COLUMN]: PROBLEM`, escaped for the terminal.
    var message: String

    init(_ file: String, _ place: (line: Int, column: Int)?, _ problem: String) {
        self.file = file
        self.place = place
        self.problem = problem
        message = (place.map { "\(file):\($0.line):\($0.column): " } ?? "\(file): ").escapingControlCharacters + problem.escapingControlCharacters
    }
}
