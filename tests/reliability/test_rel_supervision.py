"""Supervision with real server processes (a stdlib stand-in for vLLM): dead, engine-dead and wedged servers are
restarted once and the call goes on; a second death is reported with the log tail; external endpoints never."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from assay.errors import LLMError, LLMTimeout, ServerDied, ServerUnavailable
from assay.llm import supervise
from assay.llm._state import ServerRecord, load_records
from assay.llm.client import LLMClient
from assay.llm.models import ModelSpec, make_clients
from assay.llm.server import ensure_up, stop_servers
from assay.llm.supervise import ServerSupervisor, resume_after_restart
from assay.settings import Settings

FAKE_VLLM = Path(__file__).with_name("_fake_vllm.py")
USER = [{"role": "user", "content": "hi"}]
SPEC = ModelSpec(name="fake-gen", role="generator", served_name="fake-gen", weights="x", local_dir=Path("/none"))


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    settings = Settings(home=tmp_path, base_url=None, judge_url=None, max_attempts=2)
    yield settings
    stop_servers(settings, grace_s=5)


def up(settings: Settings, mode: dict[str, list[int]] | None = None) -> ServerRecord:
    state = settings.home / "fake-state"
    state.mkdir(exist_ok=True)
    (state / "mode.json").write_text(json.dumps(mode or {}))

    def launcher(spec: ModelSpec, host: str, port: int) -> list[str]:
        return [sys.executable, str(FAKE_VLLM), host, str(port), str(state)]

    return ensure_up(settings, [SPEC], launcher=launcher, report=lambda _m: None, timeout_s=60).records[0]


def starts(settings: Settings) -> int:
    return int((settings.home / "fake-state" / "starts").read_text())


def kill(record: ServerRecord) -> None:
    proc = psutil.Process(record.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)


def generator(settings: Settings) -> LLMClient:
    return make_clients(settings)[0]


async def test_a_killed_server_is_restarted_once_and_the_call_succeeds(
    settings: Settings, capfd: pytest.CaptureFixture[str], waits: list[float]
) -> None:
    record = up(settings)
    kill(record)
    async with generator(settings) as llm:
        assert (await llm.chat(USER)).text == "reply from start 2"
    err = capfd.readouterr().err
    assert "fake-gen at http://127.0.0.1:" in err and "exited; restarting it once" in err
    assert "fake-gen restarted in" in err and "continuing" in err
    (after,) = load_records(settings.home)
    assert after.port == record.port and after.pid != record.pid and after.restarts == 1 and starts(settings) == 2


async def test_a_server_that_dies_again_is_reported_with_its_log(settings: Settings, waits: list[float]) -> None:
    kill(up(settings))
    async with generator(settings) as llm:
        await llm.chat(USER)
        kill(load_records(settings.home)[0])
        with pytest.raises(ServerDied) as info:
            await llm.chat(USER)
    message = str(info.value)
    first = message.splitlines()[0]
    assert "fake-gen" in first and "exited again after an automatic restart; start it with `assay up`" in first
    assert "| fake vllm start 2" in message and "--- restarted by assay at" in message
    assert starts(settings) == 2


async def test_engine_dead_answers_restart_the_server(settings: Settings, capfd: pytest.CaptureFixture[str],
                                                      waits: list[float]) -> None:  # fmt: skip
    up(settings, {"dead_on_starts": [1]})
    async with generator(settings) as llm:
        assert (await llm.chat(USER)).text == "reply from start 2"
    assert "lost its engine (EngineDeadError); restarting it once" in capfd.readouterr().err


async def test_a_wedged_server_is_noticed_by_its_health_and_restarted(settings: Settings, waits: list[float]) -> None:
    record = up(settings, {"hang_on_starts": [1]})
    supervisor = ServerSupervisor(settings.home, ["fake-gen"], health_timeout_s=0.5, report=lambda _m: None)
    async with LLMClient(record.base_url, model="m", timeout_s=1.0, max_attempts=1, supervisor=supervisor) as llm:
        assert (await llm.chat(USER)).text == "reply from start 2"
    assert starts(settings) == 2


async def test_a_stuck_engine_behind_a_healthy_api_is_found_by_its_progress_and_restarted(
    settings: Settings, capfd: pytest.CaptureFixture[str], waits: list[float]
) -> None:
    record = up(settings, {"stuck_on_starts": [1]})
    supervisor = ServerSupervisor(settings.home, ["fake-gen"], health_timeout_s=0.5, stall_window_s=0.5)
    async with LLMClient(record.base_url, model="m", timeout_s=1.0, max_attempts=1, supervisor=supervisor) as llm:
        assert (await llm.chat(USER)).text == "reply from start 2"
    assert starts(settings) == 2
    assert "is wedged (1 requests in flight, no token counted in 0.5s); restarting it once" in capfd.readouterr().err


async def test_a_busy_server_that_answers_health_is_not_restarted(settings: Settings, waits: list[float]) -> None:
    record = up(settings)
    supervisor = ServerSupervisor(settings.home, ["fake-gen"], health_timeout_s=0.5, report=lambda _m: None)
    assert not await supervisor.recover(LLMTimeout("did not answer in time"), since=time.monotonic())
    assert starts(settings) == 1 and load_records(settings.home)[0].pid == record.pid


async def test_concurrent_failures_restart_the_server_only_once(settings: Settings, waits: list[float]) -> None:
    kill(up(settings))
    async with generator(settings) as llm:
        replies = await asyncio.gather(*(llm.chat(USER) for _ in range(8)))
    assert {r.text for r in replies} == {"reply from start 2"} and starts(settings) == 2


async def test_an_external_endpoint_is_never_restarted(settings: Settings, waits: list[float]) -> None:
    record = up(settings)
    external = settings.model_copy(update={"base_url": record.base_url})
    llm = generator(external)
    assert llm.policy.supervisor is None
    kill(record)
    async with llm:
        with pytest.raises(ServerUnavailable, match="cannot reach the model server"):
            await llm.chat(USER)
    assert starts(settings) == 1


async def test_restarts_can_be_switched_off(settings: Settings) -> None:
    up(settings)
    assert generator(settings.model_copy(update={"restart_servers": False})).policy.supervisor is None
    assert generator(settings).policy.supervisor is not None


async def test_resume_after_restart_reruns_once_only_after_a_restart(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    async def flaky() -> str:
        calls.append(1)
        if len(calls) == 1:
            supervise._count[0] += 1  # a restart happened while the run was failing
            raise ServerUnavailable("stream broke")
        return "resumed"

    notes: list[str] = []
    assert await resume_after_restart(flaky, report=notes.append) == "resumed"
    assert len(calls) == 2 and "resuming the run from its checkpoint" in notes[0]

    async def broken() -> str:
        raise LLMError("no restart here")

    with pytest.raises(LLMError, match="no restart here"):
        await resume_after_restart(broken, report=notes.append)
