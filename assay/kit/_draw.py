"""Drawings of a recipe graph: Mermaid (from LangGraph) and a plain terminal drawing (no extra packages)."""

from __future__ import annotations

from typing import Any


def edges_of(app: Any) -> dict[str, list[tuple[str, bool]]]:
    """``node -> [(next node, conditional)]`` in the order LangGraph lists them (``__start__`` first)."""
    drawn = app.get_graph()
    out: dict[str, list[tuple[str, bool]]] = {node: [] for node in drawn.nodes}
    for edge in drawn.edges:
        out.setdefault(edge.source, []).append((edge.target, bool(edge.conditional)))
    return out


def terminal(app: Any) -> str:
    """One line per node: ``solve ──> verify ┆ score ┆ select`` (``┆``: a choice made at run time)."""
    lines = []
    for node, nexts in edges_of(app).items():
        if not nexts:
            continue
        sep = " ┆ " if any(cond for _, cond in nexts) else " + "
        lines.append(f"{_name(node):>12} ──> {sep.join(_name(n) for n, _ in nexts)}")
    return "\n".join(lines) + "\n"


def mermaid(app: Any) -> str:
    return str(app.get_graph().draw_mermaid())


def _name(node: str) -> str:
    return {"__start__": "START", "__end__": "END"}.get(node, node)
