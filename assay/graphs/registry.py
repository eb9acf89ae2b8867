"""Graph recipes by name: ``assay run --graph NAME``, ``assay graphs`` and ``assay/<graph>`` models use it.

A recipe is a builder returning an uncompiled ``StateGraph`` over ``RunState``; the runtime compiles it
with a checkpointer. Other recipes register themselves with ``register_graph``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assay.errors import InputError
from assay.graphs.adaptive import Graph, build_adaptive

Builder = Callable[..., Graph]


@dataclass(frozen=True)
class Recipe:
    name: str
    builder: Builder
    description: str
    supports_human: bool = False


_RECIPES: dict[str, Recipe] = {}


def register_graph(name: str, builder: Builder, description: str, *, supports_human: bool = False) -> None:
    """Add (or replace) a recipe."""
    _RECIPES[name] = Recipe(name, builder, description, supports_human)


def recipes() -> list[Recipe]:
    return sorted(_RECIPES.values(), key=lambda r: r.name)


def graph_names() -> list[str]:
    return [r.name for r in recipes()]


def get_recipe(name: str, *, human: bool = False) -> Recipe:
    """The recipe called ``name``; an unknown name, or ``human`` for a recipe without a human review step,
    is an ``InputError`` (the first lists the known names)."""
    try:
        recipe = _RECIPES[name]
    except KeyError:
        raise InputError(f"unknown graph {name!r}; known graphs: {', '.join(graph_names())}") from None
    if human and not recipe.supports_human:
        raise InputError(f"graph {name!r} has no human review step")
    return recipe


def build_graph(name: str, **kwargs: Any) -> Graph:
    """Build the uncompiled graph of recipe ``name`` (keyword arguments go to its builder)."""
    recipe = get_recipe(name, human=bool(kwargs.get("human")))
    if not recipe.supports_human:
        kwargs.pop("human", None)
    return recipe.builder(**kwargs)


register_graph(
    "adaptive",
    build_adaptive,
    "solve -> [tests/arithmetic] -> score -> easy: reward-weighted vote | "
    "hard: review -> refine -> verify -> re-score; best so far (D1, E1)",
    supports_human=True,
)
