"""Layers import only downward: state/llm -> tools, signals -> agents -> kit -> graphs -> runtime -> cli/serve/..."""

from __future__ import annotations

import ast
from pathlib import Path

import assay

ROOT = Path(assay.__file__).parent
RANKS = {
    "assay.errors": 0, "assay.settings": 0, "assay.llm": 0, "assay.state": 0, "assay.streaming": 0,
    "assay._fake_replies": 0, "assay.tools": 1, "assay.context": 1, "assay.prompts": 1, "assay.signals": 2,
    "assay.agents": 3, "assay.kit": 4, "assay.graphs": 5, "assay.runtime": 6, "assay.interop": 7,
}  # fmt: skip
TOP = 9  # cli, serve, chat, eval, testing, the package itself: may import anything


def rank(module: str) -> int:
    for prefix, value in sorted(RANKS.items(), key=lambda kv: -len(kv[0])):
        if module == prefix or module.startswith(prefix + "."):
            return value
    return TOP


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "assay":
            found.update(f"assay.{a.name}" for a in node.names)  # from assay import kit, streaming
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assay"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("assay"))
    return found


def test_every_import_points_down_or_sideways() -> None:
    upward = []
    for path in ROOT.rglob("*.py"):
        here = module_name(path)
        for target in imports(path):
            if rank(target) > rank(here):
                upward.append(f"{here} -> {target}")
    assert not upward, upward


def test_the_kit_and_the_signals_are_where_the_ranks_say() -> None:
    assert rank("assay.kit._nodes") < rank("assay.graphs.adaptive") < rank("assay.runtime")
    assert rank("assay.signals.select") < rank("assay.agents.refiner")
