"""Unit-test verifier: run a candidate against its tests in ONE sandbox process and report each test.

Code tasks route on this evidence (B6, B7, B9 in papers.md: execution feedback beats self-judgment), so the
report keeps per-test pass/fail, the failing assertion with the value actually computed, and a trimmed
traceback. A broken candidate (syntax error, crash at import, hang, binary junk on stdout) gives a report with
``error`` set, never an exception.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assay.errors import InputError
from assay.tools._test_plan import PlanError, guess_entry_point, parse_candidate, plan_units, unit_labels
from assay.tools.sandbox import run_python_files
from assay.tools.types import ExecResult, TestOutcome, TestReport

__all__ = ["run_tests"]

_RESULTS = "results.jsonl"


@functools.cache
def _harness_source() -> str:
    return (Path(__file__).parent / "_test_harness.py").read_text(encoding="utf-8")


def _records(raw: bytes, nonce: str) -> list[dict[str, Any]]:
    """Result lines written by the harness; anything without the nonce is ignored."""
    found = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.pop("nonce", None) == nonce:
            found.append(record)
    return found


def _outcome(record: dict[str, Any]) -> TestOutcome:
    return TestOutcome(
        test=str(record.get("test", "")),
        passed=record.get("passed") is True,
        error=record.get("error"),
        traceback=record.get("traceback"),
    )


def _stopped_reason(result: ExecResult, timeout_s: float) -> str:
    if result.timed_out:
        return f"timeout after {timeout_s:g}s"
    if result.killed_reason:
        return f"test process killed ({result.killed_reason})"
    last = result.stderr.strip().splitlines()[-1:] or [f"exit code {result.exit_code}"]
    return f"test process ended early: {last[0][:300]}"


def _assemble(
    units: list[dict[str, Any]], records: list[dict[str, Any]], stopped: str, traceback: str | None = None
) -> TestReport:
    """Outcomes in plan order; tests that never reported are failed with why the run stopped."""
    by_unit: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        if isinstance(record.get("unit"), int):
            by_unit.setdefault(record["unit"], []).append(record)
    outcomes: list[TestOutcome] = []
    missing = False
    for index, unit in enumerate(units):
        got = by_unit.get(index, [])
        outcomes += [_outcome(r) for r in got]
        for label in unit_labels(unit)[len(got) :]:
            missing = True
            outcomes.append(TestOutcome(test=label, passed=False, error=stopped, traceback=traceback))
    return TestReport(outcomes=outcomes, error=stopped if missing else None)


async def run_tests(
    code: str,
    tests: Sequence[str],
    *,
    entry_point: str | None = None,
    timeout_s: float = 10.0,
    allow_weak: bool = False,
) -> TestReport:
    """Run ``tests`` (assert lines or HumanEval ``check(candidate)`` strings) against ``code``."""
    if isinstance(tests, str) or not tests:
        raise InputError("run_tests needs a non-empty list of test strings")
    try:
        entry = entry_point or guess_entry_point(parse_candidate(code))
    except PlanError as exc:
        return _assemble(plan_units(tests, entry_point), [], str(exc))
    units = plan_units(tests, entry)
    nonce = secrets.token_hex(16)
    plan = json.dumps({"units": units, "entry_point": entry})
    result, files = await run_python_files(
        _harness_source(),
        timeout_s=timeout_s,
        files={"candidate.py": code, "plan.json": plan},
        stdin=nonce + "\n",
        allow_weak=allow_weak,
        collect=[_RESULTS],
    )
    records = _records(files.get(_RESULTS, b""), nonce)
    failed_import = next((r for r in records if "candidate_error" in r), None)
    if failed_import is not None:
        error = f"candidate failed to load: {failed_import['candidate_error']}"
        report = _assemble(units, [], error, failed_import.get("traceback"))
    else:
        report = _assemble(units, records, _stopped_reason(result, timeout_s))
    report.duration_s = result.duration_s
    return report
