"""Model registry and endpoint resolution (explicit settings beat servers.json; no generator is an error)."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from assay.errors import ServerUnavailable, UnknownModel
from assay.llm._state import ServerRecord, save_records
from assay.llm.models import ModelSpec, get_model, make_clients, register_model, resolve_endpoint
from assay.settings import Settings


def live_record(name: str, role: str, port: int) -> ServerRecord:
    """A record pinned to this test process, so it counts as a live server."""
    me = psutil.Process(os.getpid())
    return ServerRecord(name, role, name, me.pid, me.create_time(), "127.0.0.1", port, "/dev/null")


def settings(home: Path, **kw: str) -> Settings:
    return Settings(home=home, **{"base_url": None, "judge_url": None, "embed_url": None, **kw})  # type: ignore[arg-type]


def test_registry_has_the_shipped_models() -> None:
    assert get_model("smollm2").role == "generator"
    judge = get_model("smollm2-judge")
    assert judge.role == "judge" and judge.weights == "smollm2" and "classify" in judge.extra_args
    assert get_model("minilm").role == "embedder"
    qwen = get_model("qwen2.5-coder-0.5b").source
    assert qwen is not None and qwen.size == 491_400_064 and len(qwen.packages) == 6


def test_unknown_model_lists_known_names() -> None:
    with pytest.raises(UnknownModel, match=r"unknown model 'nope'; known models: .*smollm2"):
        get_model("nope")


def test_register_model_refuses_duplicates_and_sourceless_specs(tmp_path: Path) -> None:
    mine = ModelSpec(name="my-gen", role="generator", served_name="mine", weights="mine", local_dir=tmp_path)
    assert register_model(mine) is get_model("my-gen")
    with pytest.raises(ValueError, match="already registered"):
        register_model(mine)
    register_model(mine, replace=True)
    with pytest.raises(ValueError, match="needs a source"):
        register_model(ModelSpec(name="bad", role="judge", served_name="b", weights="b"))


def test_explicit_base_url_wins_over_servers_json(tmp_path: Path) -> None:
    save_records(tmp_path, [live_record("smollm2", "generator", 8001)])
    explicit = settings(tmp_path, base_url="http://a:1, http://b:2/v1/", model="m", api_key="k")
    ep = resolve_endpoint(explicit, "generator")
    assert ep is not None and ep.base_urls == ["http://a:1", "http://b:2"] and ep.model == "m" and ep.api_key == "k"


def test_servers_json_is_used_without_settings(tmp_path: Path) -> None:
    save_records(tmp_path, [live_record("smollm2", "generator", 8001), live_record("smollm2-judge", "judge", 8002)])
    gen = resolve_endpoint(settings(tmp_path), "generator")
    judge = resolve_endpoint(settings(tmp_path), "judge")
    assert gen is not None and gen.base_urls == ["http://127.0.0.1:8001"] and gen.model == "smollm2"
    assert judge is not None and judge.base_urls == ["http://127.0.0.1:8002"] and judge.model == "smollm2-judge"
    assert resolve_endpoint(settings(tmp_path), "embedder") is None


def test_judge_url_wins_and_dead_records_are_ignored(tmp_path: Path) -> None:
    dead = ServerRecord("smollm2", "generator", "smollm2", 2**22 + 3, 1.0, "127.0.0.1", 8001, "/dev/null")
    save_records(tmp_path, [dead, live_record("smollm2-judge", "judge", 8002)])
    with pytest.raises(ServerUnavailable, match="run `assay up` or set ASSAY_BASE_URL"):
        resolve_endpoint(settings(tmp_path), "generator")
    ep = resolve_endpoint(settings(tmp_path, judge_url="http://j:9"), "judge")
    assert ep is not None and ep.base_urls == ["http://j:9"] and ep.model == "smollm2-judge"


async def test_make_clients_without_judge_or_embedder(tmp_path: Path) -> None:
    gen, judge, embedder = make_clients(settings(tmp_path, base_url="http://127.0.0.1:9", model="x"))
    assert gen.model == "x" and judge is None and embedder is None
    await gen.aclose()
