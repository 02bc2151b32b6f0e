/// The kind of input a parser read; named in every error so that a message makes sense on its own.
public enum InputFormat: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// `/sys/bus/pci/devices/<bdf>/resource` (`resource_show`, drivers/pci/pci-sysfs.c).
    case sysfsResource = "sysfs resource file"
    /// `/sys/bus/pci/devices/<bdf>/config`, the binary config-space image.
    case configSpace = "config space"
    /// `/proc/iomem` (or `/proc/ioports`, same format; `r_show`, kernel/resource.c).
    case procIOMem = "/proc/iomem"
    /// The value of `pci=resource_alignment=` or `/sys/bus/pci/resource_alignment`.
    case resourceAlignment = "resource_alignment"
    /// A one-value sysfs text attribute such as `vendor`, `device` or `class`.
    case sysfsAttribute = "sysfs attribute"
    /// The target of a sysfs symlink such as `iommu_group` or `driver`.
    case sysfsLink = "sysfs link"
    /// A PCI address written `dddd:bb:dd.f`.
    case pciAddress = "PCI address"

    public var description: String { rawValue }
}

/// Where in an input a problem was found.
public enum InputLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A 1-based line number, with a 1-based byte column when one position is to blame.
    case line(Int, column: Int?)
    /// A 0-based byte offset: into a binary image (config space), or into a one-line value.
    case byteOffset(Int)

    public var description: String {
        switch self {
        case let .line(line, column?): "line \(line), column \(column)"
        case let .line(line, nil): "line \(line)"
        case let .byteOffset(offset): "offset \(hex(offset)) (byte \(offset))"
        }
    }
}

/// Input that cannot be read as the format it claims to be. The CLI maps it to exit code 65.
///
/// The message says what was found and what was expected, so that a person can fix or report
/// the input without reading the parser.
public struct ParseError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    public let format: InputFormat
    public let location: InputLocation
    public let message: String

    public init(_ format: InputFormat, _ location: InputLocation, _ message: String) {
        self.format = format
        self.location = location
        self.message = message
    }

    /// The 1-based line, for line-oriented inputs.
    public var line: Int? {
        if case let .line(line, _) = location { line } else { nil }
    }

    /// The 1-based column within `line`, when one position is to blame.
    public var column: Int? {
        if case let .line(_, column) = location { column } else { nil }
    }

    /// The 0-based byte offset, for binary inputs and one-line values.
    public var byteOffset: Int? {
        if case let .byteOffset(offset) = location { offset } else { nil }
    }

    public var description: String { "\(format), \(location): \(message)" }
}

/// Something odd that does not stop parsing: the result is still what the kernel would see, but a
/// reviewer may want to know (a truncated config image, a pointer with reserved bits set, ...).
public struct ParseWarning: Hashable, Sendable, Codable, CustomStringConvertible {
    public let format: InputFormat
    public let location: InputLocation
    public let message: String

    public init(_ format: InputFormat, _ location: InputLocation, _ message: String) {
        self.format = format
        self.location = location
        self.message = message
    }

    public var description: String { "\(format), \(location): warning: \(message)" }
}
