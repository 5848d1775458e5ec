"""Right-to-left PDF pages: layout text in visual order back to logical order, and what it feeds.

The visual lines below are pypdf layout-mode output of the dev-eval Arabic quick guide (fpdf2 +
HarfBuzz, DejaVu Sans), copied verbatim but for a step or section renumbered where one was left
out: each line reads backwards, with numbers and Latin codes left to right, and every lam-alef
ligature as "لا" in logical order inside the reversed text. Right-aligned lines keep their
leading spaces: the padding is data (it places the columns).
"""

from __future__ import annotations

import json
import re

from knowledge.ingestion import PageText, chunk_pages, extract_procedures, iter_pdf_pages
from knowledge.ingestion.rtl import is_rtl_page, logical_layout_text, repair_lam_alef
from knowledge.tests.fixtures.ingestion_files import DEV_EVAL, require_dev_eval

AR_GUIDE = DEV_EVAL / "manuals" / "pdf" / "autoboss-v50-quick-guide-ar.pdf"

HOT_WEATHER_VISUAL = "\n".join(
    [
        "                                                                     راحلا سقطلا يف لمعلا .٢",
        "",
        " 35 ىلع ءاوهلا ةرارح ديزت امدنع .م° 45 ءاوه ةرارح ةجرد ىتح لمعلل حطسلا ةدحوو ةخضملا ةدحو تممُص",
        "              .ةعرسب ددرتلا لّوحم يف ديربتلا لئاس ةرارح عفترت ،ةرشابملا سمشلا تحت تادحولا فقت وأ م°",
        "",
        "ةرحلا ةحاسملا نم لقلأا ىلع ًادحاو ًارتم كرتاو ،ةلظم تحت وأ لظلا يف حطسلا ةدحوو ةخضملا ةدحو عض .١",
        "                                                                                                 .ةيوهتلا تاحتف لوح",  # noqa: E501
        ".لئاسلا دربي ىتح قئاقد 10 ةخضملا فقوأ وأ ،راب 20 رادقمب ليغشتلا طغض ضّفخ رفصلأا زمرلا روهظ دنع .٢",
        "لظلا يف هظفحا .راّودلا ةدحولا تفقوأو هسفن أفطأ مزلالا نم رثكأ نخس اذإ ؛سمشلا تحت تلباتلا كرتت لا .٣",
        "                                                                                                 .دّربم قودنص يف وأ",  # noqa: E501
    ]
)
# Plain mode of the same page: scrambled around numbers, but every Arabic word spelt right.
HOT_WEATHER_PLAIN = (
    "٢. العمل في الطقس الحار\n"
    "35 م. عندما تزيد حرارة الهواء على° 45 صُممت وحدة المضخة ووحدة السطح للعمل حتى درجة حرارة هواء\n"
    "١. ضع وحدة المضخة ووحدة السطح في الظل أو تحت مظلة، واترك متراً واحداً على الأقل من المساحة الحرة\n"
    "٢. عند ظهور الرمز الأصفر خفّض ضغط التشغيل\n"
    "٣. لا تترك التابلت تحت الشمس؛ إذا سخن أكثر من اللازم أطفأ نفسه"
)

# Section 6 of the guide, renumbered 3 to follow the section above.
CODES_VISUAL = "\n".join(
    [
        "                                                                                               ةعئاشلا P زومر .٣",  # noqa: E501
        "",
        "              .رمحلأا طيرشلا يف ACK طغضا ببسلا ةلازإ دعب .12 مسقلا ،يزيلجنلإا ليلدلا يف ةلماكلا ةمئاقلا",
        "",
        "                                                      لعفت اذام                                                  ىنعملا       زمرلا",  # noqa: E501
        "",
        "   طغض ضّفخو ،ةقلغملا تامامصلاو ةدودسملا تاهوفلا صحفا                   ةخضملا فقوي لّوحملا ؛راب 250 نم ىلعأ طغض             P-205",  # noqa: E501
        "                                                          ليغشتلا",
        "",
        "         تاهوفلا لكآتو لاكيلبملأاو رتلفلاو زيزعتلا طغض صحفا         وأ راب 150 ةبولطملا ةميقلاو راب 120 نم لقأ طغض           P-206",  # noqa: E501
        "                                                                                                                      رثكأ",  # noqa: E501
    ]
)
CODES_PLAIN = "القائمة الكاملة في الدليل الإنجليزي، القسم 12. اضغط ACK في الشريط الأحمر. والأمبليكال"


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]


def test_visual_lines_come_back_in_logical_order_with_numbers_in_place():
    lines = _lines(logical_layout_text(HOT_WEATHER_VISUAL, HOT_WEATHER_PLAIN))
    assert lines[0] == "٢. العمل في الطقس الحار"
    # Plain mode gives "35 م. عندما تزيد حرارة الهواء على° 45 صُممت ...": the numbers move.
    assert lines[1] == "صُممت وحدة المضخة ووحدة السطح للعمل حتى درجة حرارة هواء 45 °م. عندما تزيد حرارة الهواء على 35"
    assert lines[2].startswith("°م أو تقف الوحدات تحت الشمس المباشرة")
    assert (
        lines[5] == "٢. عند ظهور الرمز الأصفر خفّض ضغط التشغيل بمقدار 20 بار، أو أوقف المضخة 10 دقائق حتى يبرد السائل."
    )


