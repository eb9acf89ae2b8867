"""A registered model's measured settings defaults (``ModelSpec.tuned``): applied to what the user left unset,
never over a keyword, an ``ASSAY_*`` variable or a TOML value; contexts assay builds carry them."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.llm.models import get_model, tuned_settings
from assay.runtime import client_context
from assay.serve.engine import Engine, ServeConfig
from assay.settings import Settings, load_settings

QWEN = "qwen2.5-coder-0.5b"


@pytest.fixture(autouse=True)
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ASSAY_MODEL", "ASSAY_BASE_URL", "ASSAY_W_REWARD", "ASSAY_W_CONFIDENCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ASSAY_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("ASSAY_HOME", str(tmp_path))


def test_qwen_gets_its_measured_weights() -> None:
    tuned = tuned_settings(Settings(), QWEN)
    assert {k: getattr(tuned, k) for k in get_model(QWEN).tuned} == dict(get_model(QWEN).tuned)
    assert tuned.w_reward == 0.17 and Settings().w_reward == 0.0  # the judge's reward counts for qwen only


def test_a_value_the_user_set_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mine.toml").write_text("w_reward = 0.5\n", encoding="utf-8")
    monkeypatch.setenv("ASSAY_CONFIG", str(tmp_path / "mine.toml"))
    monkeypatch.setenv("ASSAY_W_CONFIDENCE", "0.4")
    tuned = tuned_settings(load_settings(w_steps=0.2), QWEN)
    assert (tuned.w_reward, tuned.w_confidence, tuned.w_steps) == (0.5, 0.4, 0.2)
    assert tuned.w_agreement == 0.23  # not set by the user: the model's


def test_other_models_keep_the_defaults() -> None:
    base = Settings()
    for model in ("smollm2", "smollm2-judge", "some-external-model"):
        assert tuned_settings(base, model) is base


async def test_client_context_carries_the_served_models_weights() -> None:
    settings = load_settings(base_url="http://127.0.0.1:9", model=QWEN)
    async with client_context(settings) as ctx:
        assert ctx.settings.w_evidence == 0.24 and ctx.llm.model == QWEN
    async with client_context(load_settings(base_url="http://127.0.0.1:9", model="smollm2")) as ctx:
        assert ctx.settings.w_evidence == Settings().w_evidence


async def test_the_server_runs_with_the_served_models_weights() -> None:
    engine = Engine(ServeConfig(load_settings(base_url="http://127.0.0.1:9", model=QWEN)))
    await engine.start()
    try:
        assert engine._ctx is not None and engine._ctx.settings.w_agreement == 0.23
    finally:
        await engine.aclose()
