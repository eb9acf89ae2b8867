"""The baseline recipes on the fake backend: which nodes run, how many requests, what they select."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from _recipe_fakes import SOLVER, count, generator, judge, nodes_run, run_recipe


async def test_single_is_one_greedy_request(tmp_path: Path) -> None:
    fake, events = generator(["5", "4"]), []
    state = await run_recipe("single", fake, tmp_path, events=events)
    body = next(r.body for r in fake.requests if SOLVER in r.prompt)
    assert body.get("n", 1) == 1 and body["temperature"] == 0.0 and count(fake, SOLVER) == 1
    assert nodes_run(events) == ["solve", "select"] and state.answer == "5" and state.stopped_by == "done"


async def test_self_consistency_votes_over_one_n_k_request(tmp_path: Path) -> None:
    fake, events = generator(["5", "4", "4.0", "6"]), []
    state = await run_recipe("self-consistency", fake, tmp_path, events=events, samples=4)
    body = next(r.body for r in fake.requests if SOLVER in r.prompt)
    assert body["n"] == 4 and count(fake, SOLVER) == 1 and nodes_run(events) == ["solve", "select"]
    assert state.answer in ("4", "4.0") and state.routes[-1].signals["vote_share"] == 0.5  # "4" == "4.0" normalised


async def test_best_of_n_keeps_the_highest_reward(tmp_path: Path) -> None:
    fake, events = generator(["5", "5", "4"]), []
    state = await run_recipe("best-of-n", fake, tmp_path, events=events, samples=3)
    assert nodes_run(events) == ["solve", "rank", "select"]
    assert state.answer == "4" and state.best is not None and state.best.scores.reward == 0.95
    assert all(c.scores.total == c.scores.reward for c in state.candidates)


async def test_weighted_best_of_n_lets_many_medium_votes_beat_one_high(tmp_path: Path) -> None:
    fake, jud = generator(["5", "5", "5", "4"]), judge(p_right=0.9, p_wrong=0.5)
    state = await run_recipe("best-of-n-weighted", fake, tmp_path, jud=jud, samples=4)
    assert state.answer == "5"  # 3 x 0.5 > 1 x 0.9
    plain = await run_recipe("best-of-n", generator(["5", "5", "5", "4"]), tmp_path / "b", jud=jud, samples=4)
    assert plain.answer == "4"


async def test_self_refine_refines_every_time_and_returns_the_last_revision(tmp_path: Path) -> None:
    fake, events = generator(["4"], refined=["5"]), []
    state: Any = await run_recipe("self-refine", fake, tmp_path, events=events, max_rounds=2)
    ran = nodes_run(events)
    assert ran[:5] == ["solve", "review", "refine", "rate", "route"] and ran.count("refine") == 2
    assert state.stopped_by == "max_rounds" and state.answer == "5"  # the right greedy answer was flipped (A4)
    assert state.best.round == 2 and state.flips.right_to_wrong >= 1


async def test_self_refine_stops_on_the_threshold(tmp_path: Path) -> None:
    state = await run_recipe("self-refine", generator(["5"], refined=["4"]), tmp_path, max_rounds=3)
    assert state.stopped_by == "confident" and state.round == 1 and state.answer == "4"
