"""Checkpoint integrity: processes sharing one SQLite file, a truncated file, one corrupted thread."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assay.context import RunContext
from assay.errors import CheckpointError
from assay.runtime import open_checkpointer, run
from assay.settings import Settings
from assay.state import Task
from assay.testing import FakeLLM

SOLVED = "Paris is the capital of France.\nAnswer: Paris\nConfidence: 95%"
WRITER = """
import asyncio, sys
from pathlib import Path
from assay.context import RunContext
from assay.runtime import open_checkpointer, run
from assay.settings import Settings
from assay.state import Task
from assay.testing import FakeLLM

async def main(path, prefix, count):
    fake, judge = FakeLLM(default=SOLVED), FakeLLM().on_classify("Paris", p_yes=0.9)
    settings = Settings(checkpoint_path=Path(path), samples=2)
    async with fake.client() as llm, judge.client() as jc, open_checkpointer(Path(path)) as saver:
        ctx = RunContext(settings=settings, llm=llm, judge=jc)
        tasks = [run(Task(question=f"capital of France {prefix}{i}?", kind="open"), ctx=ctx, checkpointer=saver,
                     thread_id=f"{prefix}{i}") for i in range(count)]
        await asyncio.gather(*tasks)

SOLVED = sys.argv[4]
asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def task(name: str) -> Task:
    return Task(question=f"capital of France {name}?", kind="open")


async def finish(path: Path, names: list[str]) -> list[str | None]:
    fake, judge = FakeLLM(default=SOLVED), FakeLLM().on_classify("Paris", p_yes=0.9)
    settings = Settings(checkpoint_path=path, samples=2)
    async with fake.client() as llm, judge.client() as jc:
        ctx = RunContext(settings=settings, llm=llm, judge=jc)
        return [(await run(task(n), ctx=ctx, thread_id=n)).answer for n in names]


PARIS = "Paris is the capital of France.\nAnswer: Paris"


def test_two_processes_share_one_checkpoint_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), p, "15", SOLVED]) for p in ("a", "b")]
    assert [w.wait(240) for w in writers] == [0, 0]
    with sqlite3.connect(path) as conn:
        threads = {row[0] for row in conn.execute("SELECT DISTINCT thread_id FROM checkpoints")}
    assert threads == {f"{p}{i}" for p in "ab" for i in range(15)}
    assert asyncio.run(finish(path, ["a3", "b7"])) == [PARIS, PARIS]  # finished threads read back


async def test_a_truncated_checkpoint_file_is_one_clear_error_and_left_in_place(tmp_path: Path) -> None:
    path = tmp_path / "cp.sqlite"
    await finish(path, [f"t{i}" for i in range(20)])
    _checkpoint_wal(path)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(size // 3)
    with pytest.raises(CheckpointError) as info:
        await finish(path, ["t19"])
    assert "unreadable" in str(info.value) and "\n" not in str(info.value)
    assert path.stat().st_size == size // 3  # never "repaired" behind the user's back


async def test_one_corrupted_thread_is_one_clear_error_and_the_others_stay_readable(tmp_path: Path) -> None:
    path = tmp_path / "cp.sqlite"
    await finish(path, ["good", "bad"])
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE checkpoints SET checkpoint = x'c1ffee' WHERE thread_id = 'bad'")
    with pytest.raises(CheckpointError) as info:
        await finish(path, ["bad"])
    assert "bad" in str(info.value) and "\n" not in str(info.value)
    assert await finish(path, ["good"]) == [PARIS]


async def test_a_fresh_thread_in_a_file_with_a_corrupted_thread_runs(tmp_path: Path) -> None:
    path = tmp_path / "cp.sqlite"
    await finish(path, ["bad"])
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE checkpoints SET checkpoint = x'00' WHERE thread_id = 'bad'")
    assert await finish(path, ["new"]) == [PARIS]


def _checkpoint_wal(path: Path) -> None:
    """Fold the WAL into the main file, so truncating it really cuts checkpoint data."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def test_open_checkpointer_on_a_garbage_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CheckpointError, match="unreadable"):
        async with open_checkpointer(path):
            pass
