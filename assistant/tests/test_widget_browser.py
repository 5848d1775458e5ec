"""The chat widget in a real browser (issue 14): Debian's chromium driven by Playwright against the
product started as `make run` starts it (`manage.py serve`: gunicorn, worker, beat, embedded
database) in a fresh VAR_DIR, with the demo data and three manuals seeded. One product for the module.

Set WIDGET_SCREENSHOT_DIR to keep the screenshots docs/widget.md shows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO, embedded_product_env, free_port, service_unavailable, stop_process_group, wait_for

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
# The V4.0 manual answers every language; the Greek and Arabic quick guides are the operators' own.
MANUALS = ("autoboss-v40-operator-manual-en.md", "autoboss-v40-quick-guide-el.md", "autoboss-v40-quick-guide-ar.md")
TICKET = re.compile(r"AB-\d{8}-\d{4}")
PHONE = {"width": 390, "height": 844}


class Product:
    def __init__(self, base: str, log: Path, env: dict[str, str]):
        self.base, self.log, self.env = base, log, env

    def query(self, code: str) -> object:
        """Run `code` (which prints JSON) in the product's Django, against its database."""
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=REPO, env=self.env, check=True, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        return json.loads(result.stdout.strip().splitlines()[-1])

    def api(self, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


def _ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/health/ready", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def product(tmp_path_factory) -> Iterator[Product]:
    if not os.path.exists(CHROMIUM):
        service_unavailable(f"{CHROMIUM} is missing (apt-get install chromium; .ci/apt-packages.sh)")
    work = tmp_path_factory.mktemp("widget")
    manuals = work / "manuals"
    manuals.mkdir()
    source = REPO / "demo" / "manuals"
    manifest = [e for e in json.loads((source / "manifest.json").read_text()) if e["file"] in MANUALS]
    for entry in manifest:
        shutil.copy(source / entry["file"], manuals / entry["file"])
    (manuals / "manifest.json").write_text(json.dumps(manifest))
    port = free_port()
    env = embedded_product_env(
        var_dir=work / "var", port=port, LOG_LEVEL="WARNING", THROTTLE_CHAT="10000/min", THROTTLE_USER="10000/min"
    )
    log = work / "serve.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: process.poll() is None and _ready(base),
            timeout=240,
            interval=1,
            message=f"the product to be ready\n{log.read_text(errors='replace')[-3000:]}",
        )
        subprocess.run(
            [sys.executable, "manage.py", "seed_demo", "--manuals-dir", str(manuals)],
            cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600,
        )  # fmt: skip
        yield Product(base, log, env)
    finally:
        stop_process_group(process, timeout=60)


