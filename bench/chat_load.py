"""Chat load: N concurrent conversations against gunicorn with a stub LLM; turns/s and server time.

    .venv/bin/python bench/chat_load.py [--conversations 50] [--turns 6] [--llm-latency 0 0.3] [--json]

Starts, all on 127.0.0.1: the local OpenAI-compatible stub (fixed latency), gunicorn with the
production-like config (deploy/gunicorn.conf.py) on the benchmark database, and one client thread
per conversation that posts turns back to back. The server's time is read from each reply's
Server-Timing header: `request` runs from the first middleware to the response (the whole request
as the server sees it, issue 11), `llm` is the model's share of it; "excluding the LLM" is
request - llm. `client_ms` adds the network and gunicorn's queueing as the client sees them. A streaming run measures
the time from the stub emitting its first token to the client receiving the first `token` event.
Targets (SPEC §6): >= 30 turns/s, p95 <= 150 ms excluding the LLM, 0 errors; first token <= 50 ms.

CPU per turn, as the load runs: the CPU time (/proc/<pid>/stat) of the gunicorn process tree and of
the embedded PostgreSQL server's processes over the measured window, divided by the turns in it.
Issue 12's targets, web + database: plain question <= 20 ms, fault <= 25 ms, step answer <= 12 ms
(every bench question describes a fault). With DATABASE_URL set the database is not measured.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import _django
from core.testing.openai_stub import OpenAIStub

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "the pump loses pressure during cleaning",
    "camera shows no picture on the monitor",
    "η κάμερα δεν δείχνει εικόνα",
    "la bomba pierde presión",
    "pompa basınç kaybediyor",
    "pumpen mister trykk",
]


_TICKS = os.sysconf("SC_CLK_TCK")
# Process trees here are two or three levels deep (gunicorn master -> workers; postmaster ->
# backends); the walk stops at this depth and this many /proc entries whatever /proc says.
_MAX_DEPTH = 4
_MAX_PROCESSES = 100_000
# Read before bench/_django.py points DATABASE_URL at the embedded server.
_EXTERNAL_DATABASE = bool(os.environ.get("DATABASE_URL"))


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process: its own user+system time plus that of its children
    it has already waited for (a PostgreSQL backend that exited is counted by the postmaster)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "; comm may hold spaces
    ppid = int(fields[1])
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return ppid, (utime + stime + cutime + cstime) / _TICKS


def tree_cpu_seconds(root: int | None) -> float | None:
    """CPU seconds of `root` and every live descendant (None when `root` is gone or unknown)."""
    if root is None or _proc_stat(root) is None:
        return None
    stats: dict[int, tuple[int, float]] = {}
    for entry in itertools.islice(Path("/proc").iterdir(), _MAX_PROCESSES):
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    total, level = 0.0, {root}
    for _ in range(_MAX_DEPTH):
        if not level:
            break
        total += sum(stats[pid][1] for pid in level if pid in stats)
        level = {pid for pid, (ppid, _) in stats.items() if ppid in level}
    return total


def _postmaster_pid() -> int | None:
    """The embedded server's postmaster (first line of VAR_DIR/pgdata/postmaster.pid)."""
    if _EXTERNAL_DATABASE:
        return None
    pid_file = Path(os.environ.get("VAR_DIR", REPO / "var")) / "pgdata" / "postmaster.pid"
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(users: int) -> list[str]:
    """A small manual and one token per conversation, in the benchmark database."""
    from django.contrib.auth import get_user_model

    from assistant.auth.services import api_token_create
    from knowledge.models import Document
    from knowledge.tests.conftest import V40_PAGES, ingest_file
    from knowledge.tests.fixtures.ingestion_files import write_text_pdf

    if not Document.objects.filter(status="ready").exists():
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            ingest_file(write_text_pdf(Path(tmp) / "bench-manual.pdf", V40_PAGES), machine_models=["V4.0"])
    tokens = []
    User = get_user_model()
    for i in range(users):
        user, _ = User.objects.get_or_create(username=f"bench-operator-{i}")
        tokens.append(api_token_create(user=user, name="bench")[1])
    return tokens


