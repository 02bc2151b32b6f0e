# barproof: the two commands a newcomer needs are `make prove` and `make test`.
# Both install what is missing (libz3-dev, pkg-config, z3, cvc5, librsvg2-bin, python3-jsonschema,
# umockdev) with apt-get first.
SWIFT ?= swift
SPECS ?= Specs Specs/kernels
SWIFTFLAGS ?=

.PHONY: deps build release test prove prove-record prove-bench search-bench audit-bench bench clean install deb package-check

deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# `make test`, which CI runs (`.ci/run`): the Debian package built first (the release binary with
# the Swift runtime linked in, .build-static/, scripts/make-deb.sh), then the test suite, whose
# CLI tests run that release binary (BARPROOF_BINARY), then the package installed into this machine
# and checked from /usr/bin with the toolchain out of reach (scripts/check-package.sh): ldd, the
# Action's install and prove steps, every spec proved against its record (--require-records: a
# check without a record fails rather than passing uncompared) and an audit against the debug
# binary's. Fails if any part fails. SWIFTFLAGS passes e.g. --scratch-path to the debug build.
#
# The tests run in two processes side by side (scripts/run-tests.sh: CLITests, and the rest), and
# within each one at a time (--no-parallel), because every suite has a .timeLimit, and Swift
# Testing starts a test's clock before the test gets a thread: in a parallel run on a 2-core
# machine a test can wait minutes behind others that hold both threads, and fail its limit without
# having run (on this shared machine, a parallel run at a load average of 5-7 failed 250 limits
# in 8m52s; a run one at a time at 4-6 failed none, in 7m46s).
#
# Last-resort bounds: every program a test starts is killed at its deadline (TestSupport's
# ProgramRun), but a test stuck in-process (a blocking call that never returns) is beyond that and
# beyond its .timeLimit, since Swift Testing cannot stop a synchronous test. So the package build
# runs under a deadline of BUILD_TIMEOUT wall seconds, the whole test run (its build included)
# under TEST_TIMEOUT, and the package check under PROVE_TIMEOUT: scripts/run-bounded.sh, coreutils
# `timeout` (SIGINT, then SIGKILL 30 s later) plus killing what the command left behind, which
# ends the run with a message instead of hanging the CI job until its own limit.
BUILD_TIMEOUT ?= 900
TEST_TIMEOUT ?= 1200
PROVE_TIMEOUT ?= 300
STATIC_BIN = $$($(SWIFT) build -c release --static-swift-stdlib --scratch-path .build-static --show-bin-path)
test: deps
	SWIFT=$(SWIFT) scripts/run-bounded.sh $(BUILD_TIMEOUT) scripts/make-deb.sh .build-static
	BARPROOF_BINARY="$(STATIC_BIN)/barproof" scripts/run-bounded.sh $(TEST_TIMEOUT) scripts/run-tests.sh $(SWIFT) $(SWIFTFLAGS)
	scripts/run-bounded.sh $(PROVE_TIMEOUT) scripts/check-package.sh "$$(ls -t .build-static/barproof_*.deb | head -1)" \
	  "$$($(SWIFT) build $(SWIFTFLAGS) --show-bin-path)/barproof"

prove: release
	.build/release/barproof prove --require-records $(SPECS)

# Re-record proofs/ after an intended change to a rule or a spec; review the diff before committing.
prove-record: release
	.build/release/barproof prove --record $(SPECS)

