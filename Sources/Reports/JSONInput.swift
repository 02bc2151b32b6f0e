import Foundation
import PCIModel

/// The one way barproof decodes a JSON input (a snapshot or fixture topology for `audit`, a
/// fixture's `topology.json` read back, a proof record): ``JSONStructure/check(_:limit:)`` first
/// (nesting, syntax, duplicate keys), then `JSONDecoder`, whose errors are placed at the line and
/// column of the value they are about. Every problem is a ``JSONStructure/Problem``; callers add
/// the file name and say what the file should have been.
public enum JSONInput {
    public typealias Problem = JSONStructure.Problem

    /// Decodes `type` from `data`, or throws a ``Problem`` at its place in the document.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(Problem) -> T {
        try JSONStructure.check(data)
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw problem(error, in: data)
        } catch {
            throw Problem(line: 1, column: 1, message: "\(error)")
        }
    }

    /// A problem about the value at `codingPath` (where it starts; the document's start when the
    /// path leads nowhere), with `message` prefixed by the path when it is not empty and `namingPath`.
    public static func problem(at codingPath: [any CodingKey], in data: Data, _ message: String,
                               namingPath: Bool = true) -> Problem {
        let path = codingPath.map { JSONStructure.PathComponent(key: $0.stringValue, index: $0.intValue) }
        // A path the document lacks (a missing key) is shown at the nearest value it has.
        var place: (line: Int, column: Int)?
        var prefix = path
        while place == nil {
            place = JSONStructure.location(of: prefix, in: data)
            if prefix.isEmpty { break }
            prefix.removeLast()
        }
        let (line, column) = place ?? (1, 1)
        return Problem(line: line, column: column, message: codingPath.isEmpty || !namingPath ? message : "\(describe(codingPath)): \(message)")
    }

    /// ``problem(at:in:_:namingPath:)`` for a path of object keys.
    public static func problem(atKeys keys: [String], in data: Data, _ message: String, namingPath: Bool = false) -> Problem {
        problem(at: keys.map(Key.init(stringValue:)), in: data, message, namingPath: namingPath)
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A coding path as a person reads it: `devices["0000:00:01.0"].resource`, `checks[2]`.
    public static func describe(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if key.stringValue.hasPrefix("Index "), let index = key.intValue {
                text += "[\(index)]"
            } else if key.stringValue.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), !key.stringValue.isEmpty,
                      key.stringValue.first?.isNumber == false {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            } else {
                text += "[\"\(key.stringValue)\"]"
            }
        }
        return text
    }

    static func problem(_ error: DecodingError, in data: Data) -> Problem {
        switch error {
        case .keyNotFound(let key, let context):
            return problem(at: context.codingPath, in: data, "missing key '\(key.stringValue)'")
        case .typeMismatch(let type, let context):
            let found = JSONStructure.location(of: context.codingPath.map { .init(key: $0.stringValue, index: $0.intValue) }, in: data)
                .flatMap { kind(at: $0, in: data) }
            return problem(at: context.codingPath, in: data,
                           "expected \(describe(type))" + (found.map { ", found \($0)" } ?? ""))
        case .valueNotFound(let type, let context):
            return problem(at: context.codingPath, in: data, "expected \(describe(type)), found null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty, let offset = (context.underlyingError as NSError?)?.userInfo["NSJSONSerializationErrorIndex"] as? Int {
                let (line, column) = JSONStructure.position(ofOffset: offset, in: data)
                return Problem(line: line, column: column, message: "not valid JSON")
            }
            return problem(at: context.codingPath, in: data, context.debugDescription)
        @unknown default:
            return Problem(line: 1, column: 1, message: "\(error)")
        }
    }

    /// The JSON kind of the value starting at a line and column, in words.
    static func kind(at place: (line: Int, column: Int), in data: Data) -> String? {
        var position = TextPosition()
        for byte in data {
            if position.line == place.line && position.column == place.column && byte & 0xC0 != 0x80 {
                switch byte {
                case UInt8(ascii: "{"): return "an object"
                case UInt8(ascii: "["): return "an array"
                case UInt8(ascii: "\""): return "a string"
                case UInt8(ascii: "t"), UInt8(ascii: "f"): return "true or false"
                case UInt8(ascii: "n"): return "null"
                default: return "a number"
                }
            }
            position.advance(over: byte)
        }
        return nil
    }

    /// A Swift type as the JSON a reader should have written.
    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int8.Type, is Int16.Type, is Int32.Type, is Int64.Type,
             is UInt.Type, is UInt8.Type, is UInt16.Type, is UInt32.Type, is UInt64.Type:
            return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array<") || name.hasPrefix("[") { return "an array" }
            return "an object"
        }
    }
}
