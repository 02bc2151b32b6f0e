#!/usr/bin/env python3
"""Validates JSON documents against a JSON schema with the `jsonschema` library.

usage: validate.py SCHEMA DOCUMENT...

Uses the validator of the schema's own draft (`$schema`, through `validator_for`: draft 2020-12 for
barproof's own schemas beside this file, draft-04 for the SARIF 2.1.0 schema in
Tests/CLITests/Schemas) with its format checker, and prints every error with the path to the
offending value. Works with jsonschema 4.10 (Debian bookworm's python3-jsonschema) and newer; the
schemas it is given must be self-contained (no `$ref` to another file).
Exit 0: every document is valid; 1: at least one is not; 2: bad usage or unreadable input.
"""
import json
import sys

try:
    import jsonschema
    from jsonschema.validators import validator_for
except ImportError:
    print("validate.py: the Python package jsonschema is missing "
          "(Debian: python3-jsonschema; scripts/ensure-deps.sh installs it)", file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as error:
        print(f"{path}: cannot read JSON: {error}", file=sys.stderr)
        sys.exit(2)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    schema = load(argv[1])
    cls = validator_for(schema)
    cls.check_schema(schema)
    checker = getattr(cls, "FORMAT_CHECKER", None) or jsonschema.FormatChecker()
    validator = cls(schema, format_checker=checker)
    failed = False
    for path in argv[2:]:
        errors = sorted(validator.iter_errors(load(path)), key=lambda e: [str(p) for p in e.absolute_path])
        for error in errors:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            print(f"{path}: {where}: {error.message}")
        if errors:
            failed = True
        else:
            print(f"{path}: valid ({cls.__name__})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
