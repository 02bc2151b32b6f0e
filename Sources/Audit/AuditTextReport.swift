import PCIModel

extension AuditReport {
    /// The report a reviewer reads: per device a table of memory BARs, then each exposed page
    /// that holds a foreign resource, with what lies on it. Control characters from the input are
    /// escaped (``Swift/String/escapingControlCharacters``).
    public var text: String {
        var out: [String] = []
        let isolation = msiIsolation == .unknown ? "unknown (evaluated both ways)" : msiIsolation.rawValue
        let unsafe = allowUnsafeInterrupts.map { $0 ? "Y" : "N" } ?? "unknown (evaluated both ways)"
        out.append("barproof audit: policy \(policy), page size \(PageSize(rawValue: pageSize)?.description ?? "\(pageSize)"), "
                   + "MSI isolated: \(isolation), allow_unsafe_interrupts: \(unsafe)")
        for fact in facts { out.append("host: \(fact.name) \(fact.value) (\(fact.source))") }
        for note in notes { out.append("note: \(note)") }
        for device in devices {
            out.append("")
            var header = "\(device.address) [\(hex4(device.vendorID)):\(hex4(device.deviceID))] class \(hexPadded(UInt64(device.classCode), 6))"
            if let driver = device.driver { header += " driver \(driver)" }
            if let group = device.iommuGroup { header += " iommu_group \(group)" }
            if let unread = device.unread {
                out.append(device.address)
                out.append("  not read: \(unread); its BARs, and every verdict about them, are unknown")
                continue
            }
            out.append(header)
            for finding in device.findings { out.append("  finding: \(finding)") }
            if let msix = device.msix {
                func place(_ name: String, _ m: MSIXStructure) -> String {
                    var text = "\(name) in BAR \(m.bar) at offset \(hexText(m.offset)), \(sizeText(m.bytes))"
                    if let start = m.start, let end = m.end { text += " (\(hexPadded(start.value, 16))-\(hexPadded(end.value, 16)))" }
                    return text
                }
                out.append("  MSI-X: \(msix.entries) entr\(msix.entries == 1 ? "y" : "ies"); \(place("table", msix.table)); \(place("PBA", msix.pba))")
            } else if !device.msixKnown && device.skipped == nil {
                out.append("  MSI-X: unknown (the capability list could not be read)")
            }
            if let skipped = device.skipped {
                out.append("  not audited: \(skipped)")
                continue
            }
            if device.bars.isEmpty {
                out.append("  no memory BARs")
                continue
            }
            let rows = device.bars.map { bar in
                ["\(bar.index)", "\(hexPadded(bar.start, 16))-\(hexPadded(bar.end, 16))", sizeText(bar.size),
                 "\(bar.kind)\(bar.prefetchable ? " pref" : "")", mmappableText(bar), decidedText(bar)]
            }
            out += table(["BAR", "range", "size", "type", "mmappable", "refused by / violates"], rows).map { "  " + $0 }
            for bar in device.bars where !bar.unknownReasons.isEmpty {
                out.append("  BAR \(bar.index) unknown: \(bar.unknownInvariants.joined(separator: ", "))")
                for reason in bar.unknownReasons { out.append("    because \(reason)") }
            }
            for bar in device.bars {
                for entry in bar.suppressed ?? [] {
                    out.append("  BAR \(bar.index) \(entry.invariant) suppressed by \(entry.file):\(entry.line): \(entry.justification)"
                               + (entry.expires.map { " (expires \($0))" } ?? "") + "; reported, not counted")
                }
            }
            for bar in device.bars where !bar.foreign.isEmpty || bar.msixTableExposed || bar.msixPBAExposed {
                guard bar.mmappableUnderSomeAssumption else { continue }
                let location = bar.file.map { " (\($0):\(bar.line))" } ?? ""
                out.append("  BAR \(bar.index) exposes \(hexPadded(bar.exposedStart, 16))-\(hexPadded(bar.exposedEnd, 16))\(location):")
                for page in pages(of: bar) { out.append("    " + page) }
                if bar.foreignNotListed > 0 {
                    out.append("    ... and \(bar.foreignNotListed) more foreign resource\(bar.foreignNotListed == 1 ? "" : "s") "
                               + "on these pages (the first \(bar.foreign.count) by address are listed)")
                }
                if bar.msixTableExposed { out.append("    MSI-X table bytes are exposed") }
                if bar.msixPBAExposed { out.append("    MSI-X PBA bytes are exposed") }
            }
        }
        if !groups.isEmpty {
            out.append("")
            out.append("IOMMU groups:")
            for group in groups {
                let name = group.group.map { "group \($0)" } ?? "no group"
                out.append("  \(name) (\(group.devices.joined(separator: ", "))): \(group.verdict.rawValue)")
                for reason in group.reasons { out.append("    because \(reason)") }
                for remedy in group.remedies { out.append("    remedy (\(remedy.evidence)): \(remedy.action)") }
            }
        }
        out.append("")
        out.append(summary)
        // Names, paths and messages come from the input (an iomem name can hold an escape sequence).
        return out.map(\.escapingControlCharacters).joined(separator: "\n") + "\n"
    }