@pytest.fixture(scope="module")
def browser(product):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, product):
    contexts = []

    def make(**options):
        context = browser.new_context(locale="en-US", **options)
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
        page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
        page.goto(product.base + "/")
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    folder = os.environ.get("WIDGET_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"widget-{name}.png"))


def sign_in(page, operator: str, machine: str, language: str | None = None) -> str:
    """Pick a demo operator and a machine on the demo page; returns the operator's token."""
    page.select_option("#demo-operator", operator)
    page.locator("#demo-machine option", has_text=machine).wait_for(state="attached")
    page.select_option("#demo-machine", label=page.locator("#demo-machine option", has_text=machine).inner_text())
    if language:
        page.select_option("#demo-language", language)
    return page.evaluate("sessionStorage.getItem('demo-token')")


def widget(page):
    return page.locator("autoboss-assistant")


def open_widget(page):
    w = widget(page)
    w.locator(".launcher").click()
    w.locator(".panel").wait_for()
    return w


def say(w, text: str) -> None:
    count = w.locator(".msg.assistant[data-id]").count()
    w.locator("#abw-input").fill(text)
    w.locator("#abw-input").press("Enter")
    w.locator(".msg.assistant[data-id]").nth(count).wait_for(timeout=30_000)


def answer(w, outcome: str) -> None:
    count = w.locator(".msg.assistant[data-id]").count()
    w.locator(f".step.current button[data-outcome={outcome}]").click()
    w.locator(".msg.assistant[data-id]").nth(count).wait_for(timeout=30_000)


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    before = len(page.problems)
    results = Axe().run(page)
    # axe-core itself applies an inline style, which the demo page's CSP rightly refuses: not ours.
    page.problems[before:] = [p for p in page.problems[before:] if "Applying inline style" not in p]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def session_of(page) -> str:
    return json.loads(page.evaluate("localStorage.getItem('autoboss-assistant:session')"))["id"]


# --- the tests -----------------------------------------------------------------------------------------------
def test_greek_troubleshooting_run_by_clicking_ends_in_worked(new_page, product):
    page = new_page()
    token = sign_in(page, "giorgos.papadakis", "Poros Unit A")
    w = open_widget(page)
    assert w.locator(".title").inner_text() == "Βοηθός AutoBoss"
    assert serious_violations(page) == []
    # Record whether text appears in the bubble before the reply is complete (streaming, not one JSON).
    page.evaluate(
        """() => { const root = document.querySelector('autoboss-assistant').shadowRoot;
        window.partial = false;
        new MutationObserver(() => { const b = root.querySelector('.msg.streaming .text');
          if (b && b.textContent) window.partial = true; }).observe(root, {subtree: true, childList: true}); }"""
    )
    say(w, "Η αντλία χάνει πίεση")
    assert page.evaluate("window.partial") is True
    card = w.locator(".step.current")
    assert re.search(r"Βήμα 1 από \d+", card.locator("h3").inner_text())
    assert card.locator(".source").inner_text().startswith("Πηγή:")
    assert card.locator("button.outcome").count() == 5
    assert serious_violations(page) == []
    shot(page, "el")

    answer(w, "didnt_work")
    assert re.search(r"Βήμα \d+ από \d+", w.locator(".step.current h3").inner_text())
    # Only the current step's buttons are live.
    assert w.locator(".step:not(.current) button.outcome:enabled").count() == 0
    answer(w, "worked")
    w.locator(".notice.done").wait_for()
    assert w.locator(".step.current").count() == 0

    status, detail = product.api("GET", f"/api/v1/sessions/{session_of(page)}/", token)
    assert status == 200 and detail["status"] == "resolved"
    assert [m["content"] for m in detail["messages"] if m["role"] == "user"][1:] == ["Δεν λειτούργησε", "Λειτούργησε"]
    assert page.problems == []


def test_keyboard_only_escalation_shows_the_ticket_number(new_page, product):
    page = new_page()
    token = sign_in(page, "carmen.ruiz", "Poros Unit A", language="es")
    page.locator("#demo-machine").focus()
    for _ in range(20):  # Tab from the last demo control to the widget's button, then Enter
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.tagName") == "AUTOBOSS-ASSISTANT":
            break
    page.keyboard.press("Enter")
    w = widget(page)
    w.locator(".panel").wait_for()
    page.keyboard.type("La bomba pierde presión")
    page.keyboard.press("Enter")
    w.locator(".step.current").wait_for(timeout=30_000)
    w.locator(".expert").focus()
    page.keyboard.press("Enter")
    dialog = w.locator("dialog.escalate")
    dialog.wait_for()
    assert serious_violations(page) == []
    page.keyboard.type("La presión baja a 120 bar.")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # Cancel → Send
    page.keyboard.press("Enter")
    banner = w.locator(".banner.ticket")
    banner.wait_for()
    number = TICKET.search(banner.inner_text()).group(0)
    assert "abierta" in banner.inner_text()
    assert number in w.locator(".ticket-note").inner_text()
    shot(page, "es-escalated")
    # The same ticket on the server: escalating again returns it, unchanged.
    status, body = product.api("POST", f"/api/v1/sessions/{session_of(page)}/escalate/", token, {})
    assert status == 200 and body["ticket"]["number"] == number and body["created"] is False
    # A reload keeps the ticket banner.
    page.reload()
    widget(page).locator(".banner.ticket").wait_for()
    assert number in widget(page).locator(".banner.ticket").inner_text()
    assert page.problems == []


def test_minimise_maximise_close_reload_and_another_device_keep_the_conversation(new_page, product, browser):
    page = new_page()
    sign_in(page, "lars.berg", "Kvitholmen Rig 1", language="en")
    w = open_widget(page)
    say(w, "What oil does the pump take?")
    shot(page, "en")
    messages = w.locator(".msg[data-id], .msg.user").all_inner_texts()
    w.locator("[data-action=maximise]").click()
    panel_box = w.locator(".panel").bounding_box()
    assert panel_box["width"] > 600
    w.locator("[data-action=minimise]").click()
    assert w.locator(".panel").is_hidden() and w.locator(".launcher").is_visible()
    w.locator(".launcher").click()
    assert w.locator(".panel").bounding_box()["width"] == panel_box["width"]  # still maximised
    w.locator("[data-action=close]").click()
    w.locator(".launcher").click()
    assert w.locator(".panel").bounding_box()["width"] < 600  # close restores the size
    assert w.locator(".msg[data-id], .msg.user").all_inner_texts() == messages

    page.reload()
    w = widget(page)
    w.locator(".msg.assistant[data-id]").first.wait_for()  # it was open: it reopens and resumes
    assert [t.split("\n")[0] for t in w.locator(".msg.user").all_inner_texts()] == ["What oil does the pump take?"]

    other = new_page()  # another device: no local state, same operator and machine
    sign_in(other, "lars.berg", "Kvitholmen Rig 1", language="en")
    w2 = open_widget(other)
    w2.locator(".msg.user").first.wait_for()
    assert session_of(other) == session_of(page)
    assert page.problems == [] and other.problems == []


def test_arabic_on_a_phone_is_right_to_left_with_codes_left_to_right(new_page, product):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, "ahmed.rashid", "Kvitholmen Rig 1")  # Ahmed's ABParts language is Arabic
    w = open_widget(page)
    root = w.locator(".abw")
    assert root.get_attribute("dir") == "rtl" and root.get_attribute("lang") == "ar"
    panel = w.locator(".panel").bounding_box()
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, PHONE["width"], PHONE["height"])
    say(w, "الضغط ينخفض في المضخة")
    user = w.locator(".msg.user").first.bounding_box()
    reply = w.locator(".msg.assistant[data-id]").first
    box = reply.bounding_box()
    # Right to left: the assistant starts at the right edge, the operator's bubble sits on the left.
    assert abs((box["x"] + box["width"]) - (PHONE["width"] - 12)) <= 2
    assert user["x"] <= 14 and user["x"] + user["width"] < PHONE["width"] - 20
    assert reply.locator(".text").evaluate("e => getComputedStyle(e).direction") == "rtl"
    codes = reply.locator(".text bdi").all_inner_texts()
    assert "P-204" in codes  # the alarm code of the manual stays left-to-right
    card = w.locator(".step.current")
    assert card.locator("h3").inner_text().startswith("الخطوة 1 من")
    for button in card.locator("button.outcome").all():
        size = button.bounding_box()
        assert size["height"] >= 48 and size["width"] >= 48  # touch targets
    first = card.locator("button.outcome").first.bounding_box()
    last_in_row = card.locator("button.outcome").nth(1).bounding_box()
    assert first["x"] > last_in_row["x"]  # the first answer is on the right
    assert serious_violations(page) == []
    shot(page, "ar-phone")
    answer(w, "worked")
    w.locator(".notice.done").wait_for()
    assert page.problems == []


