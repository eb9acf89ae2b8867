"""Two example apps end to end on the real servers, one round each (the fake-backend tests check the loops)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from assay.context import RunContext
from assay.llm.client import LLMClient
from assay.settings import Settings

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}_real", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def small(live_settings: Settings, tmp_path: Path) -> Settings:
    update = {"samples": 2, "max_rounds": 0, "max_tokens": 200, "checkpoint_path": tmp_path / "cp.sqlite"}
    return live_settings.model_copy(update=update)


async def test_code_assistant_runs_the_tests_on_real_candidates(
    live_settings: Settings, generator_client: LLMClient, judge_client: LLMClient, tmp_path: Path
) -> None:
    app = load("code_assistant")
    ctx = RunContext(settings=small(live_settings, tmp_path), llm=generator_client, judge=judge_client)
    report = await app.assist(app.TASK, app.TESTS, ctx)
    assert report["test_outcome"] != "not run"  # the selected candidate was executed against the tests
    if report["tests_passed"]:
        assert "def median" in str(report["code"])


async def test_custom_graph_triages_real_candidates(
    live_settings: Settings, generator_client: LLMClient, judge_client: LLMClient, tmp_path: Path
) -> None:
    import assay

    load("custom_graph")  # registers the "triage" recipe
    ctx = RunContext(settings=small(live_settings, tmp_path), llm=generator_client, judge=judge_client)
    state = await assay.run(assay.Task(question="What is 48 * 52?", kind="math"), graph="triage", ctx=ctx)
    triage = [r for r in state.routes if r.source == "triage"]
    assert triage and triage[-1].target == "select" and "refuted_share" in triage[0].signals
    assert state.answer is not None and state.usage.calls >= 1
