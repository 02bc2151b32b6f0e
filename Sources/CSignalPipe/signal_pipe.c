// The one piece of barproof in C: a signal handler must be async-signal-safe, which a Swift
// closure cannot promise (it may touch the runtime). This handler only calls write(2).
#include "signal_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int pipe_fds[2] = {-1, -1};

static void on_signal(int number) {
    int saved = errno;
    unsigned char byte = (unsigned char)number;
    // A full pipe (a flood of signals) drops the byte; the first one has been delivered.
    ssize_t ignored = write(pipe_fds[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

int barproof_signal_pipe_install(void) {
    if (pipe_fds[0] >= 0) return pipe_fds[0];
    if (pipe(pipe_fds) != 0) return -1;
    fcntl(pipe_fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(pipe_fds[1], F_SETFD, FD_CLOEXEC);
    fcntl(pipe_fds[1], F_SETFL, O_NONBLOCK);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &action, NULL) != 0 || sigaction(SIGTERM, &action, NULL) != 0) return -1;
    // A parent may have started barproof with these signals blocked (a blocked mask is inherited
    // across exec: test runners and some CI agents do this), and then the handler would never
    // run. Unblock them in this thread; threads started from here on inherit that.
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &wanted, NULL);
    return pipe_fds[0];
}
