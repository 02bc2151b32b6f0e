/// The `schema` and `schema_version` a barproof document opens with: what a file given as input
/// (a baseline, a snapshot, a fixture's `topology.json`) is read as, before the rest is decoded.
struct DocumentHeader: Decodable {
    var schema: String
    var schemaVersion: Int?

    enum CodingKeys: String, CodingKey {
        case schema
        case schemaVersion = "schema_version"
    }
}
