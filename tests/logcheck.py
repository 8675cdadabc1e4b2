"""Checks log output against the shared schema, docs/log.schema.json.

Used by the end-to-end tests of the native stack and of the compose stack;
also a command: python3 tests/logcheck.py FILE... (or - for stdin) exits 1
and prints every offending line when any line is not schema JSON.
"""

import json
import pathlib
import sys

import jsonschema

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "log.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

BASE_KEYS = {"time", "level", "service", "message"}
# Every request line of foo, bar and factorial carries exactly these, plus
# the extras its own service declares below.
REQUEST_KEYS = {"request_id", "protocol", "method", "path", "status", "duration_ms"}
SERVICE_EXTRAS = {
    "foo": {"upstream", "grpc_status", "upstream_ms", "upstream_connected", "health", "error",
            "client_gone", "truncated"},
    "bar": {"grpc_status", "error", "cancelled", "peer", "truncated"},
    "factorial": {"number", "cache", "cache_stored", "digits", "compute_ms", "coalesced",
                  "waited_ms", "redis", "error", "client_gone", "truncated"},
}


def parse_lines(lines, source="output"):
    """Parses and validates every line; raises AssertionError naming all failures."""
    records, problems = [], []
    for number, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line:
            problems.append(f"{source}:{number}: empty line")
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            problems.append(f"{source}:{number}: not JSON ({exc}): {line[:300]!r}")
            continue
        errors = sorted(VALIDATOR.iter_errors(record), key=lambda e: list(e.path))
        if errors:
            reasons = "; ".join(e.message for e in errors[:3])
            problems.append(f"{source}:{number}: {reasons}: {line[:300]!r}")
            continue
        records.append(record)
    if problems:
        raise AssertionError(f"{len(problems)} bad log line(s):\n" + "\n".join(problems[:50]))
    return records


def check_request_keys(records):
    """Request lines of foo, bar and factorial share one key set, plus declared extras."""
    problems, seen = [], set()
    for record in records:
        service = record.get("service")
        if record.get("message") != "request served" or service not in SERVICE_EXTRAS:
            continue
        seen.add(service)
        keys = set(record) - BASE_KEYS
        missing = REQUEST_KEYS - keys
        unexpected = keys - REQUEST_KEYS - SERVICE_EXTRAS[service]
        if missing or unexpected:
            problems.append(f"{service}: missing {sorted(missing)}, unexpected "
                            f"{sorted(unexpected)} in {json.dumps(record)[:300]}")
    if problems:
        raise AssertionError("request lines differ in shape:\n" + "\n".join(problems[:20]))
    return seen


def main(paths):
    records = []
    for path in paths:
        if path == "-":
            records += parse_lines(sys.stdin, "stdin")
        else:
            with open(path, encoding="utf-8", errors="strict") as handle:
                records += parse_lines(handle, path)
    check_request_keys(records)
    print(f"{len(records)} log lines valid")


if __name__ == "__main__":
    try:
        main(sys.argv[1:] or ["-"])
    except (AssertionError, UnicodeDecodeError) as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)
