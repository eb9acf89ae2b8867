"""Calibration: per-signal AUC, weights from AUC (near-chance signals get none), Youden thresholds, TOML."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from assay.eval.calibrate import fit, roc_auc, write_toml, youden_cut
from assay.eval.records import CandidateRecord, Record
from assay.settings import Settings, load_settings
from assay.state import Scores


def test_auc_counts_ties_as_half_and_needs_both_classes() -> None:
    assert roc_auc([(0.9, True), (0.1, False)]) == 1.0
    assert roc_auc([(0.5, True), (0.5, False)]) == 0.5
    assert roc_auc([(0.2, True), (0.8, False), (0.6, True)]) == 0.0
    assert roc_auc([(0.2, True)]) is None


def test_youden_cut_separates_the_classes() -> None:
    pairs = [(0.9, True), (0.8, True), (0.7, True), (0.4, False), (0.3, False), (0.75, False)]
    assert youden_cut(pairs) == 0.7


def records() -> list[Record]:
    """Agreement separates right from wrong perfectly, reward a little (AUC 0.5625), confidence not at all."""
    cands = []
    rewards = [0.6, 0.55, 0.6, 0.55, 0.5, 0.55, 0.6, 0.65]
    for i in range(8):
        ok = i % 2 == 0
        scores = Scores(agreement=0.9 if ok else 0.3, confidence=0.5 + 0.01 * (i // 2), reward=rewards[i],
                        total=0.8 if ok else 0.4)  # fmt: skip
        cands.append(CandidateRecord(id=f"c{i}", scores=scores, correct=ok))
    return [Record(item_id="x", recipe="adaptive", correct=True, candidates=cands)]


def test_fit_weights_follow_auc_and_thresholds_split_the_classes(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    cal = fit(records(), settings)
    assert cal.auc["agreement"] == 1.0 and cal.auc["confidence"] == 0.5 and cal.auc["evidence"] is None
    assert cal.values["tau_agreement"] == 0.9 and cal.values["tau_confident"] == 0.8
    if "w_agreement" in Settings.model_fields:
        assert cal.auc["reward"] == 0.5625 and cal.values["w_confidence"] == 0.0
        assert cal.values["w_agreement"] > cal.values["w_reward"] > 0 and "w_evidence" not in cal.values
        fitted = cal.values["w_agreement"] + cal.values["w_reward"] + cal.values["w_confidence"]
        assert fitted == pytest.approx(settings.w_agreement + settings.w_reward + settings.w_confidence, abs=1e-3)
    path = write_toml(cal, tmp_path / "assay.toml", "test split")
    data = tomllib.loads(path.read_text())
    assert data["tau_agreement"] == 0.9


def test_written_file_is_read_by_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_toml(fit(records(), Settings(home=tmp_path)), tmp_path / "fitted.toml", "test")
    monkeypatch.setenv("ASSAY_CONFIG", str(path))
    assert load_settings().tau_agreement == 0.9
