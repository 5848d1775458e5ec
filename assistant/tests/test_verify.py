"""The number check on LLM replies (assistant/engine/verify.py): invented values are caught, model
names and references into the manual are not mistaken for them."""

from __future__ import annotations

import pytest

from assistant.engine.verify import ungrounded_numbers

SOURCE = "6. Pressure fluctuation or loss\n1. Set the pressure to 190 bar. Nozzle set AB5-2120, P-206."


@pytest.mark.parametrize(
    "reply",
    [
        "On your V3.1B the pressure should be 190 bar.",
        "The V4.0 and the V5.0 use nozzle set AB5-2120.",
        "See section 12 of the manual and step 4 there.",
        "As § 6.2 says, set 190 bar.",
        "Δείτε την ενότητα 12 και το βήμα 4.",
        "Consulte la sección 12, paso 3, página 7.",
        "Kılavuzun 12. bölümüne bakın, sayfa 7.",
        "Se avsnitt 12, trinn 3, side 7.",
        "راجع القسم 12 والخطوة 3.",
        "1. Check P-206.\n2. Try again twice.",
    ],
)
def test_model_names_references_and_grounded_values_pass(reply):
    assert ungrounded_numbers(reply, SOURCE) == set()


@pytest.mark.parametrize(
    ("reply", "invented"),
    [
        ("Set the pressure to 180 bar.", {"180"}),
        ("Use nozzle set AB5-2121 on the V4.0.", {"ab5-2121"}),
        ("Code P-207 means the filter is blocked.", {"p-207"}),
        ("Section 12 says to use 230 bar.", {"230"}),
    ],
)
def test_invented_values_are_caught(reply, invented):
    assert ungrounded_numbers(reply, SOURCE) == invented


def test_machine_context_is_evidence():
    context = "Machine: Boss 7, V4.0, 1,180 operating hours; last service 2026-10-02."
    reply = "Your machine has 1,180 hours; the nozzle filter was replaced on 2026-10-02."
    assert ungrounded_numbers(reply, SOURCE) != set()
    assert ungrounded_numbers(reply, SOURCE, context) == set()
