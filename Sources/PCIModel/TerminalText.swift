extension String {
    /// The string with every control character written as an escape, so that text taken from an
    /// input file (an iomem name, a link target, a directory name) cannot move the cursor, retitle
    /// the terminal or hide what follows it when a report is printed: C0 controls (U+0000-U+001F,
    /// ESC among them) and DEL as `\x1b`, `\x7f`, C1 controls (U+0080-U+009F, which some terminals
    /// take as CSI and OSC introducers) as `\u{9b}`, and the backslash itself as `\\`, so an
    /// escape read back is never ambiguous. Every other character, printable Unicode included,
    /// is kept.
    public var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
        var out = ""
        out.unicodeScalars.reserveCapacity(unicodeScalars.count)
        for scalar in unicodeScalars {
            switch scalar.value {
            case 0x5c:
                out += "\\\\"
            case 0x00...0x1f, 0x7f:
                out += "\\x" + hexString(scalar.value, width: 2)
            case 0x80...0x9f:
                out += "\\u{" + hexString(scalar.value, width: 2) + "}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar.value == 0x5c
    }
}
