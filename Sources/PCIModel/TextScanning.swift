// Internal helpers shared by the text parsers. They work on UTF-8 bytes so that every
// reported column or offset is a byte position a person can find with `cut -b` or `xxd`.

enum HexScan: Equatable {
    case value(UInt64)
    case empty
    /// The index (in the scanned collection) of the first byte that is not a hex digit.
    case invalidDigit(at: Int)
    /// More significant digits than a 64-bit value holds.
    case overflow
}

func hexDigitValue(_ byte: UInt8) -> UInt64? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt64(byte - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt64(byte - UInt8(ascii: "A") + 10)
    default: nil
    }
}

func isHexDigit(_ byte: UInt8) -> Bool { hexDigitValue(byte) != nil }

/// Scans hex digits without a prefix. An invalid digit is reported before an overflow, so that
/// `0x1234567890abcdefg` names the `g`, while `0x10000000000000000` is an overflow.
func scanHex(_ digits: ArraySlice<UInt8>) -> HexScan {
    guard !digits.isEmpty else { return .empty }
    if let bad = digits.firstIndex(where: { !isHexDigit($0) }) { return .invalidDigit(at: bad) }
    var value: UInt64 = 0
    for byte in digits {
        guard value <= UInt64.max >> 4, let digit = hexDigitValue(byte) else { return .overflow }
        value = value << 4 | digit
    }
    return .value(value)
}

/// Scans decimal digits without a sign. Returns nil on an empty slice, a non-digit or overflow.
func scanDecimal(_ digits: ArraySlice<UInt8>) -> UInt64? {
    guard !digits.isEmpty else { return nil }
    var value: UInt64 = 0
    for byte in digits {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
        let (times10, o1) = value.multipliedReportingOverflow(by: 10)
        let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
        guard !o1, !o2 else { return nil }
        value = sum
    }
    return value
}

/// Lowercase hex without a prefix, zero-padded to `width` digits: the one hex formatter
/// (``hexText(_:)`` and ``hexPadded(_:_:)`` add the `0x`).
public func hexString<T: BinaryInteger>(_ value: T, width: Int = 0) -> String {
    let digits = String(value, radix: 16)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// `0x`-prefixed lowercase hex, zero-padded to `width` digits.
func hex<T: BinaryInteger>(_ value: T, width: Int = 0) -> String { "0x" + hexString(value, width: width) }

/// How a byte reads in an error message: the character itself when printable ASCII, else its value.
func describeByte(_ byte: UInt8) -> String {
    if byte >= 0x21, byte <= 0x7e { return "'\(Character(Unicode.Scalar(byte)))'" }
    if byte == 0x20 { return "a space" }
    if byte == 0x09 { return "a tab" }
    return "byte \(hex(byte, width: 2))"
}

/// A line of text input: 1-based number and content without the line terminator
/// (a trailing `\r` is dropped too, so files saved with CRLF endings still parse).
struct TextLine {
    let number: Int
    let bytes: ArraySlice<UInt8>
}

/// Splits on `\n`. A final newline does not produce an extra empty line.
func splitLines(_ text: String) -> [TextLine] { splitLines(bytes: Array(text.utf8)) }

/// Splits raw file bytes on `\n`: bytes that are not UTF-8 stay as they are, so that an error
/// names the byte in the file at its column (decoding to a `String` first would put the three
/// bytes of U+FFFD in its place and shift every column after it).
func splitLines(bytes: [UInt8]) -> [TextLine] {
    var lines: [TextLine] = []
    var start = 0
    var number = 1
    for (i, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
        lines.append(TextLine(number: number, bytes: trimCarriageReturn(bytes[start..<i])))
        start = i + 1
        number += 1
    }
    if start < bytes.count {
        lines.append(TextLine(number: number, bytes: trimCarriageReturn(bytes[start..<bytes.count])))
    }
    return lines
}

private func trimCarriageReturn(_ s: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    s.last == UInt8(ascii: "\r") ? s.dropLast() : s
}

func string(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

// Little-endian reads from a config-space image. Callers check bounds first.
func readLE16(_ b: [UInt8], _ offset: Int) -> UInt16 {
    UInt16(b[offset]) | UInt16(b[offset + 1]) << 8
}

func readLE32(_ b: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(b[offset]) | UInt32(b[offset + 1]) << 8 | UInt32(b[offset + 2]) << 16 | UInt32(b[offset + 3]) << 24
}
