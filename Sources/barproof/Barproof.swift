import ArgumentParser
import Commands
import Foundation
import Reports
import SpecFiles
import Z3Kit

/// The barproof command line. Exit codes (README, "Limits, signals and exit codes"): 0 everything as expected, 1 a check missed
/// its expectation or drifted from its record, 2 inconclusive, 64 usage, 65 bad input, 70 internal,
/// 73 an output could not be created, 74 an I/O error while writing one.
@main
struct Barproof: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "barproof",
            abstract: "Proves or refutes vfio-pci mmap security invariants with Z3.",
            discussion: """
                Exit codes: 0 every check as expected; 1 a check missed its expectation or drifted \
                from its recorded proof; 2 a check was inconclusive (unknown); 64 usage error; \
                65 bad input (spec, record, snapshot or topology, at file:line:column); 70 internal error; \
                73 an output could not be created; 74 an I/O error writing an output.
                """,
            version: "barproof \(BarproofRelease.version) (Z3 \(Context.fullVersion))",
            subcommands: [Prove.self, Explain.self, List.self, ExportSMT2.self, Search.self, AuditCommand.self, SnapshotCommand.self],
            defaultSubcommand: nil)
    }
}

/// Runs a command body, mapping its errors to barproof's exit codes: spec problems to 65 with
/// their file:line:column, usage problems to 64, outputs that cannot be written to 73 or 74 (the
/// path and the reason), everything else to 70.
///
/// Installs the SIGINT/SIGTERM handling first (``RunControl``); a run that a signal stopped exits
/// 130 or 143 whatever it would have returned, after printing what it decided. With `statistics`,
/// prints what the run cost (``RunStatistics``) on standard error last.
func guarded(statistics: Bool = false, _ body: () throws -> Int32) throws {
    RunControl.install()
    var code: Int32
    do {
        code = try body()
    } catch let errors as SpecErrors {
        printError(errors.description)
        printError(errors.sarifLog.map { "no report written; the SARIF log of the failure went to \($0)" } ?? "no output written")
        code = Exit.badInput
    } catch let error as UsageError {
        printError("error: \(error.message)")
        code = Exit.usage
    } catch let error as OutputError {
        printError("error: \(error)")
        code = error.exitCode
    } catch let exit as ExitCode {
        throw exit
    } catch {
        printError("internal error: \(error)")
        code = Exit.internalError
    }
    if let interrupted = RunControl.interruptedExitCode {
        printError("interrupted (\(RunControl.name(of: interrupted - 128))): what was decided before is above; nothing half-written")
        // Checks still winding down on other threads may be inside Z3: end the process now, after
        // any commit under way, rather than run exit handlers and destructors beneath them.
        RunControl.exit(interrupted)
    }
    if statistics { printError(RunStatistics.now().text) }
    if code != 0 { throw ExitCode(code) }
}
