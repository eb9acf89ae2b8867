"""Escape attempts against the sandbox: each must be contained and the host must stay healthy.

Runs against every namespace backend that works on this machine (bwrap and the unshare fallback).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from assay.tools._isolation import _probe
from assay.tools.sandbox import run_python
from assay.tools.types import Isolation

BACKENDS: list[Isolation] = [iso for iso in ("bwrap", "unshare") if _probe(iso)]
pytestmark = pytest.mark.skipif(not BACKENDS, reason="no namespace backend on this machine")


@pytest.fixture(params=BACKENDS)
def iso(request: pytest.FixtureRequest) -> Isolation:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def canary() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated host process that must survive every attempt."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()
    proc.wait()


def assert_host_healthy(canary: subprocess.Popen[bytes]) -> None:
    assert canary.poll() is None, "the canary process was killed"
    os.kill(os.getpid(), 0)
    os.kill(canary.pid, 0)


def processes_with(token: str) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                if token.encode() in handle.read():
                    found.append(int(name))
        except (OSError, ValueError):
            continue
    return found


@pytest.fixture
def loopback_server() -> Iterator[tuple[int, list[bytes]]]:
    """A listening server on 127.0.0.1 in the parent's namespace; records whatever reaches it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            received.append(conn.recv(100) or b"<connected>")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join()
    server.close()


async def test_network_loopback_and_outside_blocked(
    iso: Isolation, loopback_server: tuple[int, list[bytes]], canary: subprocess.Popen[bytes]
) -> None:
    port, received = loopback_server
    # Only loopback is ever targeted (tests send no traffic elsewhere): the outside world is shown unreachable
    # by the namespace having no interface but its own "lo", not by trying to reach a public address.
    code = f"""
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"escaped")
    print("CONNECTED")
except OSError as exc:
    print("blocked", type(exc).__name__)
print("interfaces", sorted(name for _, name in socket.if_nameindex()))
"""
    result = await run_python(code, timeout_s=10, isolation=iso)
    assert result.isolation == iso
    assert "CONNECTED" not in result.stdout and "blocked" in result.stdout
    assert "interfaces ['lo']" in result.stdout, result.stdout
    assert received == []
    assert_host_healthy(canary)


async def test_fork_bomb_contained(iso: Isolation, canary: subprocess.Popen[bytes]) -> None:
    code = """
import asyncio
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
    result = await run_python(code, timeout_s=2, memory_mb=64, isolation=iso)
    assert result.timed_out or result.killed_reason
    assert not result.ok
    assert_host_healthy(canary)
    probe = await run_python("print('alive')", timeout_s=5, isolation=iso)  # the host can still spawn
    assert probe.stdout == "alive\n"


async def test_fork_bomb_hits_process_limit(iso: Isolation) -> None:
    code = """
import os, time
n = 0
try:
    while n < 10000:
        if os.fork() == 0:
            time.sleep(5)
            os._exit(0)
        n += 1
except OSError as exc:
    print("limited after", n, exc.errno)
"""
    result = await run_python(code, timeout_s=5, memory_mb=64, isolation=iso)
    assert "limited after" in result.stdout
    assert int(result.stdout.split()[2]) < 100


async def test_memory_bomb(iso: Isolation, canary: subprocess.Popen[bytes]) -> None:
    code = "chunks = []\nwhile True:\n    chunks.append(bytearray(50 << 20))\n"
    result = await run_python(code, timeout_s=10, memory_mb=256, isolation=iso)
    assert not result.ok
    assert result.killed_reason == "memory"
    assert "MemoryError" in result.stderr
    assert_host_healthy(canary)


async def test_infinite_loop_times_out(iso: Isolation) -> None:
    result = await run_python("while True:\n    pass\n", timeout_s=1, isolation=iso)
    assert result.timed_out
    assert result.killed_reason == "timeout"
    assert result.duration_s < 5


async def test_huge_output_is_capped(iso: Isolation) -> None:
    code = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n"
    result = await run_python(code, timeout_s=10, max_output_bytes=100_000, isolation=iso)
    assert result.truncated
    assert result.killed_reason == "output"
    assert len(result.stdout) == 100_000


async def test_writes_outside_workdir_do_not_reach_host(iso: Isolation, tmp_path: os.PathLike[str]) -> None:
    targets = [os.path.join(os.fspath(tmp_path), "escape.txt"), "/etc/assay-escape", "/tmp/assay-escape-h3"]
    targets.append(os.path.join(os.path.expanduser("~"), "assay-escape"))
    code = f"""
for path in {targets!r}:
    try:
        with open(path, "w") as handle:
            handle.write("escaped")
        print("wrote", path)
    except OSError as exc:
        print("denied", path, type(exc).__name__)
with open("inside.txt", "w") as handle:
    handle.write("ok")
