import PCIModel
import Reports

/// The machine in umockdev's record format (what `umockdev-record` prints and
/// `umockdev-run --device FILE` / `umockdev_testbed_add_from_file()` load), so that other tools'
/// tests can run against the fixture as a fake `/sys`.
///
/// The format, as umockdev's `add_dev_from_string()` (src/umockdev.vala) parses it: one paragraph
/// per device, blank lines between; a paragraph starts with `P: /devices/...`, then `E: KEY=VALUE`
/// udev properties (`SUBSYSTEM` required), `A: name=value` text attributes with `g_strescape()`
/// escapes (`\n`, `\\`, `\"`, octal for other control bytes), `H: name=HEX` binary attributes
/// (uppercase hex pairs), `L: name=target` links. umockdev itself creates each device's
/// `subsystem` link (`../` per level up to `/sys`, then `bus/pci`) and the
/// `/sys/bus/pci/devices/<bdf>` link; a record that also carries `L: subsystem=` makes
/// `umockdev-run` abort ("Cannot create symlink ...: File exists"), so, as `umockdev-record` does,
/// none is written.
extension Topology {
    /// The sysfs device path of `address` as the kernel lays it out: under
    /// `/devices/pci<domain>:<root bus>`, each bridge's children inside the bridge's directory
    /// (`/devices/pci0000:00/0000:00:1c.0/0000:01:00.0`). Nil when an upstream link loops or
    /// names no bridge.
    func sysfsDevicePath(_ address: PCIAddress, upstream: PCIAddress?) -> String? {
        var chain = [address.description]
        var root = address
        var next = upstream
        var seen: Set<PCIAddress> = [address]
        while let bridgeAddress = next {
            guard !seen.contains(bridgeAddress), let bridge = bridges.first(where: { $0.address == bridgeAddress }) else { return nil }
            seen.insert(bridgeAddress)
            chain.append(bridgeAddress.description)
            root = bridgeAddress
            next = bridge.upstream
        }
        let host = "pci\(hexString(UInt64(root.domain), width: 4)):\(hexString(UInt64(root.bus), width: 2))"
        return "/devices/" + ([host] + chain.reversed()).joined(separator: "/")
    }

    /// `machine.umockdev`: every function and bridge (``sysfsDevices(resourceLines:)``, the attributes of the
    /// sysfs tree byte for byte), parents before children, each with the properties the kernel's
    /// `pci_uevent()` (drivers/pci/pci-driver.c) gives an unbound device and `SUBSYSTEM=pci`,
    /// sorted as `umockdev-record` sorts them, then the attributes sorted by name; `config` as
    /// `H:`, every other attribute (ASCII) as `A:`.
    func umockdevRecord(resourceLines: ResourceLines = .withIOV) -> String {
        var paragraphs: [(path: String, text: String)] = []
        for d in sysfsDevices(resourceLines: resourceLines) {
            guard let path = sysfsDevicePath(d.address, upstream: d.upstream) else { continue }
            func upper(_ value: UInt64, _ width: Int) -> String { hexString(value, width: width).uppercased() }
            let c = UInt64(d.classCode)
            let properties = [
                "MODALIAS=pci:v\(upper(UInt64(d.vendorID), 8))d\(upper(UInt64(d.deviceID), 8))"
                    + "sv\(upper(UInt64(d.subsystemVendorID), 8))sd\(upper(UInt64(d.subsystemDeviceID), 8))"
                    + "bc\(upper(c >> 16, 2))sc\(upper((c >> 8) & 0xff, 2))i\(upper(c & 0xff, 2))",
                "PCI_CLASS=\(upper(c, 4))",
                "PCI_ID=\(upper(UInt64(d.vendorID), 4)):\(upper(UInt64(d.deviceID), 4))",
                "PCI_SLOT_NAME=\(d.address)",
                "PCI_SUBSYS_ID=\(upper(UInt64(d.subsystemVendorID), 4)):\(upper(UInt64(d.subsystemDeviceID), 4))",
                "SUBSYSTEM=pci",
            ]
            var text = "P: \(path)\n"
            for property in properties.sorted() { text += "E: \(property)\n" }
            for (name, bytes) in d.attributes.sorted(by: { $0.key < $1.key }) {
                text += Self.umockdevIsText(bytes) && name != "config"
                    ? "A: \(name)=\(Self.umockdevEscaped(bytes))\n"
                    : "H: \(name)=\(bytes.map { hexString(UInt64($0), width: 2).uppercased() }.joined())\n"
            }
            paragraphs.append((path, text))
        }
        return paragraphs.sorted { $0.path < $1.path }.map(\.text).joined(separator: "\n")
    }

    /// `umockdev-record` writes an attribute as `A:` when it is valid UTF-8 without a NUL byte;
    /// this writer keeps `A:` to ASCII.
    static func umockdevIsText(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { $0 != 0 && $0 < 0x80 } }

    /// `g_strescape(value, "")`, which `umockdev-record` applies to an `A:` value and
    /// `g_strcompress()` (in `add_dev_from_string()`) undoes.
    static func umockdevEscaped(_ bytes: [UInt8]) -> String {
        var out = ""
        for b in bytes {
            switch b {
            case 0x08: out += "\\b"
            case 0x0c: out += "\\f"
            case 0x0a: out += "\\n"
            case 0x0d: out += "\\r"
            case 0x09: out += "\\t"
            case 0x0b: out += "\\v"
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\""): out += "\\\""
            case ..<0x20, 0x7f...:
                let octal = String(b, radix: 8)
                out += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            default: out.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        return out
    }
}
