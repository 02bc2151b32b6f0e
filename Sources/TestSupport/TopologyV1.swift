import Foundation

/// A version 1 `topology.json` (`"schema": "barproof-topology/1"`: camelCase keys, addresses and
/// sizes as JSON numbers) made from a version 2 one, as barproof 0.1.0 wrote it before the JSON
/// style, for the tests that check old fixtures are still read. The snapshot is kept as it is.
public enum TopologyV1 {
    /// snake_case keys whose version 1 spelling is not their plain camelCase.
    static let exceptions = ["vendor_id": "vendorID", "device_id": "deviceID", "table_bir": "tableBIR", "pba_bir": "pbaBIR",
                             "audit_whole_bar": "auditWholeBAR"]

    static func camel(_ key: String) -> String {
        if let exception = exceptions[key] { return exception }
        let words = key.split(separator: "_")
        return words.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }
            .joined()
    }

    /// `value` with camelCase keys and, when `numbers`, every `"0x..."` string as a number.
    static func convert(_ value: Any, numbers: Bool) -> Any {
        if let object = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (key, item) in object {
                // host_facts are keyed by fact names, which are data, not keys of the shape.
                out[camel(key)] = key == "host_facts" ? item : convert(item, numbers: numbers)
            }
            return out
        }
        if let array = value as? [Any] { return array.map { convert($0, numbers: numbers) } }
        if numbers, let text = value as? String, text.hasPrefix("0x"), let number = UInt64(text.dropFirst(2), radix: 16) {
            return NSNumber(value: number)
        }
        return value
    }

    /// The version 1 form of the version 2 document `data`.
    public static func from(_ data: Data) throws -> Data {
        guard var document = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw CocoaError(.coderReadCorrupt)
        }
        document["schema"] = "barproof-topology/1"
        document["schema_version"] = nil
        document["barproof_version"] = nil
        document["counterexample"] = document["counterexample"].map { convert($0, numbers: true) }
        document["summary"] = document["summary"].map { convert($0, numbers: false) }
        document["reproduce"] = document["reproduce"].map { convert($0, numbers: false) }
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
    }
}
