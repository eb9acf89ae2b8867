"""examples/custom_recipe.py: the documented recipe registers, draws, and resamples hotter until unrefuted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from _recipe_fakes import SOLVER, math_text, run_recipe

from assay import kit
from assay.graphs.registry import build_graph, get_recipe
from assay.testing import FakeLLM

EXAMPLE = Path(__file__).parents[2] / "examples" / "custom_recipe.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_custom_recipe", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_recipe_is_short_and_registered() -> None:
    load()
    recipe = get_recipe("resample")
    assert recipe.papers == ("B1", "J1", "E1") and recipe.selector is kit.best_so_far
    drawn = kit.terminal(build_graph("resample").compile())
    assert "route ──> resample ┆ select" in drawn
    body = EXAMPLE.read_text().split("from assay.agents.solver import solve")[1].split("async def main")[0]
    assert len(body.strip().splitlines()) < 50


async def test_a_refuted_greedy_answer_is_resampled_hotter_until_unrefuted(tmp_path: Path) -> None:
    load()
    fake = FakeLLM(default="no idea").on(lambda r: r.body.get("temperature") == 0.0, texts=[math_text("5")])
    fake.on(SOLVER, texts=[math_text("4"), math_text("4")])
    state = await run_recipe("resample", fake, tmp_path, temperature=0.5)
    temps = [r.body["temperature"] for r in fake.requests if SOLVER in r.prompt]
    assert temps == [0.0, 0.8]  # greedy, then round 1 at 0.5 + 0.3
    assert state.stopped_by in ("verified", "unrefuted") and state.answer == "4" and state.round == 1
