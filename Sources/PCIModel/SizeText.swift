/// A byte count as people write it: the largest binary unit (GiB, MiB, KiB) that divides it
/// exactly, else bytes. `0x10000` is "64 KiB", `0x1800` is "6 KiB", `100` is "100 B".
public func sizeText(_ size: UInt64) -> String {
    for (unit, shift) in [("GiB", 30), ("MiB", 20), ("KiB", 10)]
    where size >= 1 << UInt64(shift) && size % (1 << UInt64(shift)) == 0 {
        return "\(size >> UInt64(shift)) \(unit)"
    }
    return "\(size) B"
}
