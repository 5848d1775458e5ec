"""A small OpenAI-compatible HTTP server for tests and benchmarks (binds 127.0.0.1 only).

Serves POST /v1/embeddings and POST /v1/chat/completions (plain and `stream: true` SSE), records
every request, and can be told to misbehave:

    with OpenAIStub() as stub:
        stub.fail_next(429, times=2)          # HTTP errors (429 carries Retry-After: 0)
        stub.fail_next("malformed")           # 200 with a body that is not a completion
        stub.fail_next("timeout")             # sleep longer than any sane client timeout
        stub.latency = 0.3                    # seconds before answering (per request)
        stub.reply = "text"                   # or a callable(request_json) -> str
        client = OpenAI(base_url=stub.base_url, api_key="x")

Embeddings are deterministic bag-of-hashed-words vectors: similar texts get similar vectors,
which is enough to test plumbing, never quality.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)


def stub_embedding(text: str, dimensions: int) -> list[float]:
    vector = np.zeros(dimensions, dtype=np.float32)
    for word in _WORD.findall(text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        index = int.from_bytes(digest[:4], "little") % dimensions
        vector[index] += 1.0 if digest[4] & 1 else -1.0
    norm = float(np.linalg.norm(vector)) or 1.0
    return (vector / norm).tolist()


class OpenAIStub:
    def __init__(self, *, dimensions: int = 384, token_delay: float = 0.0):
        self.dimensions = dimensions
        self.latency = 0.0
        self.token_delay = token_delay
        self.reply: str | Callable[[dict], str] = "Stub reply."
        self.requests: list[dict[str, Any]] = []
        self.first_token_sent_at: list[float] = []
        self._faults: deque = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control -------------------------------------------------------------------------------
    def fail_next(self, fault: int | str, *, times: int = 1) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    def _next_fault(self):
        with self._lock:
            return self._faults.popleft() if self._faults else None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "stub not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> OpenAIStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return self._json(400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
                with stub._lock:
                    stub.requests.append({"path": self.path, "json": body, "at": time.time()})
                if stub.latency:
                    time.sleep(stub.latency)
                fault = stub._next_fault()
                if fault == "timeout":
                    time.sleep(30)
                    return self._json(504, {"error": {"message": "too slow"}})
                if isinstance(fault, int):
                    headers = {"Retry-After": "0"} if fault == 429 else {}
                    return self._json(
                        fault, {"error": {"message": f"injected {fault}", "type": "server_error"}}, headers
                    )
                if self.path.rstrip("/").endswith("/embeddings"):
                    return self._embeddings(body, malformed=fault == "malformed")
                if self.path.rstrip("/").endswith("/chat/completions"):
                    return self._chat(body, malformed=fault == "malformed")
                return self._json(404, {"error": {"message": "unknown path"}})

            def _json(self, status: int, payload: dict, headers: dict | None = None):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _embeddings(self, body: dict, *, malformed: bool):
                inputs = body.get("input", [])
                inputs = [inputs] if isinstance(inputs, str) else list(inputs)
                dims = int(body.get("dimensions") or stub.dimensions)
                if malformed:
                    return self._json(200, {"object": "list", "data": "oops"})
                data = [
                    {"object": "embedding", "index": i, "embedding": stub_embedding(str(text), dims)}
                    for i, text in enumerate(inputs)
                ]
                tokens = sum(len(_WORD.findall(str(t))) for t in inputs)
                return self._json(
                    200,
                    {
                        "object": "list",
                        "data": data,
                        "model": body.get("model", "stub"),
                        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                    },
                )

            def _chat(self, body: dict, *, malformed: bool):
                text = stub.reply(body) if callable(stub.reply) else stub.reply
                model = body.get("model", "stub")
                prompt_tokens = sum(len(_WORD.findall(str(m.get("content", "")))) for m in body.get("messages", []))
                completion_tokens = len(_WORD.findall(text))
                if malformed:
                    return self._json(200, {"id": "x", "object": "chat.completion", "choices": "oops"})
                if not body.get("stream"):
                    return self._json(
                        200,
                        {
                            "id": "chatcmpl-stub",
                            "object": "chat.completion",
                            "created": int(time.time()),
                            "model": model,
                            "choices": [
                                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                            ],
                            "usage": {
                                "prompt_tokens": prompt_tokens,
                                "completion_tokens": completion_tokens,
                                "total_tokens": prompt_tokens + completion_tokens,
                            },
                        },
                    )
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = re.findall(r"\S+\s*", text) or [""]
                for i, piece in enumerate(pieces):
                    chunk = {
                        "id": "chatcmpl-stub",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                    }
                    if i == 0:
                        with stub._lock:
                            stub.first_token_sent_at.append(time.perf_counter())
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    if stub.token_delay:
                        time.sleep(stub.token_delay)
                final = {
                    "id": "chatcmpl-stub",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "usage": {
                        "prompt_tokens": prompt_tokens,
                        "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens,
                    },
                }
                self.wfile.write(f"data: {json.dumps(final)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="openai-stub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
