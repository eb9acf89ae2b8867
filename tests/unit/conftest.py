"""Unit tests never see the developer's ASSAY_* environment or real cache dir."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_assay_env(isolated_assay_env: Path) -> Path:
    return isolated_assay_env
