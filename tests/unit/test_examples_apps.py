"""The example apps run on the scripted fake backend (so the documented apps cannot rot), each under 100 lines."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from assay.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APPS = ("code_assistant", "fact_checked_qa", "math_verified", "custom_graph")


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", APPS)
def test_each_app_is_short_and_documents_how_to_run_it(name: str) -> None:
    text = (EXAMPLES / f"{name}.py").read_text()
    assert len(text.splitlines()) < 100
    assert f"python examples/{name}.py --fake" in text and "assay up" in text


def _settings(tmp_path: Path, **kw: object) -> Settings:
    return Settings(home=tmp_path, checkpoint_path=tmp_path / "cp.sqlite", **kw)  # type: ignore[arg-type]


async def test_code_assistant_rejects_the_buggy_function_and_returns_the_passing_one(tmp_path: Path) -> None:
    app = load("code_assistant")
    report = await app.assist(app.TASK, app.TESTS, app.fake_context(_settings(tmp_path, samples=2, max_rounds=2)))
    assert report["tests_passed"] is True and report["origin"] == "refiner"
    assert "(xs[mid - 1] + xs[mid]) / 2" in str(report["code"])
    assert report["failed_candidates"] >= 1  # the off-by-one median failed the tests and was not returned


async def test_fact_checked_qa_answers_what_the_documents_support(tmp_path: Path) -> None:
    app = load("fact_checked_qa")
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in app.DOCS.items():
        (docs / name).write_text(text)
    report = await app.answer(app.QUESTION, docs, app.fake_context(_settings(tmp_path, samples=4, max_rounds=1)))
    assert report["answer"] == "Canberra" and "Sydney" in report["answers_tried"]
    verdicts = {claim.split()[-1].rstrip("."): passed for claim, (passed, _) in report["checks"].items()}
    assert verdicts == {"Sydney": False, "Canberra": True}


async def test_math_verified_refutes_the_slip_by_running_it(tmp_path: Path) -> None:
    app = load("math_verified")
    report = await app.solve(app.QUESTION, app.fake_context(_settings(tmp_path, samples=3, max_rounds=2)))
    assert report["answer"] == "391" and report["origin"] == "refiner" and report["refuted"] == ["381"]
    tools = {tool for tool, _ in report["evidence"]}
    assert "program" in tools  # the candidate's own arithmetic, executed


async def test_custom_graph_routes_with_its_own_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("ASSAY_CHECKPOINT_PATH", str(tmp_path / "cp.sqlite"))
    app = load("custom_graph")
    result = await app.main(["--fake"])
    assert result == {"answer": "2496", "targets": ["resample", "select"]}
    assert "triage -> resample: 100% of this round refuted" in capsys.readouterr().out
    from assay.graphs.registry import graph_names

    assert "triage" in graph_names()  # registered: assay run --graph triage and assay serve's assay/triage


@pytest.mark.parametrize("name", ["code_assistant", "fact_checked_qa", "math_verified"])
async def test_the_fake_flag_runs_the_whole_script(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ASSAY_CHECKPOINT_PATH", str(tmp_path / "cp.sqlite"))
    await load(name).main(["--fake"])
    out = capsys.readouterr().out
    assert {"code_assistant": "all tests pass", "fact_checked_qa": "answer: Canberra",
            "math_verified": "answer: 391"}[name] in out  # fmt: skip
