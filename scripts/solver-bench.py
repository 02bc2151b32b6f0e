#!/usr/bin/env python3
"""barproof against what a user would do instead: hand each check's queries to a solver.

Usage: scripts/solver-bench.py BARPROOF [ROUNDS] [SPEC-DIR...]   (`make bench` runs it)

For every check of the specs (default Specs and Specs/kernels), in the same run and interleaved
round by round:
  - barproof: `barproof prove --jobs 1 --json` over all specs; a check's time is its `seconds` in
    the report (in-process: every page size, every stage, the counterexample re-check);
  - z3, cvc5: each of the check's exported queries (`barproof export-smt2`, the exact bit-vector
    query of each case at each page size) run as `z3 -smt2 FILE` / `cvc5 FILE`, wall time less the
    solver's own start-up (a script holding only `(set-logic QF_BV)` and `(check-sat)`, median of
    5, measured each round);
  - bitwuzla: the same files through its Python package (pip install bitwuzla), parse and solve
    in-process, so no start-up at all.
A solver's time for a check is what deciding it takes: the queries in order up to and including
the first `sat` (a refutation needs one), all of them when every one is `unsat`. A query that
runs past the limit (QUERY_LIMIT seconds, default 30) counts as the limit, and the ratio is then
a lower bound (marked `>`). Every solver answer is compared with barproof's verdict: a `sat`
where barproof proves, or no `sat` where it refutes, is reported as a disagreement and fails
the run (exit 1).

Ratios are solver time / barproof time: above 1 means barproof is ahead. The summary gives the
geometric mean against each solver and against the best of the three per check, and the checks
where barproof is behind any of them.
"""
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

LIMIT = float(os.environ.get("QUERY_LIMIT", "30"))


def ensure_bitwuzla():
    try:
        import bitwuzla  # noqa: F401
        return True
    except ImportError:
        print("solver-bench: installing bitwuzla's Python package (pip install bitwuzla)", file=sys.stderr)
        result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "bitwuzla"])
        if result.returncode != 0:
            print("solver-bench: could not install bitwuzla; it is left out", file=sys.stderr)
            return False
        return True


def timed(command):
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=LIMIT)
    except subprocess.TimeoutExpired:
        return LIMIT, "timeout"
    elapsed = time.perf_counter() - start
    words = done.stdout.split()
    answer = words[0] if words else "error"
    return elapsed, answer if answer in ("sat", "unsat", "unknown") else "error"


def bitwuzla_solve(path):
    import bitwuzla
    options = bitwuzla.Options()
    options.set(bitwuzla.Option.TIME_LIMIT_PER, int(LIMIT * 1000))
    manager = bitwuzla.TermManager()
    start = time.perf_counter()
    parser = bitwuzla.Parser(manager, options)
    parser.parse(path, parse_only=True)
    result = parser.bitwuzla().check_sat()
    elapsed = time.perf_counter() - start
    answer = {bitwuzla.Result.SAT: "sat", bitwuzla.Result.UNSAT: "unsat"}.get(result, "unknown")
    return (LIMIT, "timeout") if answer == "unknown" and elapsed >= LIMIT * 0.99 else (elapsed, answer)


