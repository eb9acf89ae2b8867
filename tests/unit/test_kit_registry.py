"""Registries: recipes (built-in, entry points), verifiers by task kind, the CLI listing and drawing, deadlines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assay import kit
from assay.cli.main import _register, app
from assay.context import RunContext
from assay.graphs import registry
from assay.graphs.single import RECIPE as SINGLE
from assay.settings import Settings
from assay.state import Budget, Candidate, Evidence, RunState, Task
from assay.testing import FakeLLM


class _EntryPoint:
    def __init__(self, name: str, obj: Any) -> None:
        self.name, self.obj = name, obj

    def load(self) -> Any:
        if isinstance(self.obj, Exception):
            raise self.obj
        return self.obj


def test_entry_point_recipes_are_discovered_and_a_broken_one_only_warns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = kit.Recipe("plugin-single", SINGLE.builder, "a plugin", papers=("X1",), selector=SINGLE.selector)
    eps = [_EntryPoint("good", lambda: [plugin]), _EntryPoint("bad", ImportError("no module named nope"))]
    monkeypatch.setattr(registry, "entry_points", lambda group: eps if group == "assay.recipes" else [])
    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(registry, "_RECIPES", {})
    assert "plugin-single" in registry.graph_names() and "adaptive" in registry.graph_names()
    assert "recipe entry point 'bad' failed to load: no module named nope" in capsys.readouterr().err


def test_every_builtin_recipe_has_metadata_and_a_drawing() -> None:
    builtin = [r for r in registry.recipes() if r.builder.__module__.startswith("assay.graphs.")]
    assert len(builtin) >= 12
    for recipe in builtin:
        assert recipe.description and recipe.selector is not None, recipe.name
        drawn = kit.terminal(registry.build_graph(recipe.name).compile())
        assert "START ──>" in drawn and "──>  " not in drawn, recipe.name
        assert recipe.recursion_limit(3) >= recipe.steps


def test_assay_graphs_lists_citations_and_draws_without_losing_text() -> None:
    _register()
    listed = CliRunner().invoke(app, ["graphs"])
    assert listed.exit_code == 0 and "[D1, E1, A3]" in listed.stdout and "[G10, D1]" in listed.stdout
    shown = CliRunner().invoke(app, ["graphs", "--show", "adaptive"])
    assert shown.exit_code == 0 and "graph TD;" in shown.stdout and "solve ──> " in shown.stdout
    assert " ->  -> " not in shown.stdout


async def _lint(cand: Candidate, state: RunState, ctx: RunContext) -> list[Evidence]:
    ok = "import os" not in (cand.answer or "")
    return [Evidence(id=f"ev-{cand.id}-lint", candidate_id=cand.id, tool="lint", input="", outcome="ok",
                     passed=None if ok else False)]  # fmt: skip


def _broken(cand: Candidate, state: RunState, ctx: RunContext) -> list[Evidence]:
    raise RuntimeError("linter crashed")


async def test_verifier_registry_adds_replaces_and_survives_a_broken_tool() -> None:
    ctx = RunContext(settings=Settings(), llm=None)  # type: ignore[arg-type]
    state = RunState(
        task=Task(question="q", kind="open"), candidates=[Candidate(id="a", text="import os", answer="import os")]
    )
    try:
        kit.register_verifier("open", "lint", _lint)
        kit.register_verifier("open", "broken", _broken)
        assert kit.verifiers("open") == ["builtin", "lint", "broken"]
        update = await kit.verify(state, ctx)
        by_tool = {e.tool: e for e in update["evidence"]}
        assert by_tool["lint"].passed is False and by_tool["broken"].passed is None
        assert "linter crashed" in by_tool["broken"].outcome
        kit.register_verifier("open", "lint", _lint, replace=True)
        assert kit.verifiers("open") == ["broken", "lint"]  # no built-in; the re-registered tool goes last
    finally:
        kit.unregister_verifier("open", "lint")
        kit.unregister_verifier("open", "broken")
    assert kit.verifiers("open") == ["builtin"]


async def test_a_model_call_is_capped_by_the_runs_time_left(tmp_path: Path) -> None:
    fake = FakeLLM(default="4").stall(5.0)

    async def slow_solve(state: RunState, ctx: RunContext) -> dict[str, Any]:
        await ctx.llm.chat([{"role": "user", "content": "q"}])
        return {}

    f = kit.Flow()
    f.step("solve", slow_solve, "select")
    f.finish("select", kit.finish(kit.best_so_far))
    async with fake.client(max_attempts=1) as llm:
        ctx = RunContext(settings=Settings(), llm=llm)
        start = RunState(task=Task(question="q"), budget=Budget(max_seconds=0.3))
        out = RunState.model_validate(await f.start("solve").compile().ainvoke(start, context=ctx))
    assert out.stopped_by == "budget" and any("time budget ran out" in n for n in out.notes)
    assert out.elapsed_s < 2.0


@pytest.mark.parametrize("graph", ["single", "self-consistency", "debate", "step-beam"])
def test_assay_run_runs_any_recipe_by_name(graph: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = FakeLLM(default="2 + 2 = 4\nAnswer: 4\nConfidence: 90%")
    judge = FakeLLM().on_classify("", p_yes=0.9)
    monkeypatch.setattr("assay.llm.models.make_clients", lambda settings: (fake.client(), judge.client(), None))
    monkeypatch.setenv("ASSAY_CHECKPOINT_PATH", str(tmp_path / "cp.sqlite"))
    _register()
    result = CliRunner().invoke(app, ["run", "What is 2 + 2?", "--kind", "math", "--graph", graph, "--json"])
    assert result.exit_code == 0, result.output
    assert '"answer": "4"' in result.stdout and fake.requests
