"""``assay run`` / ``assay graphs``: JSON contract, rendered summary, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from assay.cli import graphs_cmd
from assay.cli.run_cmd import read_tests, register
from assay.errors import InputError
from assay.testing import FakeLLM

SOLVED = "2 + 2 = 4\nAnswer: 4\nConfidence: 95%"


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    graphs_cmd.register(app)
    return app


@pytest.fixture
def fake_server(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    fake = FakeLLM(default="no idea").on("Solve this problem", texts=[SOLVED])
    judge = FakeLLM().on_classify("Final answer: 4", p_yes=0.95)
    monkeypatch.setattr("assay.llm.models.make_clients", lambda settings: (fake.client(), judge.client(), None))
    return fake


def test_run_json_prints_one_object_with_the_contract_fields(fake_server: FakeLLM) -> None:
    result = CliRunner().invoke(cli(), ["run", "What is 2 + 2?", "--kind", "math", "--json", "--thread", "t-json",
                                        "--reference", "4"])  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["answer"] == "4" and out["stopped_by"] == "easy" and out["thread_id"] == "t-json"
    assert {"routes", "candidates", "evidence", "reviews", "flips", "usage", "elapsed_s"} <= set(out)
    assert set(out["usage"]) == {"calls", "prompt_tokens", "completion_tokens", "sequence_prompt_tokens"}
    assert out["usage"]["calls"] > 0
    assert set(out["candidates"][0]) == {"id", "text", "answer", "origin", "round", "scores"}
    assert out["routes"][0]["target"] == "aggregate" and out["routes"][0]["thresholds"]


def test_run_renders_answer_and_route_summary(fake_server: FakeLLM) -> None:
    result = CliRunner().invoke(cli(), ["run", "What is 2 + 2?", "--kind", "math", "--thread", "t-text"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "4"
    assert "probe → aggregate" in result.stdout and "stopped by easy" in result.stdout and "t-text" in result.stdout


def test_graphs_lists_and_draws() -> None:
    listed = CliRunner().invoke(cli(), ["graphs"])
    assert listed.exit_code == 0 and "adaptive" in listed.stdout
    drawn = CliRunner().invoke(cli(), ["graphs", "--show", "adaptive"])
    assert drawn.exit_code == 0 and "graph TD" in drawn.stdout and "refine" in drawn.stdout


def test_read_tests_formats(tmp_path: Path) -> None:
    lines = tmp_path / "t.txt"
    lines.write_text("# comment\nassert f(1) == 2\n\nassert f(2) == 3\n")
    assert read_tests(lines) == ["assert f(1) == 2", "assert f(2) == 3"]
    check = tmp_path / "check.py"
    check.write_text("def check(candidate):\n    assert candidate(1) == 2\n")
    assert read_tests(check) == [check.read_text()]
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(InputError, match="no tests"):
        read_tests(tmp_path / "empty.txt")


def assay(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")} | {"ASSAY_HOME": str(home)}
    code = "from assay.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "   "], "the question is empty"),
        (["run", "hi", "--graph", "nope"], "unknown graph 'nope'"),
        (["run", "hi", "--kind", "poem"], "unknown kind 'poem'"),
        (["run", "hi", "--budget-tokens", "0"], "--budget-tokens must be at least 1"),
        (["run", "hi", "--budget-calls", "-3"], "--budget-calls must be at least 1"),
        (["run", "hi", "--tests", "/nonexistent/tests.py"], "cannot read tests file"),
        (["graphs", "--show", "nope"], "unknown graph 'nope'"),
    ],
)
def test_bad_input_is_one_stderr_line(tmp_path: Path, args: list[str], message: str) -> None:
    proc = assay(*args, home=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_ctrl_c_mid_run_prints_the_thread_to_resume(tmp_path: Path) -> None:
    import signal
    import socket
    import time

    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSAY_")} | {"ASSAY_HOME": str(tmp_path)}
        code = "from assay.cli.main import main; main()"
        args = ["run", "What is 2 + 2?", "--kind", "math", "--base-url", url, "--thread", "t-int"]
        proc = subprocess.Popen([sys.executable, "-c", code, *args], stderr=subprocess.PIPE, text=True, env=env)
        silent.settimeout(60)
        conn, _ = silent.accept()  # the run is inside its first model call: interrupt it there
        with conn:
            time.sleep(0.2)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "resume with --thread t-int" in err and "Traceback" not in err


@pytest.mark.parametrize(("reply", "stopped", "answer"), [("n\n", "human", "5"), ("y\n", None, "4")])
def test_human_flag_asks_on_the_terminal(
    monkeypatch: pytest.MonkeyPatch, reply: str, stopped: str | None, answer: str
) -> None:
    fake = FakeLLM(default="no idea")
    fake.on("You improve a solution", texts=[SOLVED], logprob=-0.05)
    fake.on("Solve this problem", texts=["2 + 2 = 5\nAnswer: 5\nConfidence: 90%"], logprob=-0.3)
    judge = FakeLLM().on_classify("Final answer: 4", p_yes=0.97).on_classify("Final answer:", p_yes=0.3)
    monkeypatch.setattr("assay.llm.models.make_clients", lambda settings: (fake.client(), judge.client(), None))
    args = ["run", "What is 2 + 2?", "--kind", "math", "--json", "--human", "--thread", f"t-human-{reply[0]}"]
    result = CliRunner().invoke(cli(), args, input=reply)
    assert result.exit_code == 0, result.output
    assert "Approve the refined answer?" in result.stderr
    out = json.loads(result.stdout.splitlines()[-1])  # CliRunner echoes the typed reply onto stdout
    assert out["answer"] == answer
    assert any(r["source"] == "human" for r in out["routes"])
    if stopped:
        assert out["stopped_by"] == stopped


def test_no_server_is_one_line_without_a_resume_hint(tmp_path: Path) -> None:
    proc = assay("run", "What is 2 + 2?", "--kind", "math", home=tmp_path)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1
    assert "no model server" in proc.stderr and "Traceback" not in proc.stderr
