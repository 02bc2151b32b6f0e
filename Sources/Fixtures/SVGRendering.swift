import Foundation

extension FixtureRoundTrip {
    /// The pixel size of a PNG, read from its IHDR chunk (bytes 16-23, big-endian width and height).
    public static func pngSize(_ png: [UInt8]) -> (width: Int, height: Int)? {
        let signature: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
        guard png.count >= 24, Array(png[0..<8]) == signature, Array(png[12..<16]) == Array("IHDR".utf8) else { return nil }
        func be32(_ at: Int) -> Int { png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    /// Renders `svg` to PNG with `rsvg-convert` (apt `librsvg2-bin`) and returns the PNG's size.
    ///
    /// - Throws: when `rsvg-convert` is missing or refuses the file (with its message).
    public static func renderedPNGSize(ofSVG svg: URL) throws -> (width: Int, height: Int) {
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("barproof-svg-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["rsvg-convert", "--format", "png", "--output", output.path, svg.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RenderError("rsvg-convert \(svg.lastPathComponent) exited \(process.terminationStatus): \(String(decoding: message, as: UTF8.self))")
        }
        guard let size = pngSize([UInt8](try Data(contentsOf: output))) else {
            throw RenderError("rsvg-convert wrote no PNG for \(svg.lastPathComponent)")
        }
        return size
    }

    public struct RenderError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}