def test_lam_alef_ligatures_are_repaired_from_the_plain_text_lexicon():
    repaired = logical_layout_text(HOT_WEATHER_VISUAL, HOT_WEATHER_PLAIN)
    unrepaired = logical_layout_text(HOT_WEATHER_VISUAL)  # no lexicon: the bidi output as it is
    assert "على األقل" in unrepaired and "ال تترك" in unrepaired and "الالزم" in unrepaired
    assert "على الأقل من المساحة الحرة" in repaired
    assert "لا تترك التابلت" in repaired
    assert "أكثر من اللازم" in repaired  # two "alef + lam" pairs: only the ligature one is swapped
    assert "الأصفر" in repaired


def test_repair_keeps_words_it_cannot_confirm():
    lexicon = frozenset({"الأملاح", "اللازم"})
    assert repair_lam_alef("من األمالح.", lexicon) == "من الأملاح."
    assert repair_lam_alef("الالزم", lexicon) == "اللازم"
    # Not in the lexicon in any spelling: left alone rather than guessed.
    assert repair_lam_alef("األقل", lexicon) == "األقل"
    assert repair_lam_alef("األقل", frozenset()) == "األقل"


def test_latin_run_broken_over_two_lines_keeps_its_symbol():
    visual = "\n".join(
        [
            "           JOB > نم ةكبشلا نم ةفاسملا طبضُتو ،JOB > PRESSURE نم قيبطتلا يف ليغشتلا طغض لَخدُي",
            "تحت ةفاسملاب لزنت لا .ةبولطملا ةميقلا نم راب 5± دودح يف ًاينورتكلإ طغضلا ىلع V5.0 ظفاحي .DISTANCE",
        ]
    )
    first, second = _lines(logical_layout_text(visual, "لا تنزل"))
    assert first.endswith("وتُضبط المسافة من الشبكة من JOB >")
    assert first.startswith("يُدخَل ضغط التشغيل في التطبيق من JOB > PRESSURE، ")
    # The full stop after DISTANCE belongs to the Arabic sentence and stays after the code.
    assert second.startswith("DISTANCE. يحافظ V5.0 على الضغط إلكترونياً في حدود ±5 بار")
    assert second.endswith("لا تنزل بالمسافة تحت")


def test_right_to_left_page_gives_heading_steps_and_table_in_logical_order():
    pages = [
        PageText(1, "AutoBoss", True),
        PageText(2, logical_layout_text(HOT_WEATHER_VISUAL, HOT_WEATHER_PLAIN), True),
        PageText(3, logical_layout_text(CODES_VISUAL, CODES_PLAIN), True),
    ]
    _title, steps, codes = chunk_pages(pages, title="Guide", language="ar")
    assert (steps.section, codes.section) == ("2. العمل في الطقس الحار", "3. رموز P الشائعة")
    assert re.findall(r"(?m)^(\d)\. ", steps.text) == ["1", "2", "3"]
    assert "\n3. لا تترك التابلت تحت الشمس؛" in steps.text and steps.text.endswith("أو في صندوق مبرّد.")
    paragraph, table = codes.text.split("\n\n")
    assert paragraph == "القائمة الكاملة في الدليل الإنجليزي، القسم 12. بعد إزالة السبب اضغط ACK في الشريط الأحمر."
    assert table.split("\n") == [
        "الرمز | المعنى | ماذا تفعل",
        "P-205 | ضغط أعلى من 250 بار؛ المحوّل يوقف المضخة | افحص الفوهات المسدودة والصمامات المغلقة، وخفّض ضغط التشغيل",
        "P-206 | ضغط أقل من 120 بار والقيمة المطلوبة 150 بار أو أكثر | افحص ضغط التعزيز والفلتر والأمبليكال وتآكل الفوهات",  # noqa: E501
    ]
    (procedure,) = extract_procedures([steps, codes])
    assert procedure.title == "العمل في الطقس الحار"
    assert procedure.steps[0].instruction.endswith("على الأقل من المساحة الحرة حول فتحات التهوية.")


def test_left_to_right_page_quoting_arabic_stays_left_to_right():
    visual = "Language      ةيبرعلا\nPage label    ةحفص (Arabic guide)\n\nAll other text is English."
    assert not is_rtl_page(visual)
    assert logical_layout_text(visual).split("\n") == [
        "Language      العربية",
        "Page label    صفحة (Arabic guide)",
        "",
        "All other text is English.",
    ]


def test_dev_eval_arabic_guide_text_matches_its_source():
    require_dev_eval(AR_GUIDE)
    source = json.loads((DEV_EVAL / "manuals" / "src" / "autoboss-v50-quick-guide-ar.json").read_text(encoding="utf-8"))
    pages = json.loads((DEV_EVAL / "manuals" / "pages.json").read_text(encoding="utf-8"))[AR_GUIDE.name]
    extracted = list(iter_pdf_pages(AR_GUIDE))
    assert all(page.layout for page in extracted)
    chunks = list(chunk_pages(extracted, title=source["title"], language="ar"))
    for index, section in enumerate(source["sections"], start=1):
        mine = [c for c in chunks if c.section == f"{index}. {section['heading']}"]
        assert mine and mine[0].page_start == pages[section["id"]][0], section["id"]
        text = " ".join(" ".join(c.text.split()) for c in mine)
        items = [*(section.get("warnings") or []), *(section.get("paragraphs") or []), *(section.get("steps") or [])]
        items += [" | ".join(row) for row in section.get("table") or []]
        missing = [item for item in items if " ".join(item.split()) not in text]
        assert not missing, (section["id"], missing)