    /// The last line: the violations, and when some verdict is unknown, that the audit is incomplete
    /// (`incomplete: run as root or audit a snapshot taken as root`), or that `--allow-incomplete`
    /// let it pass on the decided verdicts.
    public var summary: String {
        let count = violationCount
        var line = count == 0 ? "no invariant violated" : "\(count) invariant violation\(count == 1 ? "" : "s")"
        let suppressed = suppressedCount, known = baselineUnchangedCount
        if suppressed + known > 0 {
            line += " (not counted: " + [suppressed > 0 ? "\(suppressed) suppressed" : nil, known > 0 ? "\(known) in the baseline" : nil]
                .compactMap { $0 }.joined(separator: ", ") + ")"
        }
        guard incomplete else { return line }
        line += " on what could be read; \(unknownCount) verdict\(unknownCount == 1 ? "" : "s") unknown"
        if unreadCount > 0 { line += ", \(unreadCount) function\(unreadCount == 1 ? "" : "s") not read" }
        return line + (allowIncomplete ? " (--allow-incomplete)" : "; incomplete: run as root or audit a snapshot taken as root")
    }

    /// Each exposed page holding a foreign resource, with what lies on it (at most 16 pages):
    /// ``PageMap``, the whole page mapped.
    private func pages(of bar: BARAudit) -> [String] {
        guard let page = PageSize(rawValue: pageSize) else { return [] }
        let resources = bar.foreign.map { PageMap.Resource(label: $0.owner, start: $0.start, end: $0.end) }
        let shared = PageMap.sharedPages(exposed: (bar.exposedStart, bar.exposedEnd), size: page.rawValue, resources: resources, limit: 16)
        var lines = shared.pages.flatMap { PageMap.lines(page: $0, size: page.rawValue, bar: (bar.start, bar.end), resources: resources) }
        if shared.more { lines.append("... more shared pages") }
        return lines
    }

    private func mmappableText(_ bar: BARAudit) -> String {
        let answers = bar.verdicts.map { $0.mmappable.map { $0 ? "yes" : "no" } ?? "unknown" }
        if Set(answers).count <= 1 { return answers.first ?? "-" }
        return zip(bar.verdicts, answers).map { "\(assumption($0, of: bar)): \($1)" }.joined(separator: ", ")
    }

    /// The assumptions that tell `verdict` from the BAR's other verdicts: `isolated`, `not
    /// isolated`, `unsafe interrupts allowed` / `refused` (`allow_unsafe_interrupts` Y / N).
    private func assumption(_ verdict: BARVerdict, of bar: BARAudit) -> String {
        var words: [String] = []
        if Set(bar.verdicts.map(\.msiIsolated)).count > 1 { words.append(verdict.msiIsolated ? "isolated" : "not isolated") }
        if let unsafe = verdict.allowUnsafeInterrupts, Set(bar.verdicts.map(\.allowUnsafeInterrupts)).count > 1 {
            words.append("allow_unsafe_interrupts=\(unsafe ? "Y" : "N")")
        }
        return words.joined(separator: ", ")
    }

    /// An invariant of a finding, marked `(suppressed)` or `(in the baseline)` when that excuses it.
    private func marked(_ invariant: String, _ bar: BARAudit) -> String {
        if bar.suppressed?.contains(where: { $0.invariant == invariant }) == true { return invariant + " (suppressed)" }
        if bar.baseline?.contains(where: { $0.invariant == invariant && $0.state == "unchanged" }) == true {
            return invariant + (bar.violations.contains(invariant) ? " (in the baseline)" : " (in the baseline, still counted: unknown)")
        }
        return invariant
    }

    private func decidedText(_ bar: BARAudit) -> String {
        var parts: [String] = []
        for verdict in bar.verdicts {
            let prefix = bar.verdicts.count > 1 ? assumption(verdict, of: bar) + ": " : ""
            if !verdict.refusedBy.isEmpty {
                parts.append(prefix + verdict.refusedBy.joined(separator: ", "))
            } else {
                var decided: [String] = []
                if !verdict.violations.isEmpty { decided.append("VIOLATES " + verdict.violations.map { marked($0, bar) }.joined(separator: ", ")) }
                if !verdict.unknown.isEmpty { decided.append("UNKNOWN " + verdict.unknown.map { marked($0, bar) }.joined(separator: ", ")) }
                if !decided.isEmpty { parts.append(prefix + decided.joined(separator: ", ")) }
            }
        }
        return parts.isEmpty ? "-" : parts.joined(separator: "; ")
    }
}

func table(_ header: [String], _ rows: [[String]]) -> [String] {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
        }.joined(separator: "  ")
    }
}

func hex4(_ value: UInt16) -> String { hexString(value, width: 4) }

