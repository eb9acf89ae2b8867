"""Agreement, logprob confidence, evidence score and the combined total."""

from __future__ import annotations

import math

import pytest

from assay.signals.confidence import Signal, agreement, agreements, evidence_score, logprob_confidence, verbalized
from assay.signals.scoring import Weights, combine
from assay.state import Candidate, Evidence, Scores, TokenStats


def cand(cid: str, answer: str | None) -> Candidate:
    return Candidate(id=cid, text=answer or "", answer=answer)


def test_agreement_math_normalises_answers() -> None:
    pool = [cand("a", "12"), cand("b", "12.0"), cand("c", "$12"), cand("d", "13")]
    assert agreement(pool[0], pool, "math").value == pytest.approx(0.75)
    assert agreement(pool[2], pool, "math").value == pytest.approx(0.75)
    assert agreement(pool[3], pool, "math").value == pytest.approx(0.25)
    assert agreement(pool[0], pool, "math").inputs == {"key": "12", "votes": 3, "pool": 4}


def test_agreement_missing_answer_is_zero_and_counts_in_pool() -> None:
    pool = [cand("a", "Paris"), cand("b", None), cand("c", "the paris")]
    assert agreement(pool[1], pool, "qa").value == 0.0
    assert agreement(pool[0], pool, "qa").value == pytest.approx(2 / 3)


def test_code_agreement_uses_test_signature_when_tested() -> None:
    pool = [cand("a", "def f(x):\n    return x"), cand("b", "def f(y):\n    return y")]
    assert agreement(pool[0], pool, "code").value == pytest.approx(0.5)  # different ASTs
    evidence = [
        Evidence(id=f"e{c.id}", candidate_id=c.id, tool="tests", input="", outcome="", passed=False,
                 details={"outcomes": [True, False]})
        for c in pool
    ]  # fmt: skip
    assert agreement(pool[0], pool, "code", evidence).value == pytest.approx(1.0)


def test_pool_agreements_equal_the_single_candidate_signal() -> None:
    pool = [cand("a", "12"), cand("b", "12.0"), cand("c", None), cand("d", "13")]
    shares = agreements(pool, "math")
    assert list(shares) == ["a", "b", "c", "d"]
    assert all(shares[c.id] == agreement(c, pool, "math") for c in pool)


def test_logprob_confidence() -> None:
    assert logprob_confidence(TokenStats()) is None
    sig = logprob_confidence(TokenStats(n_tokens=3, mean_logprob=-0.5, min_logprob=-2.0))
    assert sig is not None
    assert sig.value == pytest.approx(math.exp(-0.5))
    assert sig.inputs["min_p"] == pytest.approx(math.exp(-2.0))


def test_signal_value_is_clamped() -> None:
    assert Signal(value=1.7).value == 1.0
    assert Signal(value=-0.1).value == 0.0
    assert Signal(value=float("nan")).value == 0.0


def test_evidence_score_partial_credit_and_undecided() -> None:
    ev = [
        Evidence(id="1", candidate_id="a", tool="tests", input="", outcome="", passed=False,
                 details={"passed": 3, "total": 4}),
        Evidence(id="2", candidate_id="a", tool="factcheck", input="", outcome="", passed=True),
        Evidence(id="3", candidate_id="a", tool="factcheck", input="", outcome="", passed=None),
        Evidence(id="4", candidate_id="b", tool="factcheck", input="", outcome="", passed=False),
    ]  # fmt: skip
    sig = evidence_score("a", ev)
    assert sig is not None and sig.value == pytest.approx((0.75 + 1.0) / 2)
    assert evidence_score("c", ev) is None


def test_combine_one_scale_and_tool_dominance() -> None:
    w = Weights(confidence=0.2, agreement=0.4, reward=0.0, steps=0.0, evidence=0.4, refuted_cap=0.2)
    assert combine(Scores(), w) == pytest.approx(0.2 + 0.8 * 0.5)  # nothing measured: neutral, not 0 or 1
    raw = (0.2 * 0.0 + 0.4 * 1.0 + 0.4 * 0.5) / 1.0  # missing evidence counts 0.5
    assert combine(Scores(agreement=1.0, confidence=0.0, reward=0.5), w) == pytest.approx(0.2 + 0.8 * raw)
    # External evidence beats self-judgment: a refuted candidate with perfect self-signals ranks below an
    # unrefuted one with none.
    refuted = combine(Scores(agreement=1.0, confidence=1.0, reward=1.0, evidence=0.0), w, "refuted")
    plain = combine(Scores(agreement=0.0, confidence=0.0, reward=0.0, evidence=0.0), w, "unverified")
    assert refuted < 0.2 <= plain
    assert combine(Scores(agreement=0.0, confidence=0.0), w, "confirmed") == pytest.approx(w.tau_confident)


def test_verbalized_confidence() -> None:
    assert verbalized(cand("a", "1")) is None
    stated = Candidate(id="b", text="Answer: 1\nConfidence: 80%", verbal_confidence=0.8)
    sig = verbalized(stated)
    assert sig is not None and sig.value == pytest.approx(0.8)
