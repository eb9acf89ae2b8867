"""``assay graphs``: list the recipes (name, description, papers.md rows) or draw one (Mermaid + terminal)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from assay import kit
from assay.graphs.registry import build_graph, get_recipe, recipes


def listing() -> str:
    """One line per recipe. Plain text: descriptions hold brackets that rich markup would eat."""
    rows = recipes()
    width = max((len(r.name) for r in rows), default=0)
    return "".join(f"{r.name:<{width}}  {r.description}  [{r.citation}]\n" for r in rows)


def drawing(name: str) -> str:
    recipe = get_recipe(name)
    app = build_graph(name).compile()
    head = f"%% {recipe.name}: {recipe.description} [{recipe.citation}]\n"
    return f"{head}{kit.mermaid(app)}\n{kit.terminal(app)}"


def graphs_command(
    show: Annotated[
        str | None, typer.Option("--show", help="Draw this recipe (Mermaid, then a terminal view).")
    ] = None,
) -> None:
    """List the graph recipes, or draw one."""
    sys.stdout.write(drawing(show) if show is not None else listing())


def register(app: typer.Typer) -> None:
    app.command("graphs")(graphs_command)
