"""The work-dir measure behind the sandbox's disk quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assay.tools._disk import used_bytes
from assay.tools.sandbox import run_python


def test_counts_nested_files_and_real_blocks_of_sparse_ones(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "full.bin").write_bytes(b"x" * 200_000)
    with open(tmp_path / "sparse.bin", "wb") as handle:
        handle.seek(1 << 30)  # a 1 GiB hole: no blocks
        handle.write(b"x")
    used = used_bytes(str(tmp_path))
    assert used is not None and 200_000 <= used < 1 << 20


def test_past_the_entry_cap_it_reports_none(tmp_path: Path) -> None:
    for i in range(12):
        (tmp_path / f"f{i}").touch()
    assert used_bytes(str(tmp_path), max_entries=10) is None
    assert used_bytes(str(tmp_path), max_entries=100) is not None


def test_a_missing_root_is_empty(tmp_path: Path) -> None:
    assert used_bytes(os.fspath(tmp_path / "gone")) == 0


async def test_a_zero_quota_is_an_input_error() -> None:
    from assay.errors import InputError

    with pytest.raises(InputError, match="disk quota"):
        await run_python("print(1)", disk_mb=0)
