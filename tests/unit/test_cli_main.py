"""The assay command never shows a traceback for a user mistake: one stderr line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _assay(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from assay.cli.main import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("frobnicate",), "No such command"),
        (("run",), "Missing argument"),
        (("run", "hi", "--budget-calls", "x"), "--budget-calls"),
        (("run", "hi", "--base-url", "ftp://nowhere"), "base_url"),
    ],
)
def test_user_mistakes_are_one_line_without_traceback(args: tuple[str, ...], fragment: str) -> None:
    result = _assay(*args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("assay: error:") and fragment in lines[0]


def test_unreachable_server_is_one_line_with_the_resume_hint() -> None:
    result = _assay("run", "What is 2+2?", "--kind", "math", "--base-url", "http://127.0.0.1:9/v1")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "cannot reach the model server" in lines[0] and "assay up" in lines[0]
    assert "resume with --thread" in lines[0]
