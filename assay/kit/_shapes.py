"""Common recipe shapes, so most recipes are a few lines of configuration and no loop is written twice."""

from __future__ import annotations

from collections.abc import Sequence

from assay.kit._nodes import NodeFn
from assay.kit._recipe import Flow, Graph
from assay.kit._rounds import Gate, next_round, router
from assay.kit._selectors import Selector, finish
from assay.kit._stops import Stops

Steps = Sequence[tuple[str, NodeFn]]


def one_shot(solve: NodeFn, select: Selector, *, rank: NodeFn | None = None) -> Graph:
    """``solve -> [rank] -> select``: sample once (``n`` samples in one request), optionally score, pick."""
    f = Flow()
    f.step("solve", solve, "rank" if rank else "select")
    if rank is not None:
        f.step("rank", rank, "select")
    f.finish("select", finish(select))
    return f.start("solve")


def loop(solve: NodeFn, *, check: Steps, revise: Steps, stops: Stops, select: Selector, gate: Gate | None = None,
         revise_first: bool = False) -> Graph:  # fmt: skip
    """``solve -> check... -> route -> revise... -> check... -> route -> ... -> select``.

    ``check`` measures (tools, scores; the last one feeds ``route`` on a plain edge), ``route`` applies the
    first-round ``gate`` and the ``stops``, ``revise`` makes new candidates (its last step runs in the next
    round). ``revise_first``: the first answer is revised before any check (the ungated self-refine loop).
    Every LLM step is budget-gated to ``select``, which applies ``select``.
    """
    checks, revisions = list(check), [*revise[:-1], (revise[-1][0], next_round(revise[-1][1]))]
    into_check = checks[0][0] if checks else "route"
    f = Flow()
    f.step("solve", solve, revisions[0][0] if revise_first else into_check)
    for i, (name, fn) in enumerate(checks):
        if i + 1 == len(checks):
            f.plain(name, fn, "route")
        else:
            f.step(name, fn, checks[i + 1][0])
    f.route("route", router(stops, revisions[0][0], gate=gate), to=(revisions[0][0], "select"))
    for i, (name, fn) in enumerate(revisions):
        f.step(name, fn, revisions[i + 1][0] if i + 1 < len(revisions) else into_check)
    f.finish("select", finish(select))
    return f.start("solve")
