"""``step-beam``: step-level beam search (E9, E10): expand every beam by one step, score the prefixes, keep the top.

Each beam is a partial solution (a list of steps, kept in ``state.extra["beams"]``). Every depth fans out
one ``Send`` per live beam; each branch asks for ``EXPAND`` next steps in one ``n``-sample request (one line
each, ``stop="\\n"``). The judge scores every new prefix in one batch (a process-reward stand-in: "are all of
these steps correct so far?"), the best ``WIDTH`` survive. A beam that states its answer becomes a candidate
with its prefix score as reward and total; at the depth limit the live beams do too. Best so far wins (E1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assay import kit, streaming
from assay.agents._common import messages, usage_of
from assay.agents._extract import extract_answer
from assay.agents.solver import PROMPTS, user_prompt
from assay.context import RunContext
from assay.settings import Settings
from assay.signals.reward import JudgeItem, make_scorer, scorer_usage
from assay.state import Candidate, RunState, Scores

WIDTH, EXPAND, MAX_DEPTH, STEP_TOKENS = 2, 2, 6, 96
NEXT = (
    "\n\nSolution so far:\n{steps}\n\nWrite only the next step, on one line. "
    "If you know the answer, write 'Answer: <answer>'."
)


def beams(state: RunState) -> list[dict[str, Any]]:
    return list(state.extra.get("beams", [{"id": "b", "steps": [], "score": 1.0}]))


async def plan(state: RunState, ctx: RunContext) -> kit.Update:
    return {"round": state.round + 1, "extra": {"beams": beams(state)}}


def fan(state: RunState) -> list[RunState]:
    return [state.model_copy(update={"extra": {**state.extra, "branch": b}}) for b in beams(state)]


async def expand(state: RunState, ctx: RunContext) -> kit.Update:
    beam = state.extra["branch"]
    prompt = user_prompt(state.task, ctx) + NEXT.format(steps="\n".join(beam["steps"]) or "(nothing yet)")
    temperature = ctx.settings.temperature_for(state.task.kind)
    out = await streaming.chat(ctx.llm, messages(PROMPTS["system"], prompt), agent="step-beam", n=EXPAND,
                               temperature=temperature, max_tokens=STEP_TOKENS, stop=["\n"])  # fmt: skip
    steps = [[*beam["steps"], c.text.strip()] for c in out.choices if c.text.strip()]
    return {"extra": {f"exp.{beam['id']}": steps}, "usage": usage_of([out])}


def _done(steps: list[str]) -> bool:
    """The last step states the answer (or closes the code block), or the depth limit is reached."""
    last = steps[-1].strip()
    return len(steps) >= MAX_DEPTH or "answer:" in last.lower() or (last.endswith("```") and len(last) > 3)


def _candidate(beam: dict[str, Any], state: RunState) -> Candidate:
    text = "\n".join(beam["steps"])
    score = float(beam["score"])
    return Candidate(id=f"beam-{beam['id']}", text=text, answer=extract_answer(text, state.task.kind), origin="beam",
                     round=state.round, scores=Scores(reward=score, steps=[score], total=score))  # fmt: skip


async def prune(state: RunState, ctx: RunContext) -> kit.Update:
    """Score every new prefix in one judge batch; finished beams become candidates; keep the top ``WIDTH``."""
    grown = [
        (key[4:], i, steps) for key, v in state.extra.items() if key.startswith("exp.") for i, steps in enumerate(v)
    ]
    scorer = make_scorer(ctx)
    items = [JudgeItem(state.task.question, state.task.kind, "\n".join(s), steps_shown=len(s)) for _, _, s in grown]
    values = await scorer.score(items) if items else []
    ranked = sorted(({"id": f"{bid}{i}", "steps": s, "score": v} for (bid, i, s), v in zip(grown, values, strict=True)),
                    key=lambda b: -b["score"])[:WIDTH]  # fmt: skip
    done = [b for b in ranked if _done(b["steps"])]
    clear: dict[str, Any] = {key: None for key in state.extra if key.startswith("exp.")}
    live = [b for b in ranked if b not in done]
    return {"candidates": [_candidate(b, state) for b in done], "extra": {**clear, "beams": live},
            "usage": scorer_usage(scorer)}  # fmt: skip


@dataclass(frozen=True)
class Exhausted:
    """No live beam left, or the depth limit reached."""

    reason: str = "searched"

    def check(self, state: RunState, p: kit.Progress, settings: Settings) -> str | None:
        live = state.extra.get("beams", [])
        return "stop: no live beam" if not live else ("stop: depth limit" if state.round >= MAX_DEPTH else None)

    def thresholds(self, state: RunState, settings: Settings) -> dict[str, float]:
        return {"width": WIDTH, "expand": EXPAND, "max_depth": MAX_DEPTH}


def _leftovers(state: RunState, settings: Settings) -> list[Candidate]:
    """At the stop, live beams join the pool too (an unfinished solution is better than none)."""
    return [*state.candidates, *(_candidate(b, state) for b in state.extra.get("beams", []))]


SELECT = kit.best_so_far
STOPS = kit.Stops(kit.BudgetLimit(), Exhausted())


def build_step_beam() -> kit.Graph:
    f = kit.Flow()
    f.fan_out("plan", plan, "expand", fan, "prune")
    f.branch("expand", expand)
    f.plain("prune", prune, "route")
    f.route("route", kit.router(STOPS, "plan"), to=("plan", "select"))
    f.finish("select", kit.finish(SELECT, prepare=_leftovers))
    return f.start("plan")


RECIPE = kit.Recipe(
    "step-beam", build_step_beam, "step-level beam search: expand each beam (Send), judge prefixes, keep the top",
    papers=("E9", "E10"), steps=4 * MAX_DEPTH + 6, steps_per_round=0, selector=SELECT,  # depth, not rounds
)  # fmt: skip
