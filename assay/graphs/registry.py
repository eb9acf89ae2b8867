"""Graph recipes by name: ``assay run --graph NAME``, ``assay graphs`` and ``assay/<graph>`` models use it.

A recipe is a ``Recipe`` (``assay.kit``): a builder returning an uncompiled ``StateGraph`` over ``RunState``,
a one-line description, the papers.md rows it implements, and the metadata the runtime needs. The built-in
recipes live one per module in ``assay.graphs`` (module-level ``Recipe`` objects); others register with
``register_graph`` or, from an installed package, through the ``assay.recipes`` entry-point group, whose
entries point at a ``Recipe`` (or a function returning one or a list of them).
"""

from __future__ import annotations

import importlib
import sys
from importlib.metadata import entry_points
from typing import Any

from assay.errors import InputError
from assay.kit import Builder, Graph, Recipe, Selector

ENTRY_POINT_GROUP = "assay.recipes"
BUILTIN = (
    "adaptive",
    "single",
    "self_consistency",
    "best_of_n",
    "rm_ensemble",
    "self_refine",
    "ioe",
    "critic",
    "test_refine",
    "step_beam",
    "debate",
)  # modules under assay.graphs

_RECIPES: dict[str, Recipe] = {}
_loaded = False


def register_graph(name: str, builder: Builder, description: str, *, supports_human: bool = False,
                   papers: tuple[str, ...] = (), steps: int = 16, steps_per_round: int = 6,
                   selector: Selector | None = None) -> Recipe:  # fmt: skip
    """Add (or replace) a recipe; returns it."""
    recipe = Recipe(name, builder, description, papers, supports_human, steps, steps_per_round, selector)
    add_recipe(recipe)
    return recipe


def add_recipe(recipe: Recipe) -> None:
    _RECIPES[recipe.name] = recipe


def _load() -> None:
    """Import the built-in recipe modules, then the ``assay.recipes`` entry points (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN:
        for value in vars(importlib.import_module(f"assay.graphs.{module}")).values():
            if isinstance(value, Recipe):
                _RECIPES.setdefault(value.name, value)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            _add_plugin(ep.load())
        except Exception as exc:  # a broken plugin must not break the built-in recipes
            print(f"assay: warning: recipe entry point {ep.name!r} failed to load: {exc}", file=sys.stderr)


def _add_plugin(obj: Any) -> None:
    found = obj() if callable(obj) and not isinstance(obj, Recipe) else obj
    for recipe in found if isinstance(found, list | tuple) else [found]:
        if not isinstance(recipe, Recipe):
            raise TypeError(f"expected an assay.kit.Recipe, got {type(recipe).__name__}")
        _RECIPES.setdefault(recipe.name, recipe)


def recipes() -> list[Recipe]:
    _load()
    return sorted(_RECIPES.values(), key=lambda r: r.name)


def graph_names() -> list[str]:
    return [r.name for r in recipes()]


def get_recipe(name: str, *, human: bool = False) -> Recipe:
    """The recipe called ``name``; an unknown name, or ``human`` for a recipe without a human review step,
    is an ``InputError`` (the first lists the known names)."""
    _load()
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
