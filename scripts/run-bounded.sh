#!/usr/bin/env bash
# Usage: scripts/run-bounded.sh SECONDS COMMAND [ARG...]
#
# Runs COMMAND with a last-resort deadline of SECONDS wall seconds (`make test` runs `swift test`
# and `barproof prove` this way), so that a hang ends the run with a message instead of holding a CI
# job until the CI's own limit. At the deadline COMMAND gets SIGINT (coreutils `timeout`), SIGKILL
# 30 s later if it is still running, and then whatever it started that is still running is killed.
#
# Why SIGINT and the clean-up: `swift test` starts the test binary in a process group of its own,
# so a signal to the command's process group misses it. On SIGINT SwiftPM stops the test binary
# and exits; on SIGTERM it exits and leaves the binary running (and holding the job's output
# open). The command runs in a session of its own (`setsid`), and every process still in that
# session afterwards is killed, whatever process group it moved to.
#
# Exit status: COMMAND's, or 124 (ended at the deadline) or 137 (killed), as `timeout` reports.
set -u
if [ $# -lt 2 ]; then
  echo "usage: $0 SECONDS COMMAND [ARG...]" >&2
  exit 2
fi
limit=$1
shift

# In a script (no job control) a background job is not a process group leader, so `setsid` makes
# it a session leader in place, without forking: the session id is its process id.
setsid timeout --signal=INT --kill-after=30 "$limit" "$@" &
session=$!

# The processes of the session, read from /proc (no procps needed): field 6 of
# /proc/<pid>/stat, counted after the parenthesised command name, is the session id.
members() {
  local stat pid fields
  for stat in /proc/[0-9]*/stat; do
    pid=${stat#/proc/}
    pid=${pid%/stat}
    fields=$(cat "$stat" 2>/dev/null) || continue
    fields=${fields##*) }
    set -- $fields
    [ "${4:-}" = "$session" ] && echo "$pid"
  done
}

# A Ctrl-C or a cancelled CI job reaches the command too (it is no longer in our process group).
trap 'kill -INT -- "-$session" 2>/dev/null' INT TERM HUP

wait "$session"
status=$?
# `wait` returns early when a trapped signal arrives; wait for the command itself.
while kill -0 "$session" 2>/dev/null; do wait "$session"; status=$?; done

leftovers=$(members)
if [ -n "$leftovers" ]; then
  echo "run-bounded: killing what '$1' left running: $(echo $leftovers)" >&2
  kill -KILL $leftovers 2>/dev/null
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "run-bounded: '$*' did not finish within $limit s and was stopped (a hung test or check?)" >&2
fi
exit "$status"
