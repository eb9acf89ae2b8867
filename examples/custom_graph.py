"""A graph of your own, assembled from assay's agents, with a new routing rule: triage on tool evidence.

The rule: once verified and scored, finish if a tool confirmed the best candidate; if most of the round's
samples are refuted, the approach is wrong: draw fresh, hotter samples (nothing is worth repairing); if a few
are, review and refine them. Each decision is a ``Route`` record with the signals it read. The graph is
plain LangGraph (``assay.interop`` nodes), registered as the recipe ``triage``: ``assay run --graph triage``
and ``assay serve`` (model ``assay/triage``) run it too. Run it after `assay up`, or on the scripted fake backend:

    python examples/custom_graph.py "What is 48 * 52?"
    python examples/custom_graph.py --fake
"""

from __future__ import annotations

import argparse
import asyncio

from langgraph.graph import START, StateGraph

import assay
from assay import interop
from assay.kit import Update, next_round, with_settings
from assay.signals.select import best_candidate
from assay.testing import FakeLLM

QUESTION = "What is 48 * 52?"
REFUTED_SHARE = 0.5  # refuted share of a round at or above which we resample instead of refining


async def triage(state: assay.RunState, ctx: assay.RunContext) -> Update:
    """The new routing rule, recorded as data like every assay decision."""
    best = best_candidate(state.candidates)
    latest = state.round_candidates()
    refuted = [c for c in latest if c.scores.evidence is not None and c.scores.evidence < 0.5]
    share = len(refuted) / max(len(latest), 1)
    verified = best is not None and (best.scores.evidence or 0.0) >= 1.0
    if verified or state.exhausted() or state.round >= ctx.settings.max_rounds:
        target, why = "select", "verified by a tool" if verified else "out of rounds or budget"
    elif share >= REFUTED_SHARE:
        target, why = "resample", f"{share:.0%} of this round refuted: fresh samples, hotter"
    else:
        target, why = "review", f"{share:.0%} refuted: review and refine"
    signals: dict[str, float | None] = {"refuted_share": share, "best_evidence": best.scores.evidence if best else None}
    route = assay.Route(source="triage", target=target, round=state.round, signals=signals,
                        thresholds={"refuted_share": REFUTED_SHARE}, reason=why)  # fmt: skip
    return {"routes": [route], "best_id": best.id if best else None}


def build_triage() -> StateGraph[assay.RunState, assay.RunContext, assay.RunState, assay.RunState]:
    from assay.agents.solver import solve

    hotter = with_settings(next_round(solve), temperature=lambda s, settings: min(settings.temperature + 0.4, 1.5))
    g = StateGraph(assay.RunState, context_schema=assay.RunContext)
    for name in ("solve", "verify", "score", "review", "refine", "select"):
        g.add_node(name, interop.agent(name))
    g.add_node("resample", interop.agent(hotter, uses_llm=True))
    g.add_node("triage", interop.agent(triage, uses_llm=False))
    g.add_edge(START, "solve")
    for a, b in [("solve", "verify"), ("resample", "verify"), ("verify", "score"), ("score", "triage"),
                 ("review", "refine"), ("refine", "verify")]:  # fmt: skip
        g.add_edge(a, b)
    g.add_conditional_edges("triage", interop.follow(), ["select", "resample", "review"])
    g.set_finish_point("select")
    return g


assay.register_graph("triage", build_triage, "solve, verify, score; triage on refuted share: resample | refine | done",
                     steps=8, steps_per_round=5)  # fmt: skip


def fake_context(settings: assay.Settings) -> assay.RunContext:
    """Every first sample slips (48 * 52 = 2486); the hotter resample gets 2496, which the arithmetic confirms."""
    llm = FakeLLM(default="I am not sure.")
    llm.on(lambda r: r.body.get("temperature", 0) > settings.temperature, texts=["48 * 52 = 2496\nAnswer: 2496"])
    llm.on("Solve this problem", texts=["48 * 52 = 2486\nAnswer: 2486\nConfidence: 80%"])
    return assay.RunContext(settings=settings, llm=llm.client(), judge=FakeLLM().on_classify("", p_yes=0.6).client())


async def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description="Run the custom 'triage' graph.")
    parser.add_argument("question", nargs="?", default=QUESTION)
    parser.add_argument("--fake", action="store_true", help="use the scripted FakeLLM instead of a server")
    args = parser.parse_args(argv)
    settings = assay.load_settings(samples=3, max_rounds=2)
    if args.fake:
        ctx = fake_context(settings)
    else:
        llm, judge, _ = assay.make_clients(settings)
        ctx = assay.RunContext(settings=settings, llm=llm, judge=judge)
    state = await assay.run(assay.Task(question=args.question, kind="math"), graph="triage", ctx=ctx)
    print(f"answer: {state.answer} (round {state.round}, stopped by {state.stopped_by})")
    for r in state.routes:
        print(f"  {r.source} -> {r.target}: {r.reason}")
    await ctx.llm.aclose()  # (the judge client is closed with the process)
    return {"answer": state.answer, "targets": [r.target for r in state.routes if r.source == "triage"]}


if __name__ == "__main__":
    asyncio.run(main())
