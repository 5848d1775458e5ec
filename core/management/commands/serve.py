"""`manage.py serve`: run the whole product on this machine (what `make run` calls).

Starts (or joins) the embedded database when DATABASE_URL is unset, migrates, then supervises
three children: the web server (gunicorn, or runserver with --dev), a Celery worker and Celery
beat. Ctrl-C / SIGTERM stops every child (SIGTERM, then SIGKILL after a grace period) and then the
embedded database. If any child dies, everything is stopped and the exit code is 1: a half-running
product is worse than a stopped one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

GRACE_SECONDS = 20


class Command(BaseCommand):
    help = "Run web + Celery worker + Celery beat (and the embedded database) until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--dev", action="store_true", help="use Django's auto-reloading runserver")
        parser.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--worker-concurrency", type=int, default=int(os.environ.get("CELERY_CONCURRENCY", "2")))

    def handle(self, *args, **options):
        var_dir: Path = settings.VAR_DIR
        lock = _take_lock(var_dir / "serve.lock")
        if lock is None:
            raise CommandError(
                f"AutoBoss Assistant is already running from {var_dir} (see {var_dir / 'serve.lock'}). "
                "Stop it first, or set VAR_DIR to run a second instance."
            )

        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=1)
            call_command("createcachetable", verbosity=0)

        env = self._child_env(var_dir)
        python = sys.executable
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        bind = f"{options['host']}:{options['port']}"
        if options["dev"]:
            web = [python, manage, "runserver", bind]
        else:
            gunicorn_conf = str(Path(settings.BASE_DIR) / "deploy" / "gunicorn.conf.py")
            web = [python, "-m", "gunicorn", "-c", gunicorn_conf, "--bind", bind, "config.wsgi:application"]
        celery = [python, "-m", "celery", "-A", "config"]
        commands = {
            "web": web,
            "worker": [
                *celery,
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(options["worker_concurrency"]),
                "--hostname",
                f"worker-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
            ],
            "beat": [
                *celery,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(var_dir / "celerybeat-schedule"),
            ],
        }

        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda *_: stop.set())

        children: dict[str, subprocess.Popen] = {}
        exit_code = 0
        try:
            for name, cmd in commands.items():
                # A new session: the terminal's Ctrl-C reaches only us, and we stop children in order.
                children[name] = subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR, start_new_session=True)
            url = f"http://{options['host']}:{options['port']}/"
            threading.Thread(target=_announce_when_ready, args=(url, stop, self.stdout), daemon=True).start()
            while not stop.is_set():
                for name, proc in children.items():
                    if proc.poll() is not None:
                        self.stderr.write(f"{name} exited with code {proc.returncode}; stopping everything.")
                        exit_code = 1
                        stop.set()
                        break
                stop.wait(0.5)
        finally:
            self.stdout.write("Stopping AutoBoss Assistant...")
            _stop_children(children)
            lock.close()
        if exit_code:
            raise SystemExit(exit_code)
        self.stdout.write("Stopped.")
        # The embedded database stops when this process exits (config/embedded_db.py).

    def _child_env(self, var_dir: Path) -> dict[str, str]:
        env = dict(os.environ)
        env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
        env["VAR_DIR"] = str(var_dir)
        if getattr(settings, "EMBEDDED_DATABASE", False):
            # Children connect to the server this process holds; they never own its lifecycle.
            env["DATABASE_URL"] = settings.EMBEDDED_DATABASE_URL
        metrics_dir = Path(env.get("PROMETHEUS_MULTIPROC_DIR", var_dir / "prometheus"))
        # Stale files from a previous run would be summed into today's counters.
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True, exist_ok=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        return env


def _take_lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held open for the life of the process
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _stop_children(children: dict[str, subprocess.Popen]) -> None:
    # Web first (stop taking requests), then beat (stop scheduling), then the worker (finish tasks).
    for name in ("web", "beat", "worker"):
        proc = children.get(name)
        if proc is not None and proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for proc in children.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    for proc in children.values():
        # Whatever is left in the group (a stuck worker child) is killed.
        _signal_group(proc, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signum)


def _announce_when_ready(url: str, stop: threading.Event, out) -> None:
    while not stop.wait(1.0):
        try:
            with urllib.request.urlopen(url + "health/ready", timeout=5) as response:
                if response.status == 200:
                    out.write(f"AutoBoss Assistant is ready at {url}  (admin: {url}admin/, API docs: {url}api/docs/)")
                    return
        except OSError:
            continue