def test_host_page_css_cannot_restyle_the_widget(new_page, product, browser):
    context = browser.new_context(bypass_csp=True)  # to add the hostile style inline
    page = context.new_page()
    try:
        page.goto(product.base + "/")
        page.add_style_tag(
            content="* { color: rgb(255, 0, 0) !important; font-family: Georgia, serif !important; "
            "font-size: 40px !important; background: rgb(255, 0, 255) !important; direction: rtl !important } "
            "button, section, textarea, div { display: none !important; border: 9px dashed red !important; "
            "width: 10px !important } .launcher, .panel { display: none !important }"
        )
        w = widget(page)
        launcher = w.locator(".launcher")
        launcher.wait_for()
        style = launcher.evaluate(
            "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.fontFamily, s.width, s.display] }"
        )
        assert style[0] != "rgb(255, 0, 255)" and "Georgia" not in style[1]
        assert style[2] == "64px" and style[3] != "none"
        launcher.click()
        w.locator(".panel").wait_for()
        text = w.locator(".title").evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).fontSize]")
        assert text[0] != "rgb(255, 0, 0)" and text[1] == "17px"
        assert w.locator(".abw").get_attribute("dir") == "ltr"
    finally:
        context.close()


def test_offline_messages_are_sent_once_when_the_connection_returns(new_page, product):
    page = new_page()
    token = sign_in(page, "eleni.support", "Hestneset Rig 2", language="en")
    w = open_widget(page)
    say(w, "How often is the engine oil changed?")
    session = session_of(page)
    page.context.set_offline(True)
    w.locator(".banner.offline").wait_for()
    for text in ("Is the filter under the cover?", "Which tool do I need?"):
        w.locator("#abw-input").fill(text)
        w.locator("#abw-input").press("Enter")
    assert w.locator(".msg.user.pending").count() == 2
    page.context.set_offline(False)
    wait_for(lambda: w.locator(".msg.assistant[data-id]").count() == 3, timeout=60, message="both replies")
    assert w.locator(".banner.offline").is_hidden() and w.locator(".msg.user.pending").count() == 0
    status, detail = product.api("GET", f"/api/v1/sessions/{session}/", token)
    assert status == 200
    users = [m["content"] for m in detail["messages"] if m["role"] == "user"]
    assert users == ["How often is the engine oil changed?", "Is the filter under the cover?", "Which tool do I need?"]


