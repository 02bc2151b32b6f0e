#ifndef BARPROOF_SIGNAL_PIPE_H
#define BARPROOF_SIGNAL_PIPE_H

/// Installs handlers for SIGINT and SIGTERM that write the signal's number, one byte, to a pipe,
/// and returns the pipe's read end (or -1 with errno set). Writing one byte is all a signal handler
/// may safely do; a thread of barproof's reads the pipe and acts. Idempotent: later calls return
/// the same descriptor.
int barproof_signal_pipe_install(void);

#endif
