"""Fixtures shared by the unit, reliability and integration suites."""

from __future__ import annotations

import importlib.util
import os
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


@pytest.fixture
def isolated_assay_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """No developer ASSAY_* variable and a private ASSAY_HOME (the unit and reliability suites use it always)."""
    for name in list(os.environ):
        if name.startswith("ASSAY_"):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("assay-home")
    monkeypatch.setenv("ASSAY_HOME", str(home))
    return home
