extension ConfigSpace {
    /// A config image with what identifies the hardware unit zeroed, for a snapshot that leaves the
    /// machine, and what was done, as notes.
    public struct Scrubbed: Hashable, Sendable {
        public var bytes: [UInt8]
        public var notes: [String]
    }

    /// `PCI_CAP_ID_VPD`: Vital Product Data (the `SN` keyword holds the serial); the data register
    /// at +4 holds the last four bytes the kernel read.
    static let vpdCapabilityID: UInt8 = 0x03
    /// `PCI_CAP_ID_VNDR`: vendor-specific, a length byte at +2, data from +3.
    static let vendorCapabilityID: UInt8 = 0x09
    /// `PCI_EXT_CAP_ID_DSN`: Device Serial Number, 8 bytes at +4.
    static let serialNumberExtendedID: UInt16 = 0x0003
    /// `PCI_EXT_CAP_ID_VNDR`: VSEC; header at +4 (ID, revision, length in bits 31:20), data from +8.
    static let vendorExtendedID: UInt16 = 0x000b
    /// `PCI_EXT_CAP_ID_DVSEC`: headers at +4 (vendor, revision, length) and +8 (DVSEC ID), data from +0x0a.
    static let designatedVendorExtendedID: UInt16 = 0x0023

    /// Zeroes the Device Serial Number, VPD data and vendor-specific capability data of a raw
    /// config image, whatever else is wrong with it: it does not need the image to parse.
    ///
    /// Both lists are walked tolerantly: at most one step per possible position, a pointer that
    /// loops or points into a header ends the walk, and every capability met before is scrubbed.
    /// A walk that had to stop that way cannot say what lies past the break, so the space it
    /// covers is zeroed whole (bytes 0x40..<0x1000 for the standard list, 0x100..<0x1000 for the
    /// extended list), and a note says so. Vendor-specific data is zeroed up to its declared
    /// length, cut at the next capability met and at the end of its space. Nothing else changes:
    /// the scrubbed image parses (or fails) as the original does, with the same MSI-X, SR-IOV and
    /// resizable BARs.
    public static func scrubbedForSnapshot(_ image: [UInt8]) -> Scrubbed {
        var b = image
        var notes: [String] = []
        func zero(_ range: Range<Int>) {
            let clamped = range.clamped(to: 0..<b.count)
            for i in clamped { b[i] = 0 }
        }

        // The standard list: 0x40..<0x100, pointer at 0x34 (0x14 for a CardBus header).
        if b.count >= 0x100 {
            let start = b[0x0e] & 0x7f == 2 ? 0x14 : 0x34
            var found: [(id: UInt8, offset: Int)] = []
            var visited = Set<Int>()
            var pointer = start
            var pos = Int(b[start] & 0xfc)
            var broken: String?
            while pos != 0 {
                if pos < 0x40 {
                    broken = "the pointer at \(hex(pointer, width: 2)) points into the header (\(hex(pos, width: 2)))"
                    break
                }
                if !visited.insert(pos).inserted {
                    broken = "the pointer at \(hex(pointer, width: 2)) loops back to \(hex(pos, width: 2))"
                    break
                }
                if b[pos] == 0xff { break }
                found.append((b[pos], pos))
                pointer = pos + 1
                pos = Int(b[pos + 1] & 0xfc)
            }
            let offsets = found.map(\.offset).sorted()
            func nextCapability(after pos: Int, limit: Int) -> Int { offsets.first { $0 > pos } ?? limit }
            for (id, pos) in found {
                switch id {
                case vpdCapabilityID:
                    zero(pos + 4..<min(pos + 8, 0x100))
                case vendorCapabilityID:
                    let length = Int(b[pos + 2])
                    zero(pos + 3..<min(pos + max(length, 3), nextCapability(after: pos, limit: 0x100), 0x100))
                default:
                    break
                }
            }
            if let broken {
                zero(0x40..<b.count)
                notes.append("the capability list cannot be walked (\(broken)), so capability space "
                             + "(bytes 0x40-\(hex(b.count - 1, width: 3))) is zeroed, serial numbers and vendor data with it")
            }
        }

        // The extended list: 0x100..<0x1000, from 0x100.
        if b.count == 4096, notes.isEmpty {
            var found: [(id: UInt16, offset: Int)] = []
            var visited = Set<Int>()
            var pos = 0x100
            var broken: String?
            while true {
                let header = readLE32(b, pos)
                if header == 0 || header == 0xffff_ffff { break }
                visited.insert(pos)
                found.append((UInt16(header & 0xffff), pos))
                let next = Int((header >> 20) & 0xffc)
                if next == 0 { break }
                if next < 0x100 {
                    broken = "the next pointer at \(hex(pos + 2)) is \(hex(next)), below 0x100"
                    break
                }
                if visited.contains(next) {
                    broken = "the next pointer at \(hex(pos + 2)) loops back to \(hex(next))"
                    break
                }
                pos = next
            }
            let offsets = found.map(\.offset).sorted()
            func nextCapability(after pos: Int) -> Int { offsets.first { $0 > pos } ?? 4096 }
            for (id, pos) in found {
                switch id {
                case serialNumberExtendedID:
                    zero(pos + 4..<min(pos + 12, 4096))
                case vendorExtendedID, designatedVendorExtendedID:
                    let dataStart = id == vendorExtendedID ? pos + 8 : pos + 0x0a
                    let length = pos + 8 <= 4096 ? Int(readLE32(b, pos + 4) >> 20) : 0
                    zero(dataStart..<min(pos + max(length, dataStart - pos), nextCapability(after: pos), 4096))
                default:
                    break
                }
            }
            if let broken {
                zero(0x100..<4096)
                notes.append("the extended capability list cannot be walked (\(broken)), so extended config space "
                             + "(bytes 0x100-0xfff) is zeroed, serial numbers and vendor data with it")
            }
        }
        return Scrubbed(bytes: b, notes: notes)
    }
}
