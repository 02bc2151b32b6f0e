import Foundation
import SpecFiles

/// Finds a spec by path, or by name under `Specs/`.
public func resolveSpecPath(_ argument: String) throws -> String {
    if FileManager.default.fileExists(atPath: argument) { return argument }
    let directory = FileManager.default.currentDirectoryPath
    // A path (a slash or a .yaml/.yml ending) is only ever a file; a bare name may be Specs/<name>.yaml.
    if argument.contains("/") || argument.hasSuffix(".yaml") || argument.hasSuffix(".yml") {
        throw UsageError(message: "no spec file '\(argument)' (relative paths are read from \(directory))")
    }
    for candidate in ["Specs/\(argument).yaml", "Specs/\(argument).yml"] where FileManager.default.fileExists(atPath: candidate) {
        return candidate
    }
    throw UsageError(message: "no spec '\(argument)': neither a file nor Specs/\(argument).yaml under \(directory)")
}

/// The check of `spec` named `name`, or a usage error suggesting the nearest name.
public func findCheck(_ name: String, in spec: Spec) throws -> SpecCheck {
    if let check = spec.checks.first(where: { $0.name == name }) { return check }
    throw UsageError(message: "spec \(spec.name) has no check '\(name)'"
                     + NameSuggestion.hint(for: name, among: spec.checks.map(\.name)))
}
