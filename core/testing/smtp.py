"""A real local SMTP server for tests (aiosmtpd on 127.0.0.1), so Django's real SMTP client is used.

    with SMTPStandIn() as smtp:                     # a free port, or SMTPStandIn(port=2525)
        settings.EMAIL_HOST, settings.EMAIL_PORT = smtp.host, smtp.port
        ...
        smtp.stop()                                 # connections are refused now ("SMTP down")
        smtp.start()                                # back on the same port
        smtp.refuse_recipients.add("x@example.com") # 550 for that RCPT TO
        smtp.reject_data_next("554 5.6.0 Message rejected")  # answer the next DATA with this
        smtp.data_delay = 0.5                       # a slow server
        smtp.wait_for(2, timeout=10)                # the received messages, parsed

Every accepted message is kept (`messages`), parsed with the modern `email` policy, together with
its SMTP envelope.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes

    def __getitem__(self, header: str) -> str | None:
        """The decoded header; surrounding whitespace left over from folding is removed."""
        value = self.message[header]
        return None if value is None else str(value).strip()

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


class _Handler:
    def __init__(self, stand_in: SMTPStandIn):
        self.stand_in = stand_in

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in {a.lower() for a in self.stand_in.refuse_recipients}:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.stand_in.data_delay:
            await asyncio.sleep(self.stand_in.data_delay)
        with self.stand_in._lock:
            if self.stand_in._data_replies:
                return self.stand_in._data_replies.popleft()
            raw = envelope.original_content or envelope.content
            if isinstance(raw, str):
                raw = raw.encode()
            # SMTP lines end in CRLF; parse with plain newlines so bodies compare with Python strings.
            parsed = BytesParser(policy=policy.default).parsebytes(raw.replace(b"\r\n", b"\n"))
            self.stand_in.messages.append(
                ReceivedMessage(envelope.mail_from, tuple(envelope.rcpt_tos), parsed, raw)  # type: ignore[arg-type]
            )
        return "250 Message accepted"


class SMTPStandIn:
    def __init__(self, *, host: str = "127.0.0.1", port: int | None = None):
        self.host = host
        self.port = port or _free_port(host)
        self.messages: list[ReceivedMessage] = []
        self.refuse_recipients: set[str] = set()
        # Seconds to wait before answering DATA: a slow server, to widen race windows in tests.
        self.data_delay = 0.0
        self._data_replies: deque[str] = deque()
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    # --- control -------------------------------------------------------------------------------
    def start(self) -> SMTPStandIn:
        if self._controller is None:
            # A new controller each time: aiosmtpd's controller cannot be restarted once stopped.
            controller = Controller(_Handler(self), hostname=self.host, port=self.port, enable_SMTPUTF8=True)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def reject_data_next(self, reply: str, *, times: int = 1) -> None:
        """Answer the next `times` DATA commands with `reply` (e.g. "451 4.3.0 Try later")."""
        with self._lock:
            self._data_replies.extend([reply] * times)

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[ReceivedMessage]:
        """The messages once at least `count` have arrived; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} message(s) at the SMTP server, got {len(self.messages)}")

    # --- context manager -----------------------------------------------------------------------
    def __enter__(self) -> SMTPStandIn:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
