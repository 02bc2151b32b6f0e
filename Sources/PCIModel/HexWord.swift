/// A 64-bit address or size as every barproof JSON document writes it: a string of `0x` and
/// lowercase hex digits (`"0xfe000000"`), so that readers whose numbers are doubles (JavaScript,
/// jq) neither round values above 2^53 nor show them in decimal. Decoding accepts upper- or
/// lowercase digits after `0x` and nothing else.
public struct HexWord: Codable, Hashable, Sendable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }
    public init(integerLiteral value: UInt64) { self.value = value }

    /// The value of `text` written as a document writes it, or nil.
    public init?(text: String) {
        guard text.hasPrefix("0x"), text.count > 2, text.count <= 18,
              let value = UInt64(text.dropFirst(2), radix: 16) else { return nil }
        self.value = value
    }

    public var description: String { hexText(value) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let word = HexWord(text: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "'\(text)' is not a 64-bit hex value written as 0x and hex digits")
        }
        self = word
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func < (a: HexWord, b: HexWord) -> Bool { a.value < b.value }
}

/// A stored `UInt64` that a document's `Codable` form writes as ``HexWord`` ("0x..."): the
/// property keeps its integer type for the code that computes with it.
@propertyWrapper
public struct Hex: Codable, Hashable, Sendable {
    public var wrappedValue: UInt64

    public init(wrappedValue: UInt64) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws { wrappedValue = try HexWord(from: decoder).value }
    public func encode(to encoder: any Encoder) throws { try HexWord(wrappedValue).encode(to: encoder) }
}