print("inside ok")
"""
    result = await run_python(code, timeout_s=10, isolation=iso)
    assert "inside ok" in result.stdout
    for path in targets:
        assert not os.path.exists(path), path


async def test_private_temp_dirs_cannot_fill_host_memory(iso: Isolation) -> None:
    """/tmp, /var/tmp and /dev/shm inside are RAM (tmpfs): each holds at most one file's limit, not half the host."""
    code = """
block = b"x" * (1 << 20)
for folder in ("/tmp", "/var/tmp", "/dev/shm"):
    written = 0
    try:
        for i in range(100):
            with open(f"{folder}/fill{i}", "wb") as handle:
                handle.write(block)
            written += 1
    except OSError as exc:
        print(folder, written, type(exc).__name__)
    else:
        print(folder, written, "no error")
"""
    result = await run_python(code, timeout_s=10, isolation=iso)
    lines = result.stdout.split("\n")[:3]
    assert [line.split()[0] for line in lines] == ["/tmp", "/var/tmp", "/dev/shm"], result.stdout
    for line in lines:
        assert int(line.split()[1]) <= 64, line


async def test_parent_environment_is_not_visible(iso: Isolation, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-assay-fake-secret-3141592653"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    code = """
import asyncio
import os
print(dict(os.environ))
for pid in ("self", "1", str(os.getppid())):
    try:
        print(open(f"/proc/{pid}/environ", "rb").read())
    except OSError as exc:
        print("denied", pid)
"""
    result = await run_python(code, timeout_s=10, isolation=iso)
    assert result.ok
    assert secret not in result.stdout + result.stderr
    assert "OPENAI_API_KEY" not in result.stdout


async def test_killing_the_parent_fails(iso: Isolation, canary: subprocess.Popen[bytes]) -> None:
    code = f"""
import os, signal
for target in (os.getppid(), {os.getpid()}, {canary.pid}, 1):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError as exc:
        print("denied", target)
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    print("denied -1")
print("done")
"""
    await run_python(code, timeout_s=10, isolation=iso)
    subprocess.run(["true"], check=True)
    assert_host_healthy(canary)


async def test_background_process_does_not_outlive_the_run(iso: Isolation) -> None:
    token = f"assay-bg-{os.getpid()}-{iso}"
    code = f"""
import os, subprocess, sys, time
sleeper = [sys.executable, "-c", "import time; time.sleep(300)", "{token}"]
subprocess.Popen(sleeper, start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, sleeper)
    os._exit(0)
time.sleep(0.5)
print("spawned")
"""
    result = await run_python(code, timeout_s=10, isolation=iso)
    assert "spawned" in result.stdout
    assert processes_with(token) == []


async def test_no_privileges_inside(iso: Isolation) -> None:
    code = """
import asyncio
import os
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(os.getuid(), status["NoNewPrivs"].strip(), int(status["CapEff"].strip(), 16))
"""
    result = await run_python(code, timeout_s=10, isolation=iso)
    uid, no_new_privs, caps = result.stdout.split()
    if os.geteuid() == 0:
        assert uid != "0"  # root would be exempt from RLIMIT_NPROC
        assert caps == "0"
    assert no_new_privs == "1"  # setuid binaries cannot regain privileges


async def test_cancelled_run_leaves_nothing_behind(iso: Isolation) -> None:
    token = f"assay-cancel-{os.getpid()}-{iso}"
    code = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import time; time.sleep(60)', '{token}'])\n"
    task = asyncio.create_task(run_python(code, timeout_s=30, isolation=iso))
    for _ in range(50):
        await asyncio.sleep(0.1)
        if processes_with(token):
            break
    assert processes_with(token), "the sandboxed sleeper never started"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(20):
        if not processes_with(token):
            break
        await asyncio.sleep(0.1)
    assert processes_with(token) == []


async def test_filling_the_disk_through_the_work_dir_is_stopped(iso: Isolation) -> None:
    """The file-size rlimit caps each file; the disk quota caps their sum (here 32 MB of 1 MB files)."""
    code = """
import os
block = b"x" * (1 << 20)
for i in range(200):
    with open(f"fill{i}", "wb") as handle:
        handle.write(block)
        handle.flush()
        os.fsync(handle.fileno())
print("wrote everything")
"""
    result = await run_python(code, timeout_s=30, isolation=iso, disk_mb=32)
    assert result.killed_reason == "disk" and not result.ok
    assert "wrote everything" not in result.stdout


async def test_an_inode_flood_is_stopped(iso: Isolation) -> None:
    code = """
for i in range(200_000):
    open(f"f{i}", "w").close()
print("made every file")
"""
    result = await run_python(code, timeout_s=30, isolation=iso)
    assert result.killed_reason == "disk" and "made every file" not in result.stdout


async def test_ordinary_work_dir_use_is_untouched(iso: Isolation) -> None:
    code = "open('data.txt', 'w').write('x' * 100_000)\nprint(len(open('data.txt').read()))"
    result = await run_python(code, timeout_s=10, isolation=iso, disk_mb=1)
    assert result.ok and result.stdout.strip() == "100000" and result.killed_reason is None