def test_thumbs_down_with_a_correction_is_stored(new_page, product):
    page = new_page()
    token = sign_in(page, "mehmet.yilmaz", "Poros Unit A", language="tr")
    w = open_widget(page)
    say(w, "Pompa yağı ne zaman değiştirilir?")
    reply = w.locator(".msg.assistant[data-id]").last
    reply.locator("button[data-rating=down]").click()
    reply.locator(".fb-form textarea").fill("Her 500 saatte bir.")
    reply.locator(".fb-form button[type=submit]").click()
    reply.locator(".notice", has_text="Geri bildiriminiz").wait_for()
    assert reply.locator("button[data-rating=down]").get_attribute("aria-pressed") == "true"
    message_id = int(reply.get_attribute("data-id"))
    stored = product.query(
        "import json; from analytics.models import MessageFeedback as F; "
        f"print(json.dumps(list(F.objects.filter(message_id={message_id}).values('rating', 'correction'))))"
    )
    assert stored == [{"rating": "down", "correction": "Her 500 saatte bir."}]
    assert token


def test_a_citation_opens_the_cited_page_fetched_with_the_bearer_header(new_page, product):
    page = new_page()
    # An operator no other test signs in as: a conversation resumed from another test would still be
    # loading its history while this one asks (the widget resumes the newest one on the machine).
    token = sign_in(page, "kari.nordmann", "Kvitholmen Rig 1", language="en")
    w = open_widget(page)
    say(w, "What oil does the pump take?")
    reply = w.locator(".msg.assistant[data-id]").last
    reply.locator(".cites summary").click()
    cite = reply.locator("button.cite").first
    assert re.search(r"^Open .+, page \d+$", cite.get_attribute("aria-label"))
    with page.expect_request(re.compile(r"/api/v1/knowledge/documents/\d+/pages/\d+/$")) as caught:
        cite.focus()
        page.keyboard.press("Enter")
    request = caught.value
    assert request.headers["authorization"] == f"Bearer {token}" and token not in request.url
    assert request.response().status == 200
    viewer = w.locator("dialog.viewer")
    viewer.wait_for()
    number = re.search(r"/pages/(\d+)/$", request.url).group(1)
    assert viewer.locator("h3").inner_text().endswith(f", page {number}")
    with urllib.request.urlopen(
        urllib.request.Request(request.url, headers={"Authorization": f"Bearer {token}"}), timeout=30
    ) as response:
        served = response.read().decode()
    # The whole page is shown as text, the cited section marked (a Markdown manual is one page).
    assert viewer.locator(".page").inner_text().split() == served.split()
    assert viewer.locator(".page mark").count() == 1
    assert serious_violations(page) == []
    page.keyboard.press("Escape")  # closes the page, not the panel
    viewer.wait_for(state="hidden")
    assert w.locator(".panel").is_visible()
    assert page.problems == []
