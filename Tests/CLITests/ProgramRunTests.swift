import Foundation
import TestSupport
import Testing

/// The shared runner every test uses to launch a program: it captures both streams, and kills a
/// program that overruns its deadline (SIGTERM, then SIGKILL for one that ignores SIGTERM).
@Suite(.timeLimit(.minutes(1)))
struct ProgramRunTests {
    static let sh = URL(fileURLWithPath: "/bin/sh")

    @Test func capturesStatusAndBothStreams() throws {
        let run = try ProgramRun.run(program: Self.sh, arguments: ["-c", "echo out; echo err >&2; pwd; echo $PROGRAM_RUN_TEST; exit 3"],
                                     in: URL(fileURLWithPath: "/tmp"), environment: ["PROGRAM_RUN_TEST": "set"])
        #expect(run.status == 3)
        #expect(!run.signalled && !run.timedOut)
        #expect(run.stdout == "out\n/tmp\nset\n")
        #expect(run.stderr == "err\n")
        #expect(run.command == ["/bin/sh", "-c", "echo out; echo err >&2; pwd; echo $PROGRAM_RUN_TEST; exit 3"])
    }

    /// More output than a pipe buffer holds (64 KiB) does not block the program.
    @Test func largeOutputDoesNotBlock() throws {
        let run = try ProgramRun.run(program: Self.sh, arguments: ["-c", "head -c 1000000 /dev/zero | tr '\\0' x; head -c 300000 /dev/zero >&2"],
                                     timeout: .seconds(30))
        #expect(!run.timedOut)
        #expect(run.stdout.utf8.count == 1_000_000)
        #expect(run.stderr.utf8.count == 300_000)
    }

    @Test func overrunIsTerminatedAndSaysSo() throws {
        let run = try ProgramRun.run(program: URL(fileURLWithPath: "/bin/sleep"), arguments: ["30"], timeout: .milliseconds(300))
        #expect(run.timedOut)
        #expect(run.signalled && run.status == SIGTERM, "status \(run.status) after \(run.elapsed)")
        #expect(run.elapsed < ProgramRun.killGrace, "\(run.elapsed)")
        #expect(run.timeoutMessage == "`/bin/sleep 30` did not finish within 0.3 s and was killed (SIGTERM, then SIGKILL after 2 s)")
    }

    /// A program that ignores SIGTERM is killed `killGrace` later.
    @Test func ignoringSIGTERMGetsSIGKILL() throws {
        let run = try ProgramRun.run(program: Self.sh, arguments: ["-c", "trap '' TERM; echo ready; while :; do :; done"],
                                     timeout: .milliseconds(300))
        #expect(run.timedOut)
        #expect(run.signalled && run.status == SIGKILL)
        #expect(run.stdout == "ready\n")
        #expect(run.elapsed >= ProgramRun.killGrace && run.elapsed < .seconds(15), "\(run.elapsed)")
    }

    /// The program starts with no signal blocked, although the test's thread blocks most of them.
    @Test func programStartsWithNoSignalBlocked() throws {
        let run = try ProgramRun.run(program: Self.sh, arguments: ["-c", "grep SigBlk /proc/self/status"])
        #expect(run.stdout == "SigBlk:\t0000000000000000\n")
    }

    /// What the program started is killed with it: the whole process group is signalled.
    @Test func overrunKillsTheProgramsChildrenToo() throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("program-run-child-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: marker) }
        // The child ignores SIGTERM and outlives its parent's SIGTERM; SIGKILL to the group ends it.
        let script = "sh -c 'trap \"\" TERM; sleep 4; touch \(marker.path)' & wait"
        let run = try ProgramRun.run(program: Self.sh, arguments: ["-c", script], timeout: .milliseconds(300))
        #expect(run.timedOut)
        #expect(run.elapsed < .seconds(15), "\(run.elapsed)")
        Thread.sleep(forTimeInterval: 5)
        #expect(!FileManager.default.fileExists(atPath: marker.path), "the child outlived the kill")
    }

    @Test func commandLineQuotesWhatNeedsIt() throws {
        let run = try ProgramRun.run(program: Self.sh, arguments: ["-c", "exit 0", "it's", ""])
        #expect(run.commandLine == #"/bin/sh -c 'exit 0' 'it'\''s' ''"#)
    }

    @Test func missingProgramThrows() {
        #expect(throws: (any Error).self) {
            try ProgramRun.run(program: URL(fileURLWithPath: "/nonexistent/program"))
        }
    }
}
