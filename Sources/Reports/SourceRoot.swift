import Foundation

/// The directory SARIF locations are relative to (`--srcroot`, by default the git top level):
/// GitHub code scanning places a result on a file of the repository only when its
/// `artifactLocation` names the file relative to the checkout, so every location inside this
/// directory is written relative to it with `"uriBaseId": "SRCROOT"`, and each run says where
/// `SRCROOT` was (`originalUriBaseIds`). A file outside it keeps an absolute `file://` URI.
public struct SourceRoot: Sendable, Hashable {
    /// The `uriBaseId` barproof writes.
    public static let baseID = "SRCROOT"

    /// Absolute, symbolic links resolved, without a trailing slash (except for `/` itself).
    public let path: String

    /// `path` must be absolute; it is resolved (`realpath`) when it exists.
    public init(path: String) {
        self.path = Self.resolved(path)
    }

    /// `file:///abs/dir/`: percent-encoded, with the trailing slash a base URI needs.
    public var uri: String {
        "file://" + Self.encode(path == "/" ? "/" : path + "/")
    }

    /// Where `file` (a path as the user gave it: relative to `directory`, or absolute) is, as a
    /// SARIF artifact location: relative to the root with its base id when inside it, else an
    /// absolute `file://` URI.
    public func artifact(_ file: String, from directory: String = FileManager.default.currentDirectoryPath)
        -> (uri: String, baseID: String?) {
        // The path as named first (a link inside the root stays the file the user named), then
        // with links resolved (a root or a file reached through a link to it).
        let named = Self.standardized(file.hasPrefix("/") ? file : directory + "/" + file)
        if let relative = relativePath(named) ?? relativePath(Self.resolved(named)) {
            return (Self.encodeRelative(relative), Self.baseID)
        }
        return ("file://" + Self.encode(named), nil)
    }

    /// An absolute path with `.`, `..` and doubled slashes removed, links left as they are.
    public static func standardized(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// `absolute` relative to the root, when it lies inside it (not the root itself).
    public func relativePath(_ absolute: String) -> String? {
        if path == "/" { return absolute.count > 1 ? String(absolute.dropFirst()) : nil }
        guard absolute.hasPrefix(path + "/"), absolute.count > path.count + 1 else { return nil }
        return String(absolute.dropFirst(path.count + 1))
    }

    /// `path` made absolute against nothing (it must be absolute), `.` and `..` removed, and
    /// symbolic links resolved when the file exists.
    public static func resolved(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        // A file that does not exist (yet): resolve the nearest existing parent, keep the rest.
        var components: [String] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(String(component))
            }
        }
        var kept: [String] = []
        while !components.isEmpty {
            let prefix = "/" + components.joined(separator: "/")
            if let real = realpath(prefix, nil) {
                defer { free(real) }
                let base = String(cString: real)
                return (base == "/" ? "" : base) + "/" + kept.reversed().joined(separator: "/")
            }
            kept.append(components.removeLast())
        }
        return "/" + kept.reversed().joined(separator: "/")
    }

    /// Bytes a URI path keeps as they are (RFC 3986 `pchar` and `/`); every other byte of the
    /// UTF-8 path is written `%XX`.
    static let kept: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/".utf8))

    /// `path` percent-encoded as the path of a URI.
    public static func encode(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            if kept.contains(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// A relative path as a relative URI reference: percent-encoded, and with a `:` in its first
    /// segment written `%3A`, which would otherwise make the segment before it a scheme
    /// (RFC 3986, 4.2: `0000:00:01.0/resource` is not a relative reference).
    public static func encodeRelative(_ path: String) -> String {
        let encoded = encode(path)
        let slash = encoded.firstIndex(of: "/") ?? encoded.endIndex
        let first = encoded[..<slash].replacingOccurrences(of: ":", with: "%3A")
        return first + encoded[slash...]
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
