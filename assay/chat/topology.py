"""A recipe's nodes and edges, read from the compiled graph (so new recipes show up without code here)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from assay.graphs.registry import build_graph

_ENDS = ("__start__", "__end__")


@dataclass(frozen=True)
class Topology:
    """Nodes in the order the recipe declares them, and where each one can go next."""

    nodes: tuple[str, ...]
    edges: dict[str, tuple[str, ...]]

    def successors(self, node: str) -> tuple[str, ...]:
        return self.edges.get(node, ())


@functools.lru_cache(maxsize=32)
def topology(graph: str) -> Topology:
    """The drawing data of recipe ``graph`` (an unknown name is the registry's ``InputError``)."""
    drawn = build_graph(graph).compile().get_graph()
    nodes = tuple(n for n in drawn.nodes if n not in _ENDS)
    edges: dict[str, list[str]] = {}
    for edge in drawn.edges:
        target = "END" if edge.target == "__end__" else edge.target
        if edge.source not in _ENDS:
            edges.setdefault(edge.source, []).append(target)
    order = {name: i for i, name in enumerate((*nodes, "END"))}
    return Topology(nodes, {k: tuple(sorted(v, key=lambda t: order.get(t, 99))) for k, v in edges.items()})
