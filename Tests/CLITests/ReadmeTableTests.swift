import Foundation
import Testing

/// The README's release table says what `Specs/kernels/` expects, cell by cell; `make prove` and
/// `make test` then hold each spec's expectations to what barproof proves. So the table cannot
/// drift from the proofs without a test failing.
///
/// Time limit: reads two text files, well under a second; 1 minute.
@Suite(.timeLimit(.minutes(1))) struct ReadmeTableTests {
    static let repository = BarproofRun.repository

    /// The `### Kernel releases` table: release name -> check name -> verdict.
    static func readmeTable() throws -> [String: [String: String]] {
        let text = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(text.range(of: "### Kernel releases"), "README has no '### Kernel releases' section")
        let lines = text[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .drop { !$0.hasPrefix("| release |") }
        let header = try #require(lines.first, "no table under '### Kernel releases'")
        func cells(_ line: Substring) -> [String] {
            line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let columns = cells(header).dropFirst().map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
        var table: [String: [String: String]] = [:]
        for line in lines.dropFirst(2) {
            guard line.hasPrefix("|") else { break }
            let row = cells(line)
            let release = String(row[0].split(separator: " ")[0])
            let verdicts = row.dropFirst().map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "*")) }
            #expect(verdicts.count == columns.count, "row \(release) has \(verdicts.count) cells for \(columns.count) columns")
            table[release] = Dictionary(uniqueKeysWithValues: zip(columns, verdicts))
        }
        return table
    }

    /// A kernel spec's checks: name -> expected verdict, read line by line (each check is
    /// `- name:` followed by its keys, `expect:` among them).
    static func expectations(_ file: URL) throws -> (kernel: String, expect: [String: String]) {
        let text = try String(contentsOf: file, encoding: .utf8)
        var kernel = "", name = "", expect: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("kernel:") { kernel = trimmed.dropFirst(7).trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
            if trimmed.hasPrefix("- name:") { name = trimmed.dropFirst(7).trimmingCharacters(in: .whitespaces) }
            if trimmed.hasPrefix("expect:") { expect[name] = trimmed.dropFirst(7).trimmingCharacters(in: .whitespaces) }
        }
        return (kernel, expect)
    }

    @Test func releaseTableMatchesTheKernelSpecs() throws {
        let table = try Self.readmeTable()
        let folder = Self.repository.appendingPathComponent("Specs/kernels")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }
        #expect(files.count == table.count, "\(files.count) kernel specs, \(table.count) README rows")
        #expect(files.count >= 11)
        for file in files {
            let (kernel, expect) = try Self.expectations(file)
            let row = try #require(table[kernel], "README has no row for kernel \(kernel) (\(file.lastPathComponent))")
            #expect(Set(row.keys) == Set(expect.keys), "\(file.lastPathComponent): checks \(expect.keys.sorted()), README columns \(row.keys.sorted())")
            for (check, verdict) in expect {
                #expect(row[check] == verdict, "\(kernel) \(check): the spec expects \(verdict), README says \(row[check] ?? "nothing")")
            }
        }
    }
}
