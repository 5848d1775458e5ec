"""Escalating as production does it: `make run` with a support inbox and an SMTP server set, a real
worker, the API called over HTTP, and the e-mail waited for at the SMTP server.

This is the path that broke without any test noticing (issue 11): the ticket was committed, then
the on-commit hook that enqueues the e-mail raised, so the operator saw a 500 and the support inbox
got nothing until the stuck-mail sweep. Only the whole product, run as `make run` runs it, exercises
the hook, the broker, the worker and the SMTP client together.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO, embedded_product_env, free_port, wait_for
from core.testing.smtp import SMTPStandIn

pytestmark = pytest.mark.slow

VENV = Path(sys.executable).parent.parent
SUPPORT = "support@example.com"


def _call(base: str, path: str, *, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except OSError:
        return 0, {}


def _ready(base: str) -> bool:
    return _call(base, "/health/ready")[0] == 200


def test_escalating_through_the_api_answers_at_once_and_mails_the_support_inbox(tmp_path):
    with SMTPStandIn() as smtp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = embedded_product_env(
            var_dir=tmp_path / "var",
            port=port,
            LOG_LEVEL="INFO",
            EMAIL_HOST=smtp.host,
            EMAIL_PORT=str(smtp.port),
            ESCALATION_SUPPORT_INBOX=SUPPORT,
            DEFAULT_FROM_EMAIL="AutoBoss Assistant <assistant@example.com>",
        )
        log_path = tmp_path / "run.log"
        with open(log_path, "ab") as log:
            product = subprocess.Popen(
                ["make", "--no-print-directory", "run", f"VENV={VENV}"],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

        def product_log() -> str:
            return log_path.read_text(errors="replace")[-4000:]

        try:
            wait_for(
                lambda: product.poll() is None and _ready(base),
                timeout=240,
                interval=1,
                message=f"the product to be ready\n{product_log()}",
            )
            token = subprocess.run(
                [sys.executable, "manage.py", "demo_token", "erin", "--create"],
                cwd=REPO, env=env, check=True, capture_output=True, text=True, timeout=120,
            ).stdout.strip()  # fmt: skip

            # The legacy widget's path: a chat turn, then its escalate call.
            status, reply = _call(
                base,
                "/api/ai/chat",
                token=token,
                body={"message": "The net cleaner stops after ten minutes", "session_id": None, "language": "en"},
            )
            assert status == 200 and reply["success"], reply
            status, legacy = _call(
                base, f"/api/ai/sessions/{reply['session_id']}/escalate", token=token, body={"priority": None}
            )
            assert status == 201, (legacy, product_log())
            number = legacy["ticket_number"]

            mail = smtp.wait_for(1, timeout=120)[0]
            assert mail.rcpt_tos == (SUPPORT,)
            assert number in mail["Subject"] and number in mail.text

            # The native endpoint goes through the same service and the same hook.
            status, session = _call(base, "/api/v1/sessions/", token=token, body={"language": "el"})
            assert status == 201, session
            status, native = _call(
                base, f"/api/v1/sessions/{session['id']}/escalate/", token=token, body={"reason": "expert_required"}
            )
            assert status == 201, (native, product_log())
            second = smtp.wait_for(2, timeout=120)[1]
            assert native["ticket"]["number"] in second["Subject"]
        finally:
            if product.poll() is None:
                os.killpg(product.pid, signal.SIGINT)
                product.wait(timeout=90)
