"""Soak: many conversations for minutes at a steady rate, on gunicorn with a real Celery worker.

    .venv/bin/python bench/soak.py [--conversations 50] [--minutes 10] [--rate 30] [--json]

Starts, all on 127.0.0.1: the local OpenAI-compatible stub, gunicorn with the production config
(deploy/gunicorn.conf.py) and one `celery worker` on the benchmark database (embedded PostgreSQL,
filesystem broker unless REDIS_URL is set). Each conversation is an operator who sends a turn every
conversations/rate seconds: a fault report, and while a troubleshooting step waits for an answer,
that step's outcome (mostly "didn't work", sometimes "worked"), with now and then an ordinary
question or an escalation. Reports errors, the whole-request time from the Server-Timing header
(`request`, first middleware to response), what the client waited, and the resident memory of every
gunicorn and worker process at the start and at the end (a leak shows as growth per process).
Issue 11: 50 conversations, 10 minutes, 30 turns/s, 0 errors, flat RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import _django
from bench.chat_load import QUESTIONS, _free_port, _prepare, _request, start_gunicorn, wait_live
from core.testing.openai_stub import OpenAIStub

REPO = Path(__file__).resolve().parent.parent
FAULTS = QUESTIONS
ORDINARY = ["what oil does the pump use?", "how often should the nozzles be replaced?"]


def _rss_mb(pid: int) -> dict[int, float]:
    """Resident memory of `pid` and its descendants, MB, by pid."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return {}
    sizes = {}
    for proc in procs:
        try:
            sizes[proc.pid] = round(proc.memory_info().rss / 2**20, 1)
        except psutil.NoSuchProcess:
            continue
    return sizes


class Operator(threading.Thread):
    def __init__(self, index, port, token, interval, deadline, out):
        super().__init__(daemon=True)
        self.index, self.port, self.token, self.interval, self.deadline, self.out = (
            index, port, token, interval, deadline, out,
        )  # fmt: skip

    def _post(self, path, body):
        started = time.perf_counter()
        conn, response = _request(self.port, "POST", path, self.token, body)
        payload = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        conn.close()
        timing = dict(p.strip().split(";dur=") for p in (response.getheader("Server-Timing") or "").split(",") if p)
        return response.status, payload, elapsed, float(timing.get("request", "nan"))

    def run(self):
        time.sleep(self.interval * self.index / max(1, self.out["conversations"]))
        session_id, step, turn = None, None, 0
        next_start = time.perf_counter()
        while time.perf_counter() < self.deadline:
            time.sleep(max(0.0, next_start - time.perf_counter()))
            next_start += self.interval
            turn += 1
            try:
                if session_id is None:
                    status, body, _, _ = self._post("/api/v1/sessions/", {"machine_model": "V4.0"})
                    if status != 201:
                        self.out["errors"].append(f"session {status}")
                        continue
                    session_id, step = json.loads(body)["id"], None
                if step is not None:
                    outcome = "worked" if turn % 5 == 0 else "didnt_work"
                    path = f"/api/v1/sessions/{session_id}/steps/{step}/feedback/"
                    kind, body_in = "step", {"outcome": outcome, "client_message_id": f"s{turn}"}
                elif turn % 17 == 0:
                    kind, path, body_in = "escalate", f"/api/v1/sessions/{session_id}/escalate/", {}
                else:
                    text = ORDINARY[turn % 2] if turn % 7 == 0 else FAULTS[(self.index + turn) % len(FAULTS)]
                    kind, path = ("question" if turn % 7 == 0 else "fault"), f"/api/v1/sessions/{session_id}/messages/"
                    body_in = {"content": f"{text} (rig {self.index} turn {turn})", "client_message_id": f"t{turn}"}
                status, body, client_ms, request_ms = self._post(path, body_in)
                if status not in (200, 201):
                    self.out["errors"].append(f"{kind} {status}: {body[:100]!r}")
                    step = None
                    continue
                self.out["turns"].append({"kind": kind, "client_ms": client_ms, "request_ms": request_ms})
                data = json.loads(body)
                if kind == "escalate":
                    session_id = None  # the operator starts a new conversation after handing over
                    continue
                current = data.get("step")
                step = current["id"] if current and current.get("id") else None
                if kind == "step" and step is None:
                    session_id = None  # the run ended: next fault in a new conversation
            except OSError as exc:
                self.out["errors"].append(f"connection: {type(exc).__name__}")


def soak(conversations: int, minutes: float, rate: float, workers: int, threads: int) -> dict:
    tokens = _prepare(conversations + 1)
    port = _free_port()
    with OpenAIStub() as stub:
        stub.reply = "Check the inlet filter for blockage and clean it [1]. Inspect the umbilical hose for leaks [1]."
        env = dict(os.environ)
        env.update(
            LLM_BASE_URL=stub.base_url, LLM_MODEL="stub", LLM_API_KEY="x", THROTTLE_CHAT="100000/min",
            THROTTLE_USER="100000/min", WEB_CONCURRENCY=str(workers), GUNICORN_THREADS=str(threads),
            LOG_LEVEL="WARNING", ESCALATION_SUPPORT_INBOX="support@example.com", EMAIL_HOST="127.0.0.1",
            EMAIL_PORT="9",  # nothing listens: e-mails wait as queued rows, as during an SMTP outage
        )  # fmt: skip
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        web = start_gunicorn(env, port)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING"],
            cwd=REPO, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_live(port, tokens[0], timeout=90)
            warm = {"conversations": 1, "errors": [], "turns": []}
            for _ in range(workers * 2):  # load the model in every web worker before measuring
                Operator(0, port, tokens[-1], 0.0, time.perf_counter() + 1.0, warm).run()
            rss_start = {"web": _rss_mb(web.pid), "worker": _rss_mb(worker.pid)}
            out = {"conversations": conversations, "errors": [], "turns": []}
            end = time.perf_counter() + minutes * 60
            interval = conversations / rate
            operators = [Operator(i, port, tokens[i], interval, end, out) for i in range(conversations)]
            started = time.perf_counter()
            for operator in operators:
                operator.start()
            for operator in operators:
                operator.join()
            wall = time.perf_counter() - started
            rss_end = {"web": _rss_mb(web.pid), "worker": _rss_mb(worker.pid)}
        finally:
            for process in (web, worker):
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)
    turns = out["turns"]
    request = [t["request_ms"] for t in turns]
    client = [t["client_ms"] for t in turns]
    kinds = {k: sum(t["kind"] == k for t in turns) for k in ("fault", "step", "question", "escalate")}
    return {
        "conversations": conversations,
        "minutes": minutes,
        "offered_turns_per_s": rate,
        "turns": len(turns),
        "turns_per_s": round(len(turns) / wall, 1),
        "kinds": kinds,
        "errors": len(out["errors"]),
        "error_samples": out["errors"][:5],
        "request_ms_p50": round(_django.percentile(request, 50), 1) if request else None,
        "request_ms_p95": round(_django.percentile(request, 95), 1) if request else None,
        "client_ms_p95": round(_django.percentile(client, 95), 1) if client else None,
        "rss_mb_start": rss_start,
        "rss_mb_end": rss_end,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _django.setup("soak")
    report = soak(args.conversations, args.minutes, args.rate, args.workers, args.threads)
    print(json.dumps(report) if args.json else "\n".join(f"{k:>22}: {v}" for k, v in report.items()))


if __name__ == "__main__":
    main()
