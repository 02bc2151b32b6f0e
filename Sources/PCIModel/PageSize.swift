/// A host page size: a power of two, 4 KiB, 16 KiB or 64 KiB on the platforms barproof models
/// (x86/most arm64: 4 KiB; arm64 16K; ppc64 PowerNV and arm64 64K: 64 KiB).
public struct PageSize: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt64

    /// Accepts any power of two from 4 KiB to 1 GiB; the page sizes the model reasons about.
    public init?(rawValue: UInt64) {
        guard rawValue >= 4096, rawValue <= 1 << 30, rawValue & (rawValue - 1) == 0 else { return nil }
        self.rawValue = rawValue
    }

    public static let kib4 = PageSize(rawValue: 4096)!
    public static let kib16 = PageSize(rawValue: 16384)!
    public static let kib64 = PageSize(rawValue: 65536)!

    /// The page sizes Linux runs with on the architectures vfio-pci is used on.
    public static let common: [PageSize] = [.kib4, .kib16, .kib64]

    /// log2 of the size (`PAGE_SHIFT`).
    public var shift: Int { rawValue.trailingZeroBitCount }

    /// `x & PAGE_MASK`: the start of the page holding `x`.
    public func pageDown(_ x: UInt64) -> UInt64 { x & ~(rawValue - 1) }

    /// `PAGE_ALIGN(x)`, wrapping on overflow exactly as the kernel's u64 arithmetic does.
    public func pageUp(_ x: UInt64) -> UInt64 { (x &+ (rawValue - 1)) & ~(rawValue - 1) }

    public static func < (a: PageSize, b: PageSize) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        rawValue % (1 << 20) == 0 ? "\(rawValue >> 20) MiB" : "\(rawValue >> 10) KiB"
    }
}
