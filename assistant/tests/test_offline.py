"""The offline responder's answer shape: matched table rows lead, the top section is quoted, others cited."""

from assistant.engine.grounding import Grounding
from assistant.engine.offline import offline_reply
from knowledge.search import SearchHit


def _hit(chunk_id: int, page: int, text: str, row_text: str | None = None) -> SearchHit:
    return SearchHit(
        chunk_id=chunk_id, document_id=1, document_title="V5.0 manual", file_name="v5.pdf", page_start=page,
        page_end=page, section=f"Section {page}", language="en", text=text, score=0.7, vector_similarity=0.8,
        text_rank=None, row_text=row_text,
    )  # fmt: skip


def _grounding(*hits: SearchHit) -> Grounding:
    return Grounding(query="q", language="en", abstained=False, sources=hits)


def test_rows_of_the_two_best_row_sources_lead_in_rank_order():
    reply = offline_reply(
        grounding=_grounding(
            _hit(1, 3, "Rotor data and other text.", row_text="Section 3\nRotor: 12 nozzles 1.1 mm"),
            _hit(2, 15, "Schedule text.", row_text="Section 15\nEvery 100 h: replace nozzle set; Part no. AB5-2120"),
            _hit(3, 16, "Spare list.", row_text="Section 16\nFilter: AB5-3000"),
        ),
        language="en",
    )
    lead = reply.split("Section 3\nRotor data")[0]
    assert lead.index("› Rotor: 12 nozzles") < lead.index("› Every 100 h: replace nozzle set; Part no. AB5-2120")
    assert "AB5-3000" not in reply  # at most two rows lead
    assert "Rotor data and other text." in reply  # the best section is still quoted


def test_no_row_means_the_best_section_leads():
    reply = offline_reply(grounding=_grounding(_hit(1, 4, "Connect the 125 A plug.")), language="en")
    assert "›" not in reply
    assert reply.index("Section 4\nConnect the 125 A plug.") < reply.index("page 4")
