"""Common recipe shapes, so the baselines are a few lines each and no loop is written twice."""

from __future__ import annotations

from assay.kit._nodes import NodeFn
from assay.kit._recipe import Flow, Graph
from assay.kit._selectors import Selector, finish


def one_shot(solve: NodeFn, select: Selector, *, rank: NodeFn | None = None) -> Graph:
    """``solve -> [rank] -> select``: sample once (``n`` samples in one request), optionally score, pick."""
    f = Flow()
    f.step("solve", solve, "rank" if rank else "select")
    if rank is not None:
        f.step("rank", rank, "select")
    f.finish("select", finish(select))
    return f.start("solve")
