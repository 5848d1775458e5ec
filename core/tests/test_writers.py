"""One write path per record: conversations and messages are written by assistant/services.py, runs
and their steps by troubleshooting/services.py, tickets by escalations/services.py (and the
publishing of a ticket's fix by escalations/publishing.py). Consent, redaction, encryption and the
analytics hooks sit on those paths, so a write anywhere else would bypass them.

A scan of the source (tests and migrations excluded) finds:
* calls that write through a guarded model's manager or queryset (`Message.objects.create`,
  `ChatSession.objects.filter(...).update`, `RunStep.objects.bulk_create`, `Ticket(...)`…);
* in modules that own none of these records, `.save()` / `.delete()` on a variable named like one
  of them (`session`, `locked`, `run`, `step`, `message`, `ticket`) and assignments to its `status`
  or `outcome`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APPS = ("core", "knowledge", "abparts", "troubleshooting", "assistant", "analytics", "escalations", "config")

WRITERS = {
    "ChatSession": {"assistant/services.py"},
    "Message": {"assistant/services.py"},
    "TroubleshootingRun": {"troubleshooting/services.py"},
    "RunStep": {"troubleshooting/services.py"},
    "Ticket": {"escalations/services.py", "escalations/publishing.py"},
}
WRITE_METHODS = frozenset(
    ("create", "update", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "save")
)
RECORD_NAMES = frozenset(("session", "locked", "run", "step", "run_step", "message", "ticket"))
STATE_FIELDS = frozenset(("status", "outcome"))
OWNERS = set().union(*WRITERS.values())


def _root(node: ast.AST) -> ast.AST:
    """The start of a call chain: `Message` in `Message.objects.filter(...).update(...)`."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        else:
            return node


def violations(source: str, module: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            root = _root(func)
            model = root.id if isinstance(root, ast.Name) and root.id in WRITERS else None
            if isinstance(func, ast.Name) and func.id in WRITERS:  # Message(...) built to be saved
                model = func.id
            method = func.attr if isinstance(func, ast.Attribute) else "construct"
            if model and (method in WRITE_METHODS or method == "construct") and module not in WRITERS[model]:
                found.append(f"{module}:{node.lineno}: {model} written ({method})")
            if (
                module not in OWNERS
                and isinstance(func, ast.Attribute)
                and func.attr in ("save", "delete")
                and isinstance(func.value, ast.Name)
                and func.value.id in RECORD_NAMES
            ):
                found.append(f"{module}:{node.lineno}: {func.value.id}.{func.attr}()")
        elif isinstance(node, ast.Assign) and module not in OWNERS:
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr in STATE_FIELDS
                    and isinstance(target.value, ast.Name)
                    and target.value.id in RECORD_NAMES
                ):
                    found.append(f"{module}:{node.lineno}: {target.value.id}.{target.attr} assigned")
    return found


def _modules():
    for app in APPS:
        for path in sorted((REPO / app).rglob("*.py")):
            parts = path.relative_to(REPO).parts
            if "tests" in parts or "migrations" in parts:
                continue
            yield path.relative_to(REPO).as_posix(), path.read_text(encoding="utf-8")


def test_only_the_owning_services_write_conversations_messages_runs_and_tickets():
    found = [v for module, source in _modules() for v in violations(source, module)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("assistant/engine/turn.py", "Message.objects.create(session=s, seq=1)"),
        ("escalations/services.py", "ChatSession.objects.filter(pk=1).update(status='escalated')"),
        ("assistant/engine/troubleshoot.py", "RunStep.objects.filter(run=r).update(outcome='worked')"),
        ("assistant/engine/turn.py", "m = Message(session=s)\nm.save()"),
        ("assistant/api/views.py", "ticket.status = 'closed'"),
        ("assistant/engine/turn.py", "locked.save(update_fields=['status'])"),
        ("troubleshooting/admin.py", "TroubleshootingRun.objects.filter(pk=1).delete()"),
    ],
)
def test_the_scan_finds_a_write_outside_its_service(module, source):
    assert violations(source, module)


def test_the_owning_service_may_write():
    assert not violations("Message.objects.create(session=s, seq=1)", "assistant/services.py")
    assert not violations("run.status = 'resolved'\nrun.save()", "troubleshooting/services.py")
