"""A stand-in for a vLLM server process (stdlib only): ``python _fake_vllm.py HOST PORT STATE_DIR``.

Each start increments ``STATE_DIR/starts``; ``STATE_DIR/mode.json`` scripts it:
``{"reply": TEXT}``: every chat answer (default "reply from start N"); each POST is logged as
``REQUEST <path> <first 40 characters of the first message>``.
``{"dead_on_starts": [1]}``: on that start the EngineCore "dies" at the first request (HTTP 500, then /health 500).
``{"hang_on_starts": [1]}``: on that start the first request wedges the server (no answer again, /health included).
``{"stuck_on_starts": [1]}``: on that start the engine wedges: requests never answer, /health still says 200, and
``/metrics`` shows them in flight with no token counted (the wedge ``assay.llm.supervise`` finds by progress).
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST, PORT, STATE = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
STARTS = STATE / "starts"
START = int(STARTS.read_text()) + 1 if STARTS.exists() else 1
STARTS.write_text(str(START))
MODE = json.loads((STATE / "mode.json").read_text()) if (STATE / "mode.json").exists() else {}
DEAD = START in MODE.get("dead_on_starts", [])
died, wedged = threading.Event(), threading.Event()
HANG = START in MODE.get("hang_on_starts", [])
STUCK = START in MODE.get("stuck_on_starts", [])
counts = {"in_flight": 0, "tokens": 0}
ENGINE_DEAD = "EngineCore encountered an issue. See stack trace (above) for the root cause."
print(f"fake vllm start {START} dead={DEAD} hang={HANG}", flush=True)


def reply(body: dict) -> dict:
    text = MODE.get("reply") or f"reply from start {START}"
    choices = [
        {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": "stop", "logprobs": None}
        for i in range(int(body.get("n") or 1))
    ]
    usage = {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}
    return {"id": "x", "object": "chat.completion", "model": body.get("model", "m"), "choices": choices, "usage": usage}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status: int, data: dict) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        if wedged.is_set():
            time.sleep(3600)
        if self.path == "/metrics":
            text = (
                f'vllm:num_requests_running{{engine="0"}} {counts["in_flight"]}.0\n'
                f'vllm:generation_tokens_total{{engine="0"}} {counts["tokens"]}.0\n'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
            return
        self._send(500 if died.is_set() else 200, {})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        first = (body.get("messages") or [{"content": str(body.get("prompt", ""))}])[0].get("content") or ""
        print(f"REQUEST {self.path} {first[:40]!r}", flush=True)
        if HANG:
            wedged.set()
            time.sleep(3600)
        if STUCK:
            counts["in_flight"] += 1
            time.sleep(3600)
        if DEAD:
            died.set()
            self._send(500, {"error": {"message": ENGINE_DEAD, "type": "InternalServerError", "code": 500}})
            print("ERROR EngineDeadError: " + ENGINE_DEAD, flush=True)
            return
        counts["tokens"] += 4
        self._send(200, reply(body))

    def log_message(self, *args: object) -> None:
        pass


server = ThreadingHTTPServer((HOST, PORT), Handler)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
while True:
    time.sleep(3600)
