"""Recipe metadata and a small builder for recipe graphs.

``Recipe`` tells the registry and the runtime what they need without knowing the graph's shape: the one-line
description and the papers.md rows it implements, whether it has a human review step, how many supersteps a
run may take (the recursion limit), the selector its final answer comes from, and the node a thread stopped on
its budget re-enters when it is resumed with a bigger one (``resume_at``; None: a finished run stays finished).

``Flow`` wires nodes with the kit's conventions, so a recipe reads as its topology::

    f = Flow()
    f.step("solve", with_settings(solve, samples=1, temperature=0.0), "select")
    f.finish("select", finish(best_so_far))
    return f.start("solve")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Command, Send

from assay.context import RunContext
from assay.kit._nodes import GraphNode, Next, NodeFn, adapt, follow, gated, merged
from assay.kit._selectors import Selector
from assay.state import RunState

Graph = StateGraph[RunState, RunContext, RunState, RunState]
Builder = Callable[..., Graph]


@dataclass(frozen=True)
class Recipe:
    """A named graph recipe. ``steps`` + ``steps_per_round`` per round bound the supersteps of one run."""

    name: str
    builder: Builder
    description: str
    papers: tuple[str, ...] = ()
    supports_human: bool = False
    steps: int = 16
    steps_per_round: int = 6
    selector: Selector | None = None
    resume_at: str | None = None  # where a thread stopped on budget re-enters when given a bigger one

    def recursion_limit(self, max_rounds: int) -> int:
        return self.steps + self.steps_per_round * (max_rounds + 1)

    @property
    def citation(self) -> str:
        return ", ".join(self.papers) or "-"


Branches = Callable[[RunState], Sequence[RunState]]


class Flow:
    """A ``StateGraph`` over ``RunState`` built step by step; LLM steps go to ``stop`` once the budget is spent."""

    def __init__(self, stop: str = "select") -> None:
        self.graph: Graph = StateGraph(RunState, context_schema=RunContext)
        self.stop = stop

    def step(self, name: str, fn: NodeFn, then: Next, *, llm: bool = True, to: Sequence[str] = ()) -> Flow:
        """``fn`` then ``then`` (a name, or a function of the state naming one of ``to``), budget-gated."""
        dests = (then,) if isinstance(then, str) else tuple(to)
        node = gated(adapt(name, fn, uses_llm=llm), then, self.stop)
        self.graph.add_node(name, node, destinations=tuple(dict.fromkeys((*dests, self.stop))))
        return self

    def plain(self, name: str, fn: NodeFn, then: str, *, llm: bool = True) -> Flow:
        """``fn`` with a plain edge to ``then`` (no budget gate after it: ``then`` decides)."""
        self.graph.add_node(name, adapt(name, fn, uses_llm=llm))
        self.graph.add_edge(name, then)
        return self

    def route(self, name: str, fn: NodeFn, to: Sequence[str]) -> Flow:
        """A decision node: goes where its last Route record points (one of ``to``)."""
        self.graph.add_node(name, follow(adapt(name, fn, uses_llm=False)), destinations=tuple(to))
        return self

    def fan_out(self, name: str, fn: NodeFn, branch: str, branches: Branches, join: str) -> Flow:
        """``fn``, then one ``Send`` to ``branch`` per state ``branches`` returns (in parallel), then ``join``.

        With no branches (or the budget spent) it goes to ``stop``.
        """
        node = adapt(name, fn, uses_llm=False)
        self.graph.add_node(name, _sender(node, branch, branches, self.stop), destinations=(branch, self.stop))
        self.graph.add_edge(branch, join)
        return self

    def branch(self, name: str, fn: NodeFn) -> Flow:
        """A node that runs once per ``Send`` (its edge to the join is added by ``fan_out``)."""
        self.graph.add_node(name, adapt(name, fn))
        return self

    def finish(self, name: str, fn: NodeFn) -> Flow:
        self.graph.add_node(name, adapt(name, fn, uses_llm=False))
        self.graph.add_edge(name, END)
        return self

    def start(self, name: str) -> Graph:
        self.graph.add_edge(START, name)
        return self.graph


def _sender(node: GraphNode, branch: str, branches: Branches, stop: str) -> Any:
    async def send(state: RunState, *, runtime: Runtime[RunContext]) -> Command[Any]:
        update = await node(state, runtime=runtime)
        after = merged(state, update)
        if after.exhausted() or not (states := branches(after)):
            return Command(update=update, goto=stop)
        return Command(update=update, goto=[Send(branch, s) for s in states])

    return send
