"""Schemathesis over the OpenAPI schema, in-process (WSGI), against the real test database.

Every operation of /api/schema/ — the native /api/v1/ API and the legacy widget's /api/ai/ one — is
called with generated valid (positive) and invalid (negative) input, as an operator and as staff,
with path ids that are half the time real (the caller's own conversation, step, reply, a ready
manual, a machine of theirs) so the fuzzer gets past the 404s into each endpoint's logic. Every
response must be no 5xx and must match the schema: status code, content type, body, headers.
Operations are read from the schema, so an endpoint is fuzzed as soon as it is in the schema.

Deterministic: derandomized Hypothesis (examples follow from the test, not from a clock), no
example database; docs/reliability.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.mutations import OperatorKind
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from .world import Caller

# Generated requests per operation, caller and mode (valid, invalid). Sized for >= 1 000 requests
# per run within the CI budget (docs/reliability.md has the figures).
MAX_EXAMPLES = 25
# Each caller's run must make at least this many requests, or the fuzz quietly stopped fuzzing.
MIN_REQUESTS_PER_CALLER = 500

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "deterministic": True,
            "database": "none",
            # The bearer token is ours to give (below), not generated.
            "with-security-parameters": False,
            # DRF refuses NUL in every text field (PostgreSQL cannot store it): a rule of the whole
            # API, not of one schema, so strings are generated without it.
            "allow-x00": False,
        },
        "checks": {
            # Invalid input is refused with a 4xx; 413 is how a text over its limit is refused.
            "negative_data_rejection": {
                "expected-statuses": [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
            },
        },
    }
)

# Schema-valid requests the API refuses for a reason no schema can state (what is in the database,
# what is inside a file): operation -> the error codes, or the fields of a 400, such a refusal has.
REFUSED_FOR_CONTENT = {
    # A machine id that is well-formed but not one of the caller's organization's machines.
    "POST /api/v1/sessions/": {"machine_id"},
    # Thumbs up/down on one of the operator's own messages rather than on an assistant's reply.
    "POST /api/v1/messages/{message_id}/feedback/": {"message"},
    # Saving the fix with no note when no step was marked as the one that worked.
    "POST /api/v1/sessions/{session_id}/resolve/": {"save_fix"},
    # Bytes that are not a PDF, DOCX, Markdown or text file (sniffed, whatever the name says).
    "POST /api/v1/knowledge/documents/": {"unsupported_type", "type_mismatch", "file"},
}

# DRF reads a scalar of another JSON type when it means the same ("5" for 5, 5 for "5", "true" for
# true): lenient, not a lie of the schema, so a negative case whose only violation is such a type
# change is not held against the API. Any other violation (length, enum, pattern, required...) is.
_COERCED = {("string", "number"), ("string", "integer"), ("integer", "string"), ("number", "string"),
            ("integer", "number"), ("boolean", "string"), ("boolean", "integer"),
            # a number where only null was allowed besides a string: the string branch reads it
            ("null", "number"), ("null", "integer")}  # fmt: skip


def _refused_for_content(label: str, response) -> bool:
    allowed = REFUSED_FOR_CONTENT.get(label)
    if allowed is None or response.status_code not in (400, 413, 415):
        return False
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return False
    fields = set(error.get("details") or {})
    return error.get("code") in allowed or (bool(fields) and fields <= allowed)


def _only_coerced_types(case) -> bool:
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    mutations = getattr(data, "mutations", ())
    return bool(mutations) and all(
        (m.operator == OperatorKind.CHANGE_TYPE and (m.original_value, m.new_value) in _COERCED)
        # DRF ignores an empty ?format= (the Accept header decides), as any other value it knows.
        or (m.parameter_location == ParameterLocation.QUERY and m.parameter == "format")
        for m in mutations
    )


pytestmark = pytest.mark.django_db(databases=["default", "abparts"])


def _real_ids(caller, world) -> dict:
    owned = caller.owned
    ids = {
        "session_id": str(owned.session_id),
        "message_id": owned.message_id,
        "step_id": owned.step_id,
        "document_id": world.document_id,
        "number": 1,
    }
    if caller.machine_visible:
        ids["machine_id"] = str(caller.machine_visible)
    return ids


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, called in this thread, inside the test's transaction.

    Like Django's test client: a real request's end closes the database connection, which here is
    the test's own (and would end its transaction).
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class FuzzRun:
    """What one caller's run saw: requests per operation and mode, failures, cases left to another branch."""

    caller: Caller
    real_ids: dict
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def fuzz(self, operation, mode: GenerationMode) -> None:
        label = f"{operation.label} [{mode.value}]"

        @settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode), use_real_ids=st.booleans())
        def one_case(case, use_real_ids):
            # Not when the path itself is the invalid part of a negative case: it must stay invalid.
            if use_real_ids and case.path_parameters and not case.meta.is_negative_at(ParameterLocation.PATH):
                known = {k: self.real_ids[k] for k in case.path_parameters if k in self.real_ids}
                case.path_parameters = {**case.path_parameters, **known}
            self.counts[label] = self.counts.get(label, 0) + 1
            # Given to the call (not put in the case), so the `ignored_auth` check knows it is a
            # real credential and probes the operation without it and with a wrong one.
            headers = {"Authorization": f"Bearer {self.caller.token}"}
            response = case.call(headers=headers)
            excluded = []
            if _only_coerced_types(case):
                excluded.append(negative_data_rejection)
            if _refused_for_content(operation.label, response):
                excluded.append(positive_data_acceptance)
            case.validate_response(response, headers=headers, excluded_checks=excluded)

        try:
            one_case()
        except Unsatisfiable:
            # Nothing to make invalid (no parameters, no body): the positive run covers it.
            assert mode is GenerationMode.NEGATIVE, label
        except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports every operation that fails
            self.failures.append(f"{label}:\n{exc}")


@pytest.mark.parametrize("caller_name", ["operator_a", "staff:Knowledge editors"])
def test_every_operation_conforms_to_its_schema(world, wsgi_app, caller_name):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, config=CONFIG)
    run = FuzzRun(caller=world[caller_name], real_ids=_real_ids(world[caller_name], world))
    started = time.monotonic()
    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run.fuzz(result.ok(), mode)

    total = sum(run.counts.values())
    print(f"fuzz as {caller_name}: {total} requests in {time.monotonic() - started:.1f} s")
    assert not run.failures, "\n\n".join(run.failures)
    assert total >= MIN_REQUESTS_PER_CALLER, run.counts
