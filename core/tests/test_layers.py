"""The apps' layering (pyproject.toml [tool.importlinter], docs/architecture.md) holds on this code,
and the check would catch a new upward import (a cycle in the making)."""

from __future__ import annotations

import copy
from pathlib import Path

import grimp
import pytest
from importlinter import configuration
from importlinter.api import read_configuration
from importlinter.contracts.layers import LayersContract

REPO = Path(__file__).resolve().parents[2]

configuration.configure()


def _contract() -> tuple[LayersContract, list[str]]:
    config = read_configuration(str(REPO / "pyproject.toml"))
    options = next(c for c in config["contracts_options"] if c["id"] == "layers")
    contract = LayersContract(name=options["name"], session_options=config["session_options"], contract_options=options)
    return contract, config["session_options"]["root_packages"]


@pytest.fixture(scope="module")
def graph():
    _, roots = _contract()
    return grimp.build_graph(*roots, cache_dir=None)


def test_every_app_is_in_a_layer():
    _, roots = _contract()
    apps = {path.parent.name for path in REPO.glob("*/apps.py")}
    assert apps <= set(roots), f"apps missing from [tool.importlinter]: {sorted(apps - set(roots))}"


def test_the_code_keeps_the_layers(graph):
    contract, _ = _contract()
    # check() removes the ignored imports from the graph it is given: give it a copy.
    check = contract.check(copy.deepcopy(graph), verbose=False)
    assert check.kept, check.metadata


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("knowledge.search", "assistant.models"),  # a lower layer importing a higher one
        ("core.health", "assistant.providers"),  # what core/health.py once did
        ("troubleshooting.services", "abparts.models"),  # two apps of one layer
        ("assistant.engine.turn", "escalations.services"),  # the chat app reaching for escalations
    ],
)
def test_an_upward_import_breaks_the_contract(graph, importer, imported):
    contract, _ = _contract()
    changed = copy.deepcopy(graph)
    changed.add_import(importer=importer, imported=imported, line_number=1, line_contents="import x")
    assert not contract.check(changed, verbose=False).kept
