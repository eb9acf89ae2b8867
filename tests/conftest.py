"""Fixtures shared by the unit and integration suites."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def client_tour() -> ModuleType:
    """``examples/client_tour.py`` imported as a module (examples are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("example_client_tour", EXAMPLES / "client_tour.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
