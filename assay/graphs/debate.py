"""``debate``: several solvers exchange answers over rounds; a judge aggregates; unsupported switches are flagged.

Multi-agent debate as an evaluator (D2): ``DEBATERS`` answers come from one ``n``-sample request, then every
round each debater sees the others' answers and answers again, one ``Send`` branch per debater, all in
flight at once. The kind's tools check every answer and the judge rates it. Judges and debaters can be
swayed by confident wording (D6), so a debater that switches to a new answer that no tool confirms, away
from one no tool refuted, is flagged (``state.extra["debate"]["flags"]`` and a note). It stops on consensus,
the round limit or the budget; the reward-weighted vote over the last round is the answer.
"""

from __future__ import annotations

from typing import Any

from assay import kit, streaming
from assay.agents._common import candidates_from, messages, usage_of
from assay.agents.solver import PROMPTS, solve, user_prompt
from assay.context import RunContext
from assay.settings import Settings
from assay.signals.confidence import answer_key
from assay.state import RunState

DEBATERS, ROUNDS = 3, 2
ARGUE = ("\n\nOther solvers answered:\n{others}\nYour previous answer: {mine}\n"
         "Check their reasoning against yours. Change your answer only if you find an error in yours; "
         "then reply in the requested format.")  # fmt: skip


async def open_round(state: RunState, ctx: RunContext) -> kit.Update:
    return {"round": state.round + 1}


def fan(state: RunState) -> list[RunState]:
    last = [c for c in state.round_candidates(state.round - 1)][:DEBATERS]
    return [state.model_copy(update={"extra": {**state.extra, "branch": c.id}}) for c in last]


async def argue(state: RunState, ctx: RunContext) -> kit.Update:
    me = state.candidate(state.extra["branch"])
    others = [c for c in state.round_candidates(state.round - 1) if c.id != me.id]
    listed = "\n".join(f"- {c.answer or '(no answer)'}: {c.text[:300]}" for c in others)
    prompt = user_prompt(state.task, ctx) + ARGUE.format(others=listed, mine=me.answer or me.text[:300])
    temperature = ctx.settings.temperature_for(state.task.kind)
    out = await streaming.chat(ctx.llm, messages(PROMPTS["system"], prompt), agent="debate", n=1, seed=state.round,
                               temperature=temperature, max_tokens=ctx.settings.max_tokens,
                               logprobs=True, top_logprobs=1)  # fmt: skip
    new = candidates_from(out, state, origin="debater", kind=state.task.kind, parent=me.id)
    debater = me.id.rsplit("-", 1)[-1]
    return {"candidates": [c.model_copy(update={"id": f"r{state.round}-debater-{debater}"}) for c in new],
            "usage": usage_of([out])}  # fmt: skip


def switches(state: RunState) -> list[dict[str, Any]]:
    """This round's answer changes that no tool supports (new answer unconfirmed, old one unrefuted)."""
    passed = {e.candidate_id for e in state.evidence if e.passed is True}
    failed = {e.candidate_id for e in state.evidence if e.passed is False}
    kind, ev = state.task.kind, state.evidence
    flags = []
    for cand in state.round_candidates():
        old = state.candidate(cand.parent) if cand.parent else None
        if old is None or answer_key(cand, kind, ev) == answer_key(old, kind, ev):
            continue
        if cand.id not in passed and old.id not in failed:
            flags.append({"round": state.round, "from": old.id, "to": cand.id, "old": old.answer, "new": cand.answer})
    return flags


async def record(state: RunState, ctx: RunContext) -> kit.Update:
    """The transcript (answers per round) and the flags, in ``extra["debate"]``; then the judge's rewards."""
    log = state.extra.get("debate", {"rounds": [], "flags": []})
    flags = switches(state)
    answers = {c.id: c.answer for c in state.round_candidates()}
    update = kit.check_update("record", await kit.rate()(state, ctx))
    notes = [f"debate: {f['from']} switched {f['old']!r} -> {f['new']!r} without tool support" for f in flags]
    update["extra"] = {"debate": {"rounds": [*log["rounds"], answers], "flags": [*log["flags"], *flags]}}
    update["notes"] = [*update.get("notes", []), *notes]
    return update


def _debaters(state: RunState, settings: Settings) -> int:
    return min(DEBATERS, settings.samples)


SELECT = kit.weighted_vote(kit.last_round)
STOPS = kit.Stops(kit.BudgetLimit(), kit.Consensus(), kit.MaxRounds(ROUNDS))


def build_debate() -> kit.Graph:
    f = kit.Flow()
    f.step("solve", kit.with_settings(solve, samples=_debaters), "verify")
    f.step("verify", kit.verify, "record")
    f.plain("record", record, "route")
    f.route("route", kit.router(STOPS, "open"), to=("open", "select"))
    f.fan_out("open", open_round, "argue", fan, "verify")
    f.branch("argue", argue)
    f.finish("select", kit.finish(SELECT))
    return f.start("solve")


RECIPE = kit.Recipe(
    "debate", build_debate, "debaters see each other's answers (Send each); tools, judge, vote; flags bare switches",
    papers=("D2", "D6"), steps=8, steps_per_round=6, selector=SELECT,
)  # fmt: skip
