"""Functional behaviour of the sandbox: I/O, limits, errors, isolation reporting, weak-mode opt-in."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from assay.errors import InputError, SandboxError
from assay.tools import sandbox
from assay.tools._limits import BOOTSTRAP, MAIN_FILE, Limits
from assay.tools.sandbox import available_isolation, run_python, run_python_files, run_python_sync

needs_ns = pytest.mark.skipif(available_isolation() == "none", reason="no namespace backend on this machine")


@needs_ns
async def test_stdout_files_stdin_and_isolation_reported() -> None:
    code = "import sys\nprint(open('data/in.txt').read().upper(), sys.stdin.read())\n"
    result = await run_python(code, files={"data/in.txt": "hello"}, stdin="from stdin")
    assert result.ok
    assert result.exit_code == 0
    assert result.stdout == "HELLO from stdin\n"
    assert result.isolation == available_isolation()


@needs_ns
async def test_exception_gives_nonzero_exit_and_stderr() -> None:
    result = await run_python("raise ValueError('boom')")
    assert not result.ok
    assert result.exit_code == 1
    assert "ValueError: boom" in result.stderr
    assert result.killed_reason is None


@needs_ns
async def test_lone_surrogates_in_code_or_stdin_fail_inside_not_in_the_parent() -> None:
    broken = await run_python('x = "\ud800"\nprint(x)\n')
    assert not broken.ok and broken.exit_code == 1
    assert "SyntaxError" in broken.stderr
    echoed = await run_python("import sys\nprint(sys.stdin.buffer.read())", stdin="a\ud800")
    assert echoed.ok and echoed.stdout == "b'a\\xed\\xa0\\x80'\n"


@needs_ns
async def test_binary_output_is_decoded_with_replacement() -> None:
    code = "import sys\nsys.stdout.buffer.write(bytes(range(256)))\nsys.stderr.buffer.write(b'\\xff\\xfe')\n"
    result = await run_python(code)
    assert result.ok
    assert "\ufffd" in result.stdout
    assert result.stderr == "\ufffd\ufffd"


@needs_ns
async def test_collect_reads_back_work_dir_files() -> None:
    code = "import os\nopen('out.json', 'w').write('[1, 2]')\nos.symlink('/etc/passwd', 'link.txt')\nos.mkdir('d')\n"
    result, files = await run_python_files(code, collect=["out.json", "link.txt", "missing.txt", "d"])
    assert result.ok
    assert files == {"out.json": b"[1, 2]"}


@needs_ns
async def test_file_size_limit() -> None:
    result = await run_python("open('big', 'wb').write(b'x' * (100 << 20))")
    assert not result.ok
    assert result.killed_reason in {"file size", "memory"} or "File too large" in result.stderr


@needs_ns
def test_sync_wrapper() -> None:
    assert run_python_sync("print(6 * 7)").stdout == "42\n"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timeout_s": 0}, "timeout"),
        ({"memory_mb": 1}, "memory"),
        ({"files": {"../x": "y"}}, "relative path"),
        ({"files": {"/etc/x": "y"}}, "relative path"),
    ],
)
async def test_bad_arguments_raise_input_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        await run_python("pass", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("files", [{"a": "x", "a/b": "y"}, {"d/": "x"}, {"a\x00b": "x"}])
async def test_unwritable_file_names_raise_input_error_and_leave_no_work_dir(
    files: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(InputError, match="cannot write sandbox file"):
        await run_python("pass", files=files, allow_weak=True)
    assert list(tmp_path.iterdir()) == []


async def test_refuses_without_namespaces_unless_opted_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "available_isolation", lambda: "none")
    with pytest.raises(SandboxError, match="sandbox_allow_weak"):
        await run_python("print(1)")
    result = await run_python("print(1)", allow_weak=True)
    assert result.isolation == "none"
    assert result.stdout == "1\n"


async def test_weak_mode_still_times_out() -> None:
    result = await run_python("while True:\n    pass\n", timeout_s=0.5, isolation="none", allow_weak=True)
    assert result.timed_out
    assert result.isolation == "none"


@pytest.mark.parametrize("reader_alive", [True, False])
def test_bootstrap_never_starts_the_program_once_assay_is_gone(reader_alive: bool, tmp_path: Path) -> None:
    """The window a SIGKILL of `assay` left open: its child died before the bootstrap re-armed PDEATHSIG. The
    bootstrap's lifeline check (stdout's reader is gone) must stop it before ``main.py`` runs."""
    (tmp_path / MAIN_FILE).write_text("open('ran', 'w').write('yes')\n")
    read_end, write_end = os.pipe()
    if not reader_alive:
        os.close(read_end)  # what the kernel does to assay's end of the pipe when assay dies
    argv = [sys.executable, "-I", "-S", "-c", BOOTSTRAP, *Limits(cpu_s=10, memory_mb=1024).argv(0, False)]
    code = subprocess.run(argv, cwd=tmp_path, stdout=write_end, timeout=60, check=False).returncode
    os.close(write_end)
    if reader_alive:
        os.close(read_end)
    assert (code, (tmp_path / "ran").exists()) == ((0, True) if reader_alive else (137, False))
