"""Retrieval evaluation on a queries.jsonl file (format of shared/dev-eval/README.md).

A result is a hit when its file name equals a gold file and its page span contains a gold page.
recall@5, MRR@10 and precision@1 (the first result answers: what the offline responder quotes) are
over answerable queries; abstention is scored separately: the share of `no_answer` queries
abstained on, and the false-abstention share of answerable ones.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .search import chunks_hybrid_search


@dataclass(frozen=True)
class QueryOutcome:
    id: str
    language: str
    type: str
    answerable: bool
    first_hit_rank: int | None  # 1-based within the first 10, None when no hit
    abstained: bool
    took_ms: float
    results: list[dict]
    # The abstention signal of the search (SearchResult.best_similarity); None in text mode.
    best_similarity: float | None = None
    # The question quoted a code found verbatim in the index (search never abstains then).
    code_match: bool = False


def load_queries(path: Path) -> list[dict]:
    queries = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        for key in ("id", "query", "gold"):
            if key not in item:
                raise ValueError(f"{path}:{number}: missing {key!r}")
        queries.append(item)
    return queries


def _is_hit(result: dict, gold: list[dict]) -> bool:
    for entry in gold:
        if result["file_name"] == entry["file"] and any(
            result["page_start"] <= page <= result["page_end"] for page in entry["pages"]
        ):
            return True
    return False


def evaluate(queries: list[dict], *, mode: str = "hybrid") -> list[QueryOutcome]:
    outcomes = []
    for item in queries:
        result = chunks_hybrid_search(
            query=item["query"],
            k=10,
            machine_model=item.get("machine_model"),
            language=item.get("language"),
            mode=mode,
        )
        hits = [{"file_name": h.file_name, "page_start": h.page_start, "page_end": h.page_end} for h in result.results]
        rank = next((i for i, h in enumerate(hits[:10], start=1) if _is_hit(h, item["gold"])), None)
        outcomes.append(
            QueryOutcome(
                id=item["id"],
                language=item.get("language", "?"),
                type=item.get("type", "?"),
                answerable=bool(item["gold"]),
                first_hit_rank=rank,
                abstained=result.abstained,
                took_ms=result.took_ms,
                results=hits,
                best_similarity=result.best_similarity,
                code_match=bool(result.debug.get("code_match")),
            )
        )
    return outcomes


def half_of(query_id: str) -> str | None:
    """The hold-out half of a query: "tuning" for an odd id number (d001, d003 ...), "reporting" for an
    even one. Ranking constants are tuned on the tuning half only; both halves are reported
    (docs/knowledge.md). None when the id carries no number."""
    digits = re.sub(r"\D", "", query_id)
    if not digits:
        return None
    return "tuning" if int(digits) % 2 else "reporting"


def summarize(outcomes: list[QueryOutcome]) -> dict:
    def block(items: list[QueryOutcome]) -> dict:
        answerable = [o for o in items if o.answerable]
        unanswerable = [o for o in items if not o.answerable]
        return {
            "queries": len(items),
            "recall@5": _ratio(
                sum(1 for o in answerable if o.first_hit_rank and o.first_hit_rank <= 5), len(answerable)
            ),
            "mrr@10": _ratio(sum(1 / o.first_hit_rank for o in answerable if o.first_hit_rank), len(answerable)),
            # The offline responder quotes the first result: how often that is an answering section.
            "p@1": _ratio(sum(1 for o in answerable if o.first_hit_rank == 1), len(answerable)),
            "abstain_no_answer": _ratio(sum(o.abstained for o in unanswerable), len(unanswerable)),
            "false_abstention": _ratio(sum(o.abstained for o in answerable), len(answerable)),
        }

    by_language: dict[str, list] = defaultdict(list)
    by_type: dict[str, list] = defaultdict(list)
    by_half: dict[str, list] = defaultdict(list)
    for outcome in outcomes:
        by_language[outcome.language].append(outcome)
        by_type[outcome.type].append(outcome)
        if (half := half_of(outcome.id)) is not None:
            by_half[half].append(outcome)
    latencies = sorted(o.took_ms for o in outcomes)
    return {
        "overall": block(outcomes),
        "by_language": {lang: block(items) for lang, items in sorted(by_language.items())},
        "by_type": {kind: block(items) for kind, items in sorted(by_type.items())},
        "by_half": {half: block(items) for half, items in sorted(by_half.items())},
        "latency_ms": {
            "p50": latencies[len(latencies) // 2] if latencies else None,
            "p95": latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))] if latencies else None,
        },
    }


def _ratio(numerator: float, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def abstention_sweep(outcomes: list[QueryOutcome], thresholds: list[float] | None = None) -> list[dict]:
    """Abstention on no_answer vs false abstention for candidate thresholds of best_similarity.

    How ABSTAIN_BELOW is calibrated (docs/knowledge.md): the signal of every query is computed
    once, then each threshold t is scored as "abstain when best_similarity < t and the question
    quotes no code found in the index" — exactly the rule search applies.
    """
    scored = [o for o in outcomes if o.best_similarity is not None]
    if thresholds is None:
        thresholds = sorted({round(o.best_similarity + 0.00005, 4) for o in scored})
    answerable = [o for o in scored if o.answerable]
    unanswerable = [o for o in scored if not o.answerable]
    table = []
    for threshold in thresholds:

        def abstains(o: QueryOutcome, t: float = threshold) -> bool:
            return o.best_similarity < t and not o.code_match

        table.append(
            {
                "threshold": threshold,
                "abstain_no_answer": _ratio(sum(abstains(o) for o in unanswerable), len(unanswerable)),
                "false_abstention": _ratio(sum(abstains(o) for o in answerable), len(answerable)),
            }
        )
    return table
