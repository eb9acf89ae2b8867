"""Settings: env vars, TOML file, precedence and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from assay.errors import SettingsError
from assay.settings import load_settings


def test_env_vars_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSAY_BASE_URL", "http://127.0.0.1:8000/v1, http://127.0.0.1:8001/v1/")
    monkeypatch.setenv("ASSAY_SAMPLES", "6")
    settings = load_settings(home=tmp_path)
    assert settings.base_urls == ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8001/v1"]
    assert settings.samples == 6
    assert settings.checkpoints == tmp_path / "checkpoints.sqlite"


def test_toml_file_is_read_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "assay.toml"
    config.write_text('model = "from-toml"\ntau_reward = 0.4\n')
    monkeypatch.setenv("ASSAY_CONFIG", str(config))
    monkeypatch.setenv("ASSAY_TAU_REWARD", "0.9")
    settings = load_settings()
    assert settings.model == "from-toml"
    assert settings.tau_reward == 0.9


def test_explicit_arguments_win_over_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_MODEL", "env-model")
    assert load_settings(model="arg-model").model == "arg-model"


def test_kind_temperature_holds_unless_a_temperature_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = load_settings()
    assert (shipped.temperature_for("math"), shipped.temperature_for("code")) == (0.3, 0.7)
    assert [load_settings(temperature=t).temperature_for("math") for t in (0.9, 0.0)] == [0.9, 0.0]
    assert shipped.updated({"temperature": 0.9}).temperature_for("math") == 0.9  # as with_settings does
    assert shipped.updated({"samples": 2}).temperature_for("math") == 0.3
    monkeypatch.setenv("ASSAY_TEMPERATURE", "0.9")
    assert load_settings().temperature_for("math") == 0.9  # set in the environment: for every kind
    monkeypatch.setenv("ASSAY_KIND_TEMPERATURE", '{"qa": 0.5}')
    custom = load_settings()
    assert [custom.temperature_for(k) for k in ("qa", "math", "open")] == [0.5, 0.9, 0.9]


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("ASSAY_KIND_TEMPERATURE", '{"math": 3}', "kind_temperature"),
        ("ASSAY_SAMPLES", "0", "samples"),
        ("ASSAY_BASE_URL", "ftp://x", "base_url"),
        ("ASSAY_TAU_REWARD", "high", "tau_reward"),
    ],
)
def test_invalid_values_give_one_line(monkeypatch: pytest.MonkeyPatch, var: str, value: str, fragment: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_malformed_toml_is_a_settings_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("model = = nope")
    monkeypatch.setenv("ASSAY_CONFIG", str(config))
    with pytest.raises(SettingsError, match="cannot read settings"):
        load_settings()
