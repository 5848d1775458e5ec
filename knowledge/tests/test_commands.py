"""Management commands: ingest_documents, search_knowledge, evaluate_retrieval."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from knowledge.models import Document, DocumentStatus
from knowledge.tests.conftest import V31_PAGES
from knowledge.tests.fixtures.ingestion_files import DEV_EVAL, write_text_pdf

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_ingest_documents_waits_and_reports(media_root, tmp_path):
    pdf = write_text_pdf(tmp_path / "v31.pdf", V31_PAGES)
    md = tmp_path / "faq.md"
    md.write_text("# FAQ\n\n## Rotor stops\n\n1. Check the rotor fuse.\n")
    output = _run("ingest_documents", str(pdf), str(md), "--machine-models", "V3.1B", "--language", "en", "--wait")
    assert "v31.pdf: ready" in output and "faq.md: ready" in output
    assert set(Document.objects.values_list("status", flat=True)) == {DocumentStatus.READY}
    assert [d.machine_models for d in Document.objects.all()] == [["V3.1B"], ["V3.1B"]]
    again = _run("ingest_documents", str(pdf), "--wait")
    assert "already known" in again


def test_ingest_documents_reports_rejections_with_nonzero_exit(media_root, tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj <<")
    with pytest.raises(CommandError, match="1 of 1 document"):
        _run("ingest_documents", str(broken), "--wait")
    with pytest.raises(CommandError, match="no such file"):
        _run("ingest_documents", str(tmp_path / "missing.pdf"))


def test_search_knowledge_prints_json(two_manuals):
    payload = json.loads(_run("search_knowledge", "camera shows no picture", "--model", "V4.0", "--json", "-k", "2"))
    assert payload["abstained"] is False
    assert payload["results"][0]["file_name"] == "v40-manual.pdf"
    assert len(payload["results"]) == 2
    text = _run("search_knowledge", "camera shows no picture")
    assert "v40-manual.pdf p.3" in text


def test_evaluate_retrieval_scores_a_queries_file(two_manuals, tmp_path):
    queries = tmp_path / "queries.jsonl"
    lines = [
        {"id": "q1", "language": "en", "type": "symptom", "query": "camera image is black", "machine_model": "V4.0",
         "gold": [{"file": "v40-manual.pdf", "sections": ["S2"], "pages": [3]}]},
        {"id": "q2", "language": "en", "type": "symptom", "query": "relief valve setting", "machine_model": "V3.1B",
         "gold": [{"file": "v31-manual.pdf", "sections": ["S1"], "pages": [2]}]},
        {"id": "q3", "language": "en", "type": "no_answer", "query": "when is the staff christmas party",
         "machine_model": None, "gold": []},
    ]  # fmt: skip
    queries.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    run_file = tmp_path / "run.jsonl"
    summary = json.loads(_run("evaluate_retrieval", str(queries), "--json", "--run-file", str(run_file)))
    overall = summary["hybrid"]["overall"]
    assert overall["recall@5"] == 1.0 and overall["mrr@10"] == 1.0
    assert overall["abstain_no_answer"] == 1.0 and overall["false_abstention"] == 0.0
    assert summary["hybrid"]["by_language"]["en"]["queries"] == 3

    scorer = DEV_EVAL / "score.py"
    if scorer.exists():  # the reference scorer of shared/dev-eval agrees with ours
        result = subprocess.run(
            [sys.executable, str(scorer), str(run_file), "--queries", str(queries), "--by", "none", "--json"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        reference = json.loads(result.stdout)["all"]
        assert reference["recall@5"] == overall["recall@5"] and reference["MRR@10"] == overall["mrr@10"]
        assert reference["abstain"] == overall["abstain_no_answer"]

    table = _run("evaluate_retrieval", str(queries), "--mode", "all")
    assert "== hybrid" in table and "== text" in table and "== vector" in table


def test_evaluate_retrieval_rejects_a_broken_file(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\nnot json\n')
    with pytest.raises(CommandError, match=r"missing 'query'|not JSON"):
        _run("evaluate_retrieval", str(bad))
