"""One validated ``Settings`` model, read from ``ASSAY_*`` env vars and an optional TOML file.

Precedence: explicit keyword arguments > environment variables > TOML file (``ASSAY_CONFIG`` or
``./assay.toml``) > the generator model's measured defaults (``ModelSpec.tuned``, applied where assay builds
the clients) > defaults. Invalid values raise ``SettingsError`` with one clear line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from assay.errors import SettingsError


def default_home() -> Path:
    """``$ASSAY_HOME`` or ``$XDG_CACHE_HOME/assay`` (``~/.cache/assay``): venv, converted models, state."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "assay"


def _toml_path() -> Path:
    return Path(os.environ.get("ASSAY_CONFIG", "assay.toml"))


class Settings(BaseSettings):
    """Everything configurable. Field ``x`` is env var ``ASSAY_X``."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", extra="ignore", validate_default=True)

    home: Path = Field(default_factory=default_home)
    # Endpoints. When base_url is unset, assay uses the servers that `assay up` started.
    base_url: str | None = None  # one URL or a comma-separated list of replicas (round robin)
    model: str = "smollm2"
    api_key: SecretStr | None = None
    judge_url: str | None = None  # a /classify (yes/no reward) server; unset: judge from generator logprobs
    judge_model: str = "smollm2-judge"
    embed_url: str | None = None
    embed_model: str = "minilm"
    # Client behaviour.
    timeout_s: float = Field(default=300.0, gt=0)  # one call, all attempts together (a busy 2-core server queues)
    connect_timeout_s: float = Field(default=5.0, gt=0)
    max_concurrency: int = Field(default=64, ge=1)
    max_attempts: int = Field(default=4, ge=1, le=20)
    stream_idle_s: float = Field(default=30.0, gt=0)  # a stream silent this long after its first token: stalled
    max_wait_s: float = Field(default=1800.0, ge=0)  # past timeout_s, a call waits while /metrics shows progress
    restart_servers: bool = True  # restart a dead embedded server once (assay.llm.supervise); never external ones
    # Adaptive graph.
    samples: int = Field(default=4, ge=1, le=64)
    max_tokens: int = Field(default=384, ge=1)
    reply_prefix: bool = True  # a code stub / "Step 1:" starts the reply (agents/_prefix.py; continue_final_message)
    temperature: float = Field(default=0.7, ge=0, le=2)
    # Per-kind sampling temperature, in place of ``temperature`` (see ``temperature_for``); a ``temperature`` set
    # explicitly (argument, env, TOML, request, ``with_settings``) holds for every kind instead. Math samples
    # cooler: on qwen2.5-coder-0.5b, gsm_symbolic seed 7 (held-in), a vote of 4 samples scored 5 of 20 at 0.7
    # and 9 of 20 at 0.3, greedy 9 (benchmarks/pot_probe.py, docs/BENCHMARKS.md).
    kind_temperature: dict[str, Annotated[float, Field(ge=0, le=2)]] = Field(default_factory=lambda: {"math": 0.3})
    # Per kind: a sampled answer replaces an unrefuted greedy answer only when its total beats greedy's by more
    # than this (total units; one extra vote of 4 is worth about 0.05). Chosen on the held-in gsm_symbolic
    # seeds 99, 123 and 314 (adaptive's recorded pools): at 0.06 it changes 19 of 60 picks, 1 wrong -> right and
    # none right -> wrong (docs/BENCHMARKS.md). QA is left out: there the revisions beat greedy (SQuAD records).
    greedy_margin: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=lambda: {"math": 0.06})
    temperature_step: float = Field(default=0.15, ge=0, le=1)
    tau_agreement: float = Field(default=0.75, ge=0, le=1)
    tau_reward: float = Field(default=0.6, ge=0, le=1)
    tau_confident: float = Field(default=0.8, ge=0, le=1)
    patience: int = Field(default=1, ge=1)
    max_rounds: int = Field(default=3, ge=0, le=50)
    # Scoring (docs/signals.md): total = band(refuted?) of the weighted mean of the signals below; weights are
    # chosen from each signal's measured AUC (benchmarks/signals/measure.py); a near-chance signal gets ~0.
    # Measured on SmolLM2-135M (docs/signals.md): per-kind AUC confidence .11-.89, agreement .57-.77, tool
    # evidence .93-1.0; the judge's reward is at or below chance on qa/open (.48/.35), step scores are sparse.
    w_confidence: float = Field(default=0.3, ge=0)
    w_agreement: float = Field(default=0.25, ge=0)
    w_reward: float = Field(default=0.0, ge=0)
    w_steps: float = Field(default=0.0, ge=0)
    w_evidence: float = Field(default=0.45, ge=0)
    refuted_cap: float = Field(default=0.2, ge=0, lt=1)  # refuted/non-answers score below this, all others above
    self_tests: int = Field(default=3, ge=0, le=16)  # model-written test sets for code without tests (0: none)
    # A greedy code answer that loads, with no tests file and no docstring example to decide it, is kept (false)
    # or widened to more samples ranked by model-written tests (true). Measured on qwen2.5-coder-0.5b: widening
    # gained 1 of 14 such problems at 6.9x greedy's tokens, and 1 of 7 at 8.7x on a fresh split (BENCHMARKS.md).
    widen_untested_code: bool = False
    pot_programs: int = Field(default=2, ge=0, le=16)  # program-of-thought programs per math round (0: none)
    # QA: a short answer none of the top passages retrieved for the question or its claim contains counts
    # against it (agents/_grounding.py; measured on recorded SQuAD runs, docs/signals.md).
    qa_grounding: bool = True
    max_claims: int = Field(default=3, ge=0, le=20)  # QA claims fact-checked per candidate (answer claim first)
    # Budgets (per run).
    budget_calls: int = Field(default=40, ge=1)
    budget_tokens: int = Field(default=20_000, ge=1)
    budget_seconds: float = Field(default=300.0, gt=0)
    # Runtime.
    checkpoint_path: Path | None = None  # default: <home>/checkpoints.sqlite
    sandbox_allow_weak: bool = False  # allow running code without namespaces (explicit opt-in)

    @field_validator("base_url", "judge_url", "embed_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        for url in value.split(","):
            if not url.strip().startswith(("http://", "https://")):
                raise ValueError(f"{url.strip()!r} is not an http(s) URL")
        return value.strip()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_path())
        return (init_settings, env_settings, toml)

    @property
    def base_urls(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.base_url.split(",")] if self.base_url else []

    @model_validator(mode="after")
    def _explicit_temperature(self) -> Settings:
        if "temperature" in self.model_fields_set and "kind_temperature" not in self.model_fields_set:
            self.kind_temperature = {}
        return self

    def updated(self, values: Mapping[str, Any]) -> Settings:
        """A copy with ``values`` replaced (not re-validated), keeping the rule that a ``temperature`` set
        without ``kind_temperature`` holds for every kind."""
        if "temperature" in values and "kind_temperature" not in values:
            values = {**values, "kind_temperature": {}}
        return self.model_copy(update=values)

    def temperature_for(self, kind: str) -> float:
        """The sampling temperature for a task of ``kind``: 0 stays 0 (a greedy pass was asked for), else the
        kind's own (``kind_temperature``), else ``temperature``."""
        if self.temperature == 0:
            return 0.0
        return self.kind_temperature.get(kind, self.temperature)

    @property
    def checkpoints(self) -> Path:
        return self.checkpoint_path or self.home / "checkpoints.sqlite"


def load_settings(**overrides: Any) -> Settings:
    """Build ``Settings``, turning validation errors into one readable ``SettingsError`` line."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        raise SettingsError(f"invalid setting {field} (ASSAY_{field.upper()}): {first['msg']}") from None
    except Exception as exc:  # a malformed TOML file
        raise SettingsError(f"cannot read settings: {exc}".splitlines()[0]) from None