# Wall time of `barproof prove` over the shipped specs with one and two parallel checks, median of
# PROVE_ROUNDS runs each (alternating), against the 2 s target; --jobs 1 is the same-run baseline
# for --jobs 2; then `prove --record` into an empty folder, PROVE_ROUNDS runs (the verdicts above
# are its baseline); then the share of each run's CPU spent making Z3 contexts (`--statistics`).
PROVE_ROUNDS ?= 5
prove-bench: release
	@echo "prove-bench: load average $$(cut -d' ' -f1-3 /proc/loadavg) at the start"
	@for round in $$(seq $(PROVE_ROUNDS)); do for jobs in 1 2; do start=$$(date +%s.%N); \
	  .build/release/barproof prove --jobs $$jobs $(SPECS) > /dev/null || echo "exit $$? (--jobs $$jobs)" >&2; \
	  end=$$(date +%s.%N); echo "$$jobs $$(echo "$$end - $$start" | bc)"; done; done | sort -k1,1n -k2,2n | \
	  awk -v rounds=$(PROVE_ROUNDS) '{ t[$$1] = t[$$1] " " $$2; n[$$1]++; v[$$1, n[$$1]] = $$2 } \
	    END { for (j = 1; j <= 2; j++) { m[j] = v[j, int((n[j] + 1) / 2)]; \
	      printf "barproof prove --jobs %d: median %.2f s wall over %d runs (%s ), target 2 s: %s\n", j, m[j], n[j], t[j], m[j] < 2 ? "met" : "NOT met" } \
	      printf "--jobs 2 / --jobs 1: %.2fx\n", m[2] / m[1] }'
	@for round in $$(seq $(PROVE_ROUNDS)); do scratch=$$(mktemp -d); start=$$(date +%s.%N); \
	  .build/release/barproof prove --record --proofs $$scratch $(SPECS) > /dev/null 2>&1 || echo "exit $$? (--record)" >&2; \
	  end=$$(date +%s.%N); rm -rf $$scratch; echo "$$end - $$start" | bc; done | sort -n | \
	  awk '{ v[NR] = $$1; t = t " " $$1 } END { printf "barproof prove --record (--jobs 2, into an empty folder): median %.2f s wall over %d runs (%s ), most of it writing the queries\n", v[int((NR + 1) / 2)], NR, t }'
	@for round in $$(seq $(PROVE_ROUNDS)); do for jobs in 1 2; do \
	  .build/release/barproof prove --jobs $$jobs --quiet --statistics $(SPECS) 2>&1 >/dev/null | \
	  sed -n 's/^statistics: \([0-9]*\) Z3 contexts made .* in \([0-9.]*\) ms$$/\1 \2/p; s/^statistics: process CPU \([0-9.]*\) s.*/\1/p' | \
	  tr '\n' ' ' | awk -v jobs=$$jobs '{ printf "%d %.2f %d %.1f %.3f\n", jobs, 100 * $$2 / ($$3 * 1000), $$1, $$2, $$3 }'; done; done | sort -k1,1n -k2,2n | \
	  awk '{ n[$$1]++; v[$$1, n[$$1]] = $$0; t[$$1] = t[$$1] " " $$2 } \
	    END { for (j = 1; j <= 2; j++) { split(v[j, int((n[j] + 1) / 2)], m, " "); \
	      printf "Z3 contexts in barproof prove --jobs %d: median %.1f%% of its CPU over %d runs (%s %%), %d contexts in %.1f ms of %.2f s, target under 5%%: %s\n", \
	        j, m[2], n[j], t[j], m[3], m[4], m[5], m[2] < 5 ? "met" : "NOT met" } }'

# The topology search as a user runs it: wall time to the first counterexample of the shipped
# spec's page-exclusive-without-reservation for N = 2, 8, 24 devices and 0 or 4 bridges, and of
# --max 10 (every view found, the rest proved unreachable); SEARCH_ROUNDS runs each.
SEARCH_ROUNDS ?= 3
search-bench: release
	scripts/search-bench.sh .build/release/barproof $(SEARCH_ROUNDS)

# The audit of a fleet as a user runs it: wall time of `barproof audit` over 1,000 snapshot files
# of 100 functions (baseline: 100 files), text and JSON, AUDIT_ROUNDS runs each.
AUDIT_ROUNDS ?= 3
audit-bench: release
	scripts/audit-bench.sh .build/release/barproof .build/release/barproof-bench $(AUDIT_ROUNDS)

# The benchmark: the pair-model checks of the three named policies against Z3's incremental solver;
# every check of the shipped specs as `prove` decides it (per-check medians, the release presets
# against the named policies in the same run); what dependencies cost against the verdict
# (`--record` and `explain`, check by check); the search's deepening against one query over the
# whole machine (barproof-bench search); the host audit and fleets in memory (barproof-bench
# audit); `prove --jobs 1/2` and `prove --record` wall time (prove-bench); the topology search's
# wall times (search-bench); `barproof audit` over a fleet of files (audit-bench); and each check against z3,
# cvc5 and bitwuzla given its exported queries (scripts/solver-bench.py, which installs
# bitwuzla's Python package with pip when it is missing), SOLVER_ROUNDS rounds. Every part
# prints the load average it ran under.
SOLVER_ROUNDS ?= 1
bench: release
	.build/release/barproof-bench
	.build/release/barproof-bench specs
	.build/release/barproof-bench specs --alone
	.build/release/barproof-bench dependencies 3
	.build/release/barproof-bench search 3
	.build/release/barproof-bench audit 3
	@$(MAKE) --no-print-directory prove-bench
	@$(MAKE) --no-print-directory search-bench
	@$(MAKE) --no-print-directory audit-bench
	scripts/solver-bench.py .build/release/barproof $(SOLVER_ROUNDS) $(SPECS)

# A release binary with the Swift runtime linked in (it needs only glibc and libz3), its manual
# pages and shell completions, under DESTDIR/PREFIX; built in .build-static (scripts/install.sh).
PREFIX ?= /usr/local
DESTDIR ?=
install: deps
	SWIFT=$(SWIFT) scripts/install.sh $(PREFIX) $(DESTDIR)

# The Debian package of the same (barproof_<version>_<arch>.deb here; depends on libz3-4).
deb: deps
	SWIFT=$(SWIFT) scripts/make-deb.sh .

# The package built and installed into this machine, then run from /usr/bin without the toolchain
# (scripts/check-package.sh: ldd, --version, prove on the shipped specs, the Action's steps, an audit
# against the tree's own binary); removed after. `make test` ends with the same check.
package-check: deps
	SWIFT=$(SWIFT) scripts/make-deb.sh .build-static
	$(SWIFT) build $(SWIFTFLAGS) --product barproof
	scripts/check-package.sh "$$(ls -t .build-static/barproof_*.deb | head -1)" "$$($(SWIFT) build $(SWIFTFLAGS) --show-bin-path)/barproof"

clean:
	rm -rf .build .build-static barproof_*.deb
