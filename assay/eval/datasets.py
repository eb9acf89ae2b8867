"""Benchmark sets by name (``assay bench DATASET``), each with its source and licence."""

from __future__ import annotations

from collections.abc import Callable

from assay.errors import InputError
from assay.eval.champ import Champ
from assay.eval.gsm import GsmSymbolic
from assay.eval.humaneval import HumanEval
from assay.eval.squad import Squad
from assay.eval.types import Dataset
from assay.settings import Settings

_FACTORIES: dict[str, Callable[[Settings], Dataset]] = {
    "humaneval": lambda s: HumanEval(allow_weak=s.sandbox_allow_weak),
    "gsm_symbolic": lambda s: GsmSymbolic(),
    "champ": lambda s: Champ(),
    "squad": lambda s: Squad(),
}


def dataset_names() -> list[str]:
    return sorted(_FACTORIES)


def get_dataset(name: str, settings: Settings) -> Dataset:
    try:
        factory = _FACTORIES[name.lower().replace("-", "_")]
    except KeyError:
        raise InputError(f"unknown dataset {name!r}; known datasets: {', '.join(dataset_names())}") from None
    return factory(settings)
