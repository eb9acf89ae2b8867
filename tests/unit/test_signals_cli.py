"""Honest output and the input defects of issue 13: verdicts, --reference, bad bytes, bad tests files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assay.cli._render import _fmt
from assay.cli.run_cmd import _brief, register
from assay.testing import FakeLLM


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def serve(monkeypatch: pytest.MonkeyPatch, fake: FakeLLM, judge: FakeLLM) -> None:
    monkeypatch.setattr("assay.llm.models.make_clients", lambda settings: (fake.client(), judge.client(), None))


def test_unsupported_low_answer_says_unverified(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeLLM(default="no idea")
    fake.on("Answer the question", texts=["Answer: Lyon\nIt is big.\nConfidence: 90%",
                                          "Answer: Nice\nIt is nice.\nConfidence: 90%"], logprob=-2.0)  # fmt: skip
    serve(monkeypatch, fake, FakeLLM().on_classify("", p_yes=0.2))
    args = ["run", "What is the capital of France?", "--json", "--thread", "t-unv", "--budget-calls", "3",
            "--reference", "Paris"]  # fmt: skip
    result = CliRunner().invoke(cli(), args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["verdict"]["label"] == "unverified" and out["reference_match"] is False
    text = CliRunner().invoke(cli(), ["run", "What is the capital of France?", "--thread", "t-unv",
                                      "--reference", "Paris"])  # fmt: skip
    assert "unverified" in text.stdout and "confident" not in text.stdout.split("\n")[1]
    assert "does NOT match" in text.stdout


def test_confirmed_answer_says_verified_and_matched(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeLLM(default="no idea").on("Solve this problem", texts=["17 * 23 = 391\nAnswer: 391,\nConfidence: 70%"])
    serve(monkeypatch, fake, FakeLLM().on_classify("", p_yes=0.5))
    result = CliRunner().invoke(cli(), ["run", "What is 17 * 23?", "--thread", "t-ver", "--reference", "391"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "391"  # not "391," (trailing comma)
    assert lines[1].startswith("verified") and "the final answer matches" in " ".join(result.stdout.split())


def test_budget_sentinel_is_not_printed_as_a_score() -> None:
    assert _fmt(-1.0) == "-" and _fmt(0.5) == "0.50" and _fmt(None) == "-"


def test_human_prompt_is_formatted() -> None:
    shown = _brief({"answer": " 4\n", "total": 0.123456789, "origin": "refiner"})
    assert shown == "4  (score 0.12, refiner)"


def assay(*args: str, home: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")} | {"ASSAY_HOME": str(home)}
    code = "from assay.cli.main import main; main()"
    argv = [sys.executable, "-c", code, *args]
    return subprocess.run(argv, capture_output=True, env=env, timeout=60)


def test_non_utf8_question_is_one_line_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")} | {"ASSAY_HOME": str(tmp_path)}
    code = "from assay.cli.main import main; main()"
    proc = subprocess.run([sys.executable.encode(), b"-c", code.encode(), b"run", b"caf\xe9?"],
                          capture_output=True, env=env, timeout=60)  # fmt: skip
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2 and err.count("\n") == 1 and "not valid UTF-8" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "is not UTF-8 text (byte 0x89 at offset 0)"),
        (b"assert f(1) == 2\nassert f(2 == \n", "is not valid Python: line 2"),
        (b"def check(candidate):\n    assert candidate(1) ==\n", "is not valid Python: line 2"),
    ],
)
def test_bad_tests_file_is_one_line_exit_2(tmp_path: Path, content: bytes, message: str) -> None:
    tests = tmp_path / "tests.py"
    tests.write_bytes(content)
    proc = assay("run", "Write f.", "--tests", str(tests), home=tmp_path)
    err = proc.stderr.decode()
    assert proc.returncode == 2 and err.count("\n") == 1 and message in err, err


def test_version_and_help(tmp_path: Path) -> None:
    version = assay("--version", home=tmp_path)
    assert version.returncode == 0 and version.stdout.decode().startswith("assay ")
    helped = assay("run", "--help", home=tmp_path).stdout.decode()
    assert "{question}" not in helped and "{QUESTION}" not in helped and "<bool>" not in helped
    assert "QUESTION" in helped


def test_unreachable_hint_depends_on_ASSAY_BASE_URL(monkeypatch: pytest.MonkeyPatch) -> None:
    from assay.llm._failures import unreachable

    monkeypatch.delenv("ASSAY_BASE_URL", raising=False)
    assert "or set ASSAY_BASE_URL" in str(unreachable(["http://127.0.0.1:1"]))
    monkeypatch.setenv("ASSAY_BASE_URL", "http://127.0.0.1:1")
    message = str(unreachable(["http://127.0.0.1:1"]))
    assert "or set ASSAY_BASE_URL" not in message and "ASSAY_BASE_URL names is running" in message


@pytest.mark.parametrize("command", [[], ["bench"], ["up"], ["status"], ["chat"], ["serve"], ["graphs"]])
def test_no_help_page_shows_a_type_next_to_an_on_off_flag(command: list[str], tmp_path: Path) -> None:
    helped = assay(*command, "--help", home=tmp_path).stdout.decode()
    assert "--help" in helped and "<bool>" not in helped
