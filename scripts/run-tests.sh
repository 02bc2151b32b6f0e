#!/usr/bin/env bash
# Usage: scripts/run-tests.sh SWIFT [SWIFT-BUILD-FLAG...]
#
# `make test`'s test run: the tests built once (`swift build --build-tests`), then the test binary
# run as two processes side by side, one for CLITests (the tests that run the barproof binary) and
# one for every other target, so that each core has a test to run. The binary is run directly, as
# `swift test` runs it (`--testing-library swift-testing`), because two `swift test` processes
# would wait for each other on the build directory's lock. Their times were about equal when this
# split was chosen (CLITests 325 s, the rest 281 s, run one after the other).
#
# Within each process the tests run one at a time, for the reason the Makefile gives: Swift
# Testing starts a test's clock before the test gets a thread, so tests waiting behind others in
# one process fail their limits without having run. Two processes do not share that queue.
#
# BARPROOF_BINARY, when set (`make test` sets it to the release binary of the package it built),
# is the barproof the CLI tests run instead of the debug one built beside the tests.
#
# Each line of output is prefixed with its process's name ([cli] or [rest]); the exit status is
# the first failing process's, or 0.
set -u
if [ $# -lt 1 ]; then
  echo "usage: $0 SWIFT [SWIFT-BUILD-FLAG...]" >&2
  exit 2
fi
swift=$1
shift

"$swift" build --build-tests "$@" || exit $?
bin=$("$swift" build --show-bin-path "$@") || exit $?
tests=$(ls -d "$bin"/*PackageTests.xctest | head -1)
[ -x "$tests" ] || { echo "run-tests: no test binary in $bin" >&2; exit 1; }

run() {
  local name=$1
  shift
  # The status of `swift test`, not of the prefixing.
  { NO_COLOR=1 "$tests" --testing-library swift-testing --no-parallel "$@" 2>&1; echo "$?" > "$status_dir/$name"; } \
    | sed -u "s/^/[$name] /"
}

status_dir=$(mktemp -d)
trap 'rm -rf "$status_dir"' EXIT
run cli --filter CLITests &
cli=$!
run rest --skip CLITests &
rest=$!
# A deadline or a Ctrl-C (SIGINT from run-bounded.sh) stops both.
trap 'kill -INT $cli $rest 2>/dev/null; pkill -INT -P $cli 2>/dev/null; pkill -INT -P $rest 2>/dev/null' INT TERM HUP

while kill -0 $cli 2>/dev/null || kill -0 $rest 2>/dev/null; do wait; done

status=0
for name in cli rest; do
  code=$(cat "$status_dir/$name" 2>/dev/null || echo 1)
  if [ "$code" != 0 ]; then
    echo "run-tests: the $name tests failed (exit $code)" >&2
    [ "$status" = 0 ] && status=$code
  fi
done
exit "$status"