def _request(port: int, method: str, path: str, token: str, body: dict | None, accept="application/json"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": accept}
    conn.request(method, path, body=payload, headers=headers)
    return conn, conn.getresponse()


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    """gunicorn with the production config (deploy/gunicorn.conf.py) on 127.0.0.1:`port`."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(REPO / "deploy" / "gunicorn.conf.py"),
         "--bind", f"127.0.0.1:{port}", "config.wsgi:application"],
        cwd=REPO, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def wait_live(port: int, token: str, *, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            _conn, response = _request(port, "GET", "/health/live", token, None)
            if response.status == 200:
                return
        except OSError:
            time.sleep(0.3)


def _conversation(port, token, turns, results, errors, interval=0.0, offset=0.0):
    """One operator: `turns` turns back to back, or one every `interval` seconds (paced load)."""
    import random

    if offset:
        time.sleep(offset)
    conn, response = _request(port, "POST", "/api/v1/sessions/", token, {"machine_model": "V4.0"})
    if response.status != 201:
        errors.append(f"session {response.status}")
        return
    session_id = json.loads(response.read())["id"]
    conn.close()
    tag = f"rig {session_id[:6]}"
    next_start = time.perf_counter()
    for turn in range(turns):
        if interval:
            # Operators read and type between turns: paced, with jitter, never bunched up.
            time.sleep(max(0.0, next_start - time.perf_counter()))
            next_start += interval * random.uniform(0.8, 1.2)
        started = time.perf_counter()
        conn, response = _request(
            port, "POST", f"/api/v1/sessions/{session_id}/messages/", token,
            # Unique words per conversation and turn: no turn may profit from another's cached query vector.
            {"content": f"{QUESTIONS[turn % len(QUESTIONS)]} ({tag} {turn})", "client_message_id": f"t{turn}"},
        )  # fmt: skip
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        conn.close()
        if response.status != 201:
            errors.append(f"turn {response.status}: {body[:120]!r}")
            continue
        timing = dict(
            part.strip().split(";dur=") for part in (response.getheader("Server-Timing") or "").split(",") if part
        )
        results.append(
            {"client_ms": elapsed, "request_ms": float(timing["request"]), "llm_ms": float(timing["llm"]),
             "model": json.loads(body)["model_used"]}
        )  # fmt: skip


def _first_token_latency(port, token, stub, samples=20) -> list[float]:
    conn, response = _request(port, "POST", "/api/v1/sessions/", token, {"machine_model": "V4.0"})
    session_id = json.loads(response.read())["id"]
    conn.close()
    gaps = []
    for i in range(samples):
        before = len(stub.first_token_sent_at)
        conn, response = _request(
            port, "POST", f"/api/v1/sessions/{session_id}/messages/", token,
            {"content": QUESTIONS[i % 2], "client_message_id": f"s{i}"}, accept="text/event-stream",
        )  # fmt: skip
        received = None
        while True:
            line = response.fp.readline()
            if not line:
                break
            if line.startswith(b"event: token") and received is None:
                received = time.perf_counter()
        conn.close()
        if received is not None and len(stub.first_token_sent_at) > before:
            gaps.append((received - stub.first_token_sent_at[before]) * 1000)
    return gaps


def run(conversations: int, turns: int, llm_latency: float, workers: int, threads: int, rate: float = 0.0) -> dict:
    tokens = _prepare(conversations + 1)
    port = _free_port()
    with OpenAIStub() as stub:
        stub.latency = llm_latency
        stub.reply = "Check the inlet filter for blockage and clean it [1]. Inspect the umbilical hose for leaks [1]."
        env = dict(os.environ)
        env.update(
            LLM_BASE_URL=stub.base_url, LLM_MODEL="stub", LLM_API_KEY="x", THROTTLE_CHAT="100000/min",
            THROTTLE_USER="100000/min", WEB_CONCURRENCY=str(workers), GUNICORN_THREADS=str(threads),
            LOG_LEVEL="WARNING", PROMETHEUS_MULTIPROC_DIR="",
        )  # fmt: skip
        env.pop("PROMETHEUS_MULTIPROC_DIR")
        server = start_gunicorn(env, port)
        try:
            wait_live(port, tokens[0], timeout=60)
            # Warm every worker (model loading is not a turn).
            warm = []
            for _ in range(workers * 2):
                t = threading.Thread(target=_conversation, args=(port, tokens[-1], 1, [], warm))
                t.start()
                t.join()
            results: list[dict] = []
            errors: list[str] = []
            postmaster = _postmaster_pid()
            cpu_before = (tree_cpu_seconds(server.pid), tree_cpu_seconds(postmaster))
            started = time.perf_counter()
            # rate > 0: each conversation sends a turn every conversations/rate seconds (offered load
            # of `rate` turns/s); rate = 0: back to back, i.e. the server's saturation throughput.
            interval = conversations / rate if rate else 0.0
            clients = [
                threading.Thread(
                    target=_conversation,
                    args=(port, tokens[i], turns, results, errors, interval, interval * i / conversations),
                )
                for i in range(conversations)
            ]
            for client in clients:
                client.start()
            for client in clients:
                client.join()
            wall = time.perf_counter() - started
            cpu_after = (tree_cpu_seconds(server.pid), tree_cpu_seconds(postmaster))
            first_token = _first_token_latency(port, tokens[-1], stub) if llm_latency == 0 else []
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    own = [r["request_ms"] - r["llm_ms"] for r in results]

    def per_turn(index: int) -> float | None:
        before, after = cpu_before[index], cpu_after[index]
        if before is None or after is None or not results:
            return None
        return round((after - before) * 1000 / len(results), 1)

    web_cpu, db_cpu = per_turn(0), per_turn(1)
    return {
        "offered_turns_per_s": rate or "saturation",
        "llm_latency_ms": round(llm_latency * 1000),
        "conversations": conversations,
        "turns": len(results),
        "errors": len(errors),
        "error_samples": errors[:3],
        "turns_per_s": round(len(results) / wall, 1),
        "request_ms_p95": round(_django.percentile([r["request_ms"] for r in results], 95), 1) if results else None,
        "server_ms_excl_llm_p50": round(_django.percentile(own, 50), 1) if own else None,
        "server_ms_excl_llm_p95": round(_django.percentile(own, 95), 1) if own else None,
        "client_ms_p50": round(_django.percentile([r["client_ms"] for r in results], 50), 1) if results else None,
        "client_ms_p95": round(_django.percentile([r["client_ms"] for r in results], 95), 1) if results else None,
        "web_cpu_ms_per_turn": web_cpu,
        "db_cpu_ms_per_turn": db_cpu,
        "cpu_ms_per_turn": round(web_cpu + db_cpu, 1) if web_cpu is not None and db_cpu is not None else None,
        "llm_answered_share": round(sum(r["model"] != "offline" for r in results) / max(1, len(results)), 2),
        "first_token_ms_p50": round(_django.percentile(first_token, 50), 1) if first_token else None,
        "first_token_ms_p95": round(_django.percentile(first_token, 95), 1) if first_token else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--llm-latency", type=float, nargs="+", default=[0.0, 0.3])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument(
        "--rate", type=float, default=0.0,
        help="offered load in turns/s, spread over the conversations (0: back to back = saturation)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _django.setup("chat")
    for latency in args.llm_latency:
        report = run(args.conversations, args.turns, latency, args.workers, args.threads, args.rate)
        if args.json:
            print(json.dumps(report))
        else:
            print("\n".join(f"{k:>26}: {v}" for k, v in report.items()) + "\n")


if __name__ == "__main__":
    main()