def startup(command, empty):
    return statistics.median(timed(command + [empty])[0] for _ in range(5))


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 64
    barproof = sys.argv[1]
    rounds = next((int(a) for a in sys.argv[2:] if a.isdigit()), 1)
    dirs = [a for a in sys.argv[2:] if not a.isdigit()] or ["Specs", "Specs/kernels"]
    specs = sorted(os.path.join(d, f) for d in dirs for f in os.listdir(d) if f.endswith(".yaml"))
    have_bitwuzla = ensure_bitwuzla()
    print("solver-bench: load average %.2f %.2f %.2f at the start" % os.getloadavg(), flush=True)
    work = tempfile.mkdtemp(prefix="solver-bench-")
    empty = os.path.join(work, "empty.smt2")
    with open(empty, "w") as f:
        # The queries' own logic: without `set-logic`, z3 builds its default solver, which takes
        # longer to start than a small QF_BV query takes to solve (measured: 13.6 ms against 10.1).
        f.write("(set-logic QF_BV)\n(check-sat)\n")
    queries = {}  # "spec/check" -> [file, ...] in barproof's order (4k cases, then 64k)
    for spec in specs:
        name = os.path.splitext(os.path.basename(spec))[0]
        out = os.path.join(work, name)
        subprocess.run([barproof, "export-smt2", spec, "--out", out, "--quiet"], check=True, capture_output=True)
        for file in os.listdir(out):
            check, page_case = file[: -len(".smt2")].rsplit(".", 1)
            queries.setdefault(f"{name}/{check}", []).append(os.path.join(out, file))

    def order(path):
        page, case = os.path.basename(path)[: -len(".smt2")].rsplit(".", 1)[1].split("-case")
        return (int(page.rstrip("k")), int(case))

    for files in queries.values():
        files.sort(key=order)
    solvers = [("z3", ["z3", "-smt2"]), ("cvc5", ["cvc5"])] + ([("bitwuzla", None)] if have_bitwuzla else [])
    times = {key: {s: [] for s, _ in solvers} | {"barproof": []} for key in queries}
    verdicts = {}
    capped = {key: set() for key in queries}
    disagreements = []
    for round_index in range(rounds):
        report_path = os.path.join(work, f"prove-{round_index}.json")
        subprocess.run([barproof, "prove", "--jobs", "1", "--quiet", "--json", report_path] + specs,
                       capture_output=True)
        with open(report_path) as f:
            report = json.load(f)
        for check in report["checks"]:
            key = f"{check['spec']}/{check['check']}"
            if key in times:
                times[key]["barproof"].append(check["seconds"])
                verdicts[key] = check["verdict"]
        offsets = {s: (startup(c, empty) if c else 0.0) for s, c in solvers}
        # Interleaved: each check's queries by every solver in turn, the solvers' order rotated per round.
        rotation = solvers[round_index % len(solvers):] + solvers[: round_index % len(solvers)]
        for key, files in queries.items():
            for solver, command in rotation:
                total, answers = 0.0, []
                for path in files:
                    elapsed, answer = bitwuzla_solve(path) if command is None else timed(command + [path])
                    total += max(0.0, elapsed - offsets[solver]) if answer != "timeout" else LIMIT
                    answers.append(answer)
                    if answer == "timeout":
                        capped[key].add(solver)
                    if answer == "sat":
                        break
                times[key][solver].append(total)
                expected = verdicts.get(key)
                if "timeout" not in answers and "unknown" not in answers and "error" not in answers:
                    refutes = "sat" in answers
                    if expected == "refuted" and not refutes or expected in ("proved", "vacuous") and refutes:
                        disagreements.append(f"{key}: barproof {expected}, {solver} answered {' '.join(answers)}")
                elif "error" in answers:
                    disagreements.append(f"{key}: {solver} failed on a query ({' '.join(answers)})")

    names = [s for s, _ in solvers]
    print("load average %.2f %.2f %.2f at the end" % os.getloadavg())
    print(f"solver-bench: {len(queries)} checks, {sum(len(f) for f in queries.values())} exported queries, "
          f"{rounds} round(s), interleaved; ms are medians; ratio = solver / barproof (above 1: barproof ahead)")
    print(f"{'check':52}{'verdict':9}{'barproof':>10}" + "".join(f"{n:>10}" for n in names) + f"{'best':>10}{'ratio':>9}")
    ratios = {n: [] for n in names + ["best"]}
    behind = []
    # Both under 0.5 ms (below the noise of timing a solver process): neither ahead nor behind,
    # and left out of the geometric means.
    tied = []
    for key in sorted(queries):
        ours = statistics.median(times[key]["barproof"]) if times[key]["barproof"] else float("nan")
        theirs = {n: statistics.median(times[key][n]) for n in names}
        best_name = min(names, key=lambda n: theirs[n])
        floor = max(ours, 1e-5)  # 10 us: barproof reports seconds to the microsecond
        mark = ">" if best_name in capped[key] else " "
        tie = ours < 5e-4 and theirs[best_name] < 5e-4
        if not tie:
            for n in names:
                ratios[n].append(theirs[n] / floor)
            ratios["best"].append(theirs[best_name] / floor)
        if tie:
            tied.append(key)
        elif theirs[best_name] < ours:
            behind.append(f"{key} (barproof {ours * 1000:.1f} ms, {best_name} {theirs[best_name] * 1000:.1f} ms)")
        print(f"{key:52}{verdicts.get(key, '?'):9}{ours * 1000:10.1f}" + "".join(f"{theirs[n] * 1000:10.1f}" for n in names)
              + f"{theirs[best_name] * 1000:10.1f}{mark}" + ("    tie" if tie else f"{theirs[best_name] / floor:7.1f}x"))

    def geomean(xs):
        xs = [x for x in xs if x > 0 and math.isfinite(x)]
        return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")

    print("")
    for n in names + ["best"]:
        label = "the best of the three, per check" if n == "best" else n
        print(f"geometric mean ahead of {label}: {geomean(ratios[n]):.1f}x")
    print(f"checks where barproof is behind the best solver: {len(behind)} of {len(queries)}")
    print(f"checks where both take under 0.5 ms (within the noise of timing a solver process), a tie: {len(tied)}"
          + (f" ({', '.join(tied)})" if tied else ""))
    for line in behind:
        print("  " + line)
    print("target: no check behind any solver, geometric mean at least 10x ahead of the best")
    for line in disagreements:
        print("DISAGREEMENT: " + line)
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
