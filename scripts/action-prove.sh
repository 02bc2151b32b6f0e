#!/usr/bin/env bash
# The prove step of the GitHub Action (action.yml): `barproof prove` on SPECS (whitespace-separated
# paths) with the human text on standard output, the SARIF log written to SARIF and the JUnit
# report to JUNIT, then a summary of the run in GITHUB_STEP_SUMMARY (the checks that did not pass)
# and the outputs `exit-code`, `sarif`, `junit` in GITHUB_OUTPUT. Exits with prove's code (0 pass,
# 1 a check failed, 2 unknown, 65 bad input), so the job fails on a failing check while the SARIF,
# written in every case, can still be uploaded by a later step (`if: always()`).
# Environment: SPECS, SARIF, JUNIT, ARGS (more prove arguments), BARPROOF (default: barproof on
# PATH), GITHUB_STEP_SUMMARY and GITHUB_OUTPUT (optional outside GitHub).
set -uo pipefail
barproof=${BARPROOF:-barproof}
specs=${SPECS:-Specs}
sarif=${SARIF:-barproof.sarif}
junit=${JUNIT:-barproof-junit.xml}
json=$(mktemp)
trap 'rm -f "$json"' EXIT

# shellcheck disable=SC2086  # SPECS and ARGS are lists of words by design
"$barproof" prove $specs --sarif "$sarif" --junit "$junit" --json "$json" ${ARGS:-}
code=$?

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "exit-code=$code"; echo "sarif=$sarif"; echo "junit=$junit"; } >> "$GITHUB_OUTPUT"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  if [ -s "$json" ]; then
    python3 - "$json" "$code" >> "$GITHUB_STEP_SUMMARY" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
code = sys.argv[2]
s = report.get("summary", {})
print(f"### barproof prove: exit {code}")
print()
print(f"{s.get('total', 0)} checks: {s.get('passed', 0)} passed, {s.get('failed', 0)} failed, "
      f"{s.get('unknown', 0)} unknown, {s.get('suppressed', 0)} suppressed, {s.get('baseline_unchanged', 0)} in the baseline")
bad = [c for c in report.get("checks", []) if c.get("status") != "pass"]
if bad:
    print()
    print("| spec | check | invariant | expected | verdict | status |")
    print("|---|---|---|---|---|---|")
    for c in bad:
        status = c.get("status", "")
        if c.get("suppressed"): status += " (suppressed)"
        elif c.get("baseline_state") == "unchanged": status += " (in the baseline)"
        print(f"| {c.get('spec','')} | {c.get('check','')} | {c.get('invariant','')} | {c.get('expected','')} | {c.get('verdict','')} | {status} |")
PY
  else
    # Bad input (exit 65): no JSON report, but the SARIF log carries the errors.
    printf '### barproof prove: exit %s\n\nThe specs could not be read; the errors are in the log above and in %s.\n' "$code" "$sarif" >> "$GITHUB_STEP_SUMMARY"
  fi
fi
exit "$code"
