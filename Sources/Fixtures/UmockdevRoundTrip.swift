import Foundation
import PCIModel
import Reports

extension FixtureRoundTrip {
    /// One paragraph of a umockdev record, read as umockdev's `add_dev_from_string()`
    /// (src/umockdev.vala) reads it.
    public struct UmockdevDevice: Equatable, Sendable {
        /// The `P:` line: `/devices/...`.
        public var path: String
        /// `E:` properties.
        public var properties: [String: String] = [:]
        /// `A:` attributes (unescaped as `g_strcompress()` does) and `H:` ones (decoded).
        public var attributes: [String: [UInt8]] = [:]
        /// `L:` links.
        public var links: [String: String] = [:]
    }

    public struct UmockdevParseError: Error, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "\(FixtureWriter.umockdevFile):\(line): \(message)" }
    }

    /// Parses a umockdev record: paragraphs separated by blank lines, each starting with
    /// `P: /devices/...`; `E:`, `A:`, `H:`, `L:` lines are `key=value` (the key without `=`);
    /// every paragraph needs `E: SUBSYSTEM=`.
    public static func parseUmockdev(_ text: String) throws(UmockdevParseError) -> [UmockdevDevice] {
        var devices: [UmockdevDevice] = []
        var current: UmockdevDevice?
        func finish(_ line: Int) throws(UmockdevParseError) {
            guard let d = current else { return }
            guard d.properties["SUBSYSTEM"] != nil else { throw UmockdevParseError(line: line, message: "\(d.path): no E: SUBSYSTEM") }
            devices.append(d)
            current = nil
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (i, raw) in lines.enumerated() {
            let number = i + 1
            let line = String(raw)
            if line.isEmpty { try finish(number); continue }
            guard line.count >= 3, line.dropFirst().hasPrefix(": ") else {
                throw UmockdevParseError(line: number, message: "not a \"T: ...\" line")
            }
            let tag = line.first!, rest = String(line.dropFirst(3))
            if tag == "P" {
                guard current == nil else { throw UmockdevParseError(line: number, message: "a P: line inside a device") }
                guard rest.hasPrefix("/devices/") else { throw UmockdevParseError(line: number, message: "P: must start with /devices/") }
                current = UmockdevDevice(path: rest)
                continue
            }
            guard current != nil else { throw UmockdevParseError(line: number, message: "a device starts with a P: line") }
            guard let equals = rest.firstIndex(of: "="), equals != rest.startIndex else {
                throw UmockdevParseError(line: number, message: "expected key=value")
            }
            let key = String(rest[..<equals]), value = String(rest[rest.index(after: equals)...])
            switch tag {
            case "E": current!.properties[key] = value
            case "A": current!.attributes[key] = compressed(value)
            case "H":
                guard let bytes = hexBytes(value) else { throw UmockdevParseError(line: number, message: "H: \(key): not hex pairs") }
                current!.attributes[key] = bytes
            case "L": current!.links[key] = value
            default: throw UmockdevParseError(line: number, message: "unknown line type \(tag)")
            }
        }
        try finish(lines.count)
        return devices
    }

    /// `g_strcompress()`: `\b \f \n \r \t \v`, up to three octal digits, else the character itself.
    static func compressed(_ value: String) -> [UInt8] {
        var out: [UInt8] = []
        var bytes = Array(value.utf8)[...]
        while let b = bytes.popFirst() {
            guard b == UInt8(ascii: "\\"), let next = bytes.popFirst() else { out.append(b); continue }
            switch next {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var v = UInt32(next - UInt8(ascii: "0"))
                for _ in 0..<2 {
                    guard let d = bytes.first, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(d) else { break }
                    v = v * 8 + UInt32(d - UInt8(ascii: "0"))
                    bytes.removeFirst()
                }
                out.append(UInt8(truncatingIfNeeded: v))
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0c)
            case UInt8(ascii: "n"): out.append(0x0a)
            case UInt8(ascii: "r"): out.append(0x0d)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "v"): out.append(0x0b)
            default: out.append(next)
            }
        }
        return out
    }

    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }

    /// Differences between `machine.umockdev` in `folder` and the folder's sysfs tree: one
    /// paragraph per device directory, named by its last path component and nested under its
    /// bridges as `topology` places it; `SUBSYSTEM=pci` and `PCI_SLOT_NAME`; every attribute file of
    /// the tree, byte for byte, and no other; no `L: subsystem` (umockdev makes that link itself).
    public static func umockdevProblems(folder: URL, topology: Topology) -> [String] {
        let name = FixtureWriter.umockdevFile
        let devices: [UmockdevDevice]
        do {
            devices = try parseUmockdev(try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8))
        } catch {
            return ["\(name): \(error)"]
        }
        var problems: [String] = []
        let fm = FileManager.default
        let devicesDirectory = folder.appendingPathComponent("sys/bus/pci/devices")
        let names = ((try? fm.contentsOfDirectory(atPath: devicesDirectory.path)) ?? []).sorted()
        let byName = Dictionary(devices.map { (String($0.path.split(separator: "/").last ?? ""), $0) }, uniquingKeysWith: { a, _ in a })
        if devices.count != byName.count { problems.append("\(name): two paragraphs for one device") }
        if Set(byName.keys) != Set(names) {
            problems.append("\(name): devices \(byName.keys.sorted().joined(separator: ", ")), the tree has \(names.joined(separator: ", "))")
        }
        let upstream = Dictionary(uniqueKeysWithValues: topology.functions.map { ($0.address.description, $0.upstream) }
                                  + topology.bridges.map { ($0.address.description, $0.upstream) })
        for n in names {
            guard let d = byName[n] else { continue }
            if let bridge = upstream[n] ?? nil {
                let parent = String(d.path.split(separator: "/").dropLast().last ?? "")
                if parent != bridge.description { problems.append("\(name): \(d.path) is not inside its bridge \(bridge)") }
            } else if d.path.split(separator: "/").count != 3 {
                problems.append("\(name): \(d.path) is on the root bus, expected /devices/pciDDDD:BB/\(n)")
            }
            if d.properties["SUBSYSTEM"] != "pci" || d.properties["PCI_SLOT_NAME"] != n {
                problems.append("\(name): \(n): SUBSYSTEM \(d.properties["SUBSYSTEM"] ?? "none"), PCI_SLOT_NAME \(d.properties["PCI_SLOT_NAME"] ?? "none")")
            }
            if d.links["subsystem"] != nil { problems.append("\(name): \(n): an L: subsystem line (umockdev-run refuses it)") }
            let directory = devicesDirectory.appendingPathComponent(n)
            let files = ((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
            if files != d.attributes.keys.sorted() {
                problems.append("\(name): \(n): attributes \(d.attributes.keys.sorted().joined(separator: ", ")), the tree has \(files.joined(separator: ", "))")
            }
            for file in files {
                let bytes = (try? [UInt8](Data(contentsOf: directory.appendingPathComponent(file)))) ?? []
                if let written = d.attributes[file], written != bytes { problems.append("\(name): \(n)/\(file) differs from the tree's") }
            }
        }
        return problems
    }
}
