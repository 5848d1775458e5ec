/* AutoBoss Assistant widget: the panel, imported by widget.js on first open (docs/widget.md).
 * Talks to the native API (docs/api.md). Server text is only ever inserted as text nodes. */
import { SPEECH, TEXT } from "./widget-i18n.js?v=2";

const STORE = "autoboss-assistant:session";
const OUTBOX = "autoboss-assistant:outbox";
const OPEN = "autoboss-assistant:open";
const SESSION_TTL_MS = 24 * 3600 * 1000; // a boat shift: a conversation older than a day starts afresh
const OUTCOMES = ["worked", "partially_worked", "didnt_work", "skipped", "unsafe"];
// Part numbers, fault codes and model names stay left-to-right inside Arabic text.
const CODE = /\b(?:[A-Z]{1,6}[-‑])+[A-Z0-9]*\d[A-Z0-9-]*\b|\bV\d+\.\d+[A-Z]?\b|\bISO VG \d+\b/g;

const read = (key) => {
  try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
};
const write = (key, value) => {
  try { value == null ? localStorage.removeItem(key) : localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ }
};

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null) el.append(c);
  return el;
}

/** Text with codes wrapped in <bdi> so they keep their order in right-to-left text. */
function rich(text) {
  const out = [];
  let last = 0;
  for (const m of String(text).matchAll(CODE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(h("bdi", { dir: "ltr", text: m[0] }));
    last = m.index + m[0].length;
  }
  out.push(String(text).slice(last));
  return out;
}

export function mount(host, state, emit) {
  const root = host.shadowRoot;
  const wrap = host.wrap;
  const launcher = host.launcher;
  let t = TEXT[state.language];
  const tr = (key, vars) => String(t[key] ?? TEXT.en[key]).replace(/\{(\w+)\}/g, (_, k) => (vars && k in vars ? vars[k] : ""));

  let session = null; // {id, machine, expires, ticket}
  let currentStep = null;
  let streaming = null; // AbortController of the running turn
  let unread = 0;
  let opened = false;
  let machines = [];
  let recognition = null;

  // --- the skeleton --------------------------------------------------------------------------
  const title = h("h2", { id: "abw-title", class: "title" });
  const bMin = h("button", { type: "button", class: "icon", "data-action": "minimise", onclick: () => api.close() });
  const bMax = h("button", { type: "button", class: "icon", "data-action": "maximise", "aria-pressed": "false", onclick: toggleMax });
  const bNew = h("button", { type: "button", class: "icon", "data-action": "new", onclick: () => api.reset(true) });
  const bClose = h("button", { type: "button", class: "icon", "data-action": "close", onclick: () => api.close(true) });
  bMin.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M5 18h14" /></svg>';
  bMax.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M5 5h14v14H5z" fill="none" /></svg>';
  bNew.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 5v14M5 12h14" /></svg>';
  bClose.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18" /></svg>';
  const machineLabel = h("label", { for: "abw-machine", class: "machine-label" });
  const machineSelect = h("select", { id: "abw-machine", onchange: () => host.ownerDocument.defaultView.AutoBossAssistant.setMachine(machineSelect.value) });
  const offlineBanner = h("p", { class: "banner offline", role: "status", hidden: true });
  const ticketBanner = h("p", { class: "banner ticket", role: "status", hidden: true });
  const log = h("div", { class: "log", role: "log", "aria-live": "polite", tabindex: "0" });
  const typing = h("p", { class: "typing", hidden: true }, h("span", { class: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), h("span", { class: "sr" }));
  const input = h("textarea", { id: "abw-input", rows: "1", onkeydown: (e) => { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); } } });
  const inputLabel = h("label", { for: "abw-input", class: "sr" });
  const bSend = h("button", { type: "submit", class: "send primary" });
  const bStop = h("button", { type: "button", class: "stop", hidden: true, onclick: () => streaming && streaming.abort() });
  const bMic = h("button", { type: "button", class: "icon mic", hidden: true, "aria-pressed": "false", onclick: toggleMic });
  bMic.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3a3 3 0 0 1 3 3v6a3 3 0 0 1-6 0V6a3 3 0 0 1 3-3zM5 11a7 7 0 0 0 14 0M12 18v3" fill="none" /></svg>';
  const form = h("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); submit(); } }, inputLabel, input, bMic, bStop, bSend);
  const bExpert = h("button", { type: "button", class: "expert", onclick: openEscalate });
  const escNotesLabel = h("label", { for: "abw-esc-notes" });
  const escNotes = h("textarea", { id: "abw-esc-notes", rows: "3" });
  const escTitle = h("h3", { id: "abw-esc-title" });
  const escSend = h("button", { type: "submit", class: "primary" });
  const escCancel = h("button", { type: "button", onclick: () => escDialog.close() });
  const escDialog = h("dialog", { class: "escalate", "aria-labelledby": "abw-esc-title" },
    h("form", { method: "dialog", onsubmit: (e) => { e.preventDefault(); escalate(); } },
      escTitle, escNotesLabel, escNotes, h("div", { class: "row" }, escCancel, escSend)));
  // The cited page: text in this dialog; a PDF page in a new tab (a host's CSP may forbid frames and blob images).
  const viewTitle = h("h3", { id: "abw-view-title" });
  const viewBody = h("div", { class: "page", tabindex: "0" });
  const viewClose = h("button", { type: "button", class: "icon", "data-action": "close-page", onclick: () => viewer.close() });
  viewClose.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18" /></svg>';
  const viewer = h("dialog", { class: "viewer", "aria-labelledby": "abw-view-title" },
    h("header", {}, viewTitle, viewClose), viewBody);
  const panel = h("section", { class: "panel", role: "dialog", "aria-labelledby": "abw-title", hidden: true,
    onkeydown: (e) => { if (e.key === "Escape" && !panel.querySelector("dialog[open]")) api.close(); } },
    h("header", {}, title, bNew, bMin, bMax, bClose),
    h("div", { class: "machine" }, machineLabel, machineSelect),
    offlineBanner, ticketBanner, log, typing, form, bExpert, escDialog, viewer);
  wrap.appendChild(panel);

  const SpeechRecognition = window.SpeechRecognition || window.webkitSpeechRecognition;
  bMic.hidden = !SpeechRecognition;

  function relabel() {
    t = TEXT[state.language];
    wrap.setAttribute("dir", state.language === "ar" ? "rtl" : "ltr");
    wrap.setAttribute("lang", state.language);
    title.textContent = t.title;
    for (const [b, key] of [[bMin, "minimise"], [bNew, "newChat"], [bClose, "close"], [bMic, "mic"], [viewClose, "close"]]) {
      b.setAttribute("aria-label", t[key]);
      b.title = t[key];
    }
    const maxed = panel.classList.contains("max");
    bMax.setAttribute("aria-label", maxed ? t.restore : t.maximise);
    bMax.title = bMax.getAttribute("aria-label");
    machineLabel.textContent = t.machine;
    typing.lastChild.textContent = t.typing;
    inputLabel.textContent = t.input;
    input.placeholder = t.placeholder;
    bSend.textContent = t.send;
    bStop.textContent = t.stop;
    bExpert.textContent = t.expert;
    escTitle.textContent = t.expert;
    escNotesLabel.textContent = t.escNotes;
    escSend.textContent = t.escSend;
    escCancel.textContent = t.cancel;
    offlineBanner.textContent = t.offline;
    log.setAttribute("aria-label", t.log);
    renderMachines();
    renderTicket();
  }

  // --- HTTP ----------------------------------------------------------------------------------
  async function token() {
    const value = typeof state.token === "function" ? await state.token() : state.token;
    return value ? String(value) : "";
  }
  async function call(method, path, body, extra) {
    const bearer = await token();
    if (!bearer) throw Object.assign(new Error("no token"), { status: 401, signin: true });
    const response = await fetch(state.api + path, {
      method,
      headers: Object.assign({ Authorization: "Bearer " + bearer, Accept: "application/json" },
        body ? { "Content-Type": "application/json" } : {}, (extra && extra.headers) || {}),
      body: body ? JSON.stringify(body) : undefined,
      signal: extra && extra.signal,
      credentials: "omit", // the token is the identity; no cookies of the host travel with us
    });
    if (!response.ok) {
      let detail = null;
      try { detail = await response.json(); } catch (e) { /* not JSON */ }
      const error = new Error((detail && detail.error && detail.error.message) || t.error);
      error.status = response.status;
      if (response.status === 401) error.signin = true;
      throw error;
    }
    return response;
  }
  const json = async (method, path, body) => (await call(method, path, body)).json();

  // --- conversation state ----------------------------------------------------------------------
  function saveSession() {
    if (session) session.expires = Date.now() + SESSION_TTL_MS;
    write(STORE, session);
  }
  let resuming = Promise.resolve(); // the resume of the conversation in progress, if any
  async function ensureSession() {
    if (session) return session.id;
    const created = await json("POST", "/api/v1/sessions/", { machine_id: state.machine || null, language: state.language });
    session = { id: created.id, machine: state.machine, ticket: null };
    saveSession();
    emit("session", { sessionId: session.id, resumed: false });
    return session.id;
  }
  /** The operator's newest active conversation about this machine from the server (another device). */
  async function latestActive() {
    const list = await json("GET", "/api/v1/sessions/");
    const since = Date.now() - SESSION_TTL_MS;
    const found = list.find((s) => s.status === "active" && (s.machine_id || "") === (state.machine || "") && Date.parse(s.updated_at) > since);
    return found ? { id: found.id, machine: state.machine, ticket: null } : null;
  }
  async function resume() {
    let stored = read(STORE);
    if (!stored || !stored.id || stored.expires < Date.now() || (state.machine && stored.machine && stored.machine !== state.machine)) {
      write(STORE, null);
      try { stored = await latestActive(); } catch (e) { stored = null; }
      if (!stored) { welcome(); return; }
    }
    try {
      const detail = await json("GET", "/api/v1/sessions/" + stored.id + "/");
      session = stored;
      saveSession();
      log.replaceChildren();
      currentStep = detail.current_step && detail.current_step.requires_feedback ? detail.current_step : null;
      if (!detail.messages.length) welcome();
      detail.messages.forEach((m) => log.append(renderMessage(m)));
      markCurrentStep();
      renderTicket();
      scrollDown();
      emit("session", { sessionId: session.id, resumed: true });
    } catch (e) {
      if (e.status === 404) { write(STORE, null); session = null; welcome(); } // another user's, or gone
      else showError(e);
    }
  }
  function welcome() {
    log.replaceChildren(h("div", { class: "msg assistant welcome" }, h("p", { class: "text", text: t.welcome })));
  }

  // --- rendering -----------------------------------------------------------------------------
  function timeOf(iso) {
    const date = iso ? new Date(iso) : new Date();
    return h("time", { datetime: date.toISOString(), text: new Intl.DateTimeFormat(state.language, { hour: "2-digit", minute: "2-digit" }).format(date) });
  }
  function renderMessage(m) {
    const mine = m.role === "user";
    const el = h("article", { class: "msg " + (mine ? "user" : "assistant"), "data-id": m.id || "", lang: m.language || null, "aria-label": mine ? t.you : t.assistant });
    el.append(h("p", { class: "text" }, rich(m.content || "")));
    if (!mine) fillAssistant(el, m);
    else el.append(h("footer", {}, timeOf(m.created_at)));
    return el;
  }
  function fillAssistant(el, m) {
    for (const old of el.querySelectorAll(".step, .cites, footer, .fb-form")) old.remove();
    if (m.step) el.append(renderStep(m.step));
    if (m.citations && m.citations.length) {
      el.append(h("details", { class: "cites" }, h("summary", { text: t.sources + " (" + m.citations.length + ")" }),
        h("ul", {}, m.citations.map((c) => h("li", {}, citeButton(c.document_id, c.document_title, c.page_start, c.section))))));
    }
    const footer = h("footer", {}, timeOf(m.created_at));
    if (m.id) {
      const up = h("button", { type: "button", class: "icon thumb", "data-rating": "up", "aria-pressed": "false", "aria-label": t.up, title: t.up, onclick: () => thumb(el, m, "up") });
      const down = h("button", { type: "button", class: "icon thumb", "data-rating": "down", "aria-pressed": "false", "aria-label": t.down, title: t.down, onclick: () => thumb(el, m, "down") });
      up.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M7 10v10H4V10zm3 10h7.5l2.5-7V10h-6l1-5-2-1-5 6v10z" /></svg>';
      down.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M7 14V4H4v10zm3-10h7.5l2.5 7v3h-6l1 5-2 1-5-6V4z" /></svg>';
      footer.append(up, down);
    }
    if (canSpeak()) {
      const speak = h("button", { type: "button", class: "icon", "data-action": "read", "aria-label": t.read, title: t.read, onclick: () => readAloud(m) });
      speak.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 9h4l5-4v14l-5-4H4zM16 8a5 5 0 0 1 0 8" fill="none" /></svg>';
      footer.append(speak);
    }
    el.append(footer);
  }
  function renderStep(step) {
    const card = h("section", { class: "step", "data-step": step.id, "aria-label": tr("step", { n: step.number, t: step.total }) },
      h("h3", {}, tr("step", { n: step.number, t: step.total }), " · ", h("bdi", { text: step.procedure_title })),
      h("p", { class: "instruction" }, rich(step.instruction)));
    for (const w of step.safety_warnings || []) card.append(h("p", { class: "warning", role: "note" }, h("strong", { text: t.warning + ": " }), rich(w)));
    for (const x of step.expected_outcomes || []) card.append(h("p", { class: "expected" }, h("strong", { text: t.expected + ": " }), rich(x)));
    const facts = [];
    if (step.estimated_minutes) facts.push(tr("time", { n: step.estimated_minutes }));
    if (step.success_rate > 0) facts.push(tr("rate", { n: Math.round(step.success_rate * 100) }));
    if (facts.length) card.append(h("p", { class: "facts", text: facts.join(" · ") }));
    if (step.source) card.append(h("p", { class: "source" }, t.source + ": ", step.source.page ? citeButton(step.source.document_id, step.source.document_title, step.source.page) : h("bdi", { text: step.source.document_title })));
    const group = h("div", { class: "outcomes", role: "group", "aria-label": t.didItWork });
    for (const outcome of OUTCOMES) {
      group.append(h("button", { type: "button", class: "outcome " + outcome, "data-outcome": outcome, "aria-pressed": step.outcome === outcome ? "true" : "false", disabled: true, text: t[outcome], onclick: () => answerStep(step, outcome) }));
    }
    card.append(group);
    return card;
  }
  function citeButton(id, doc, p, section) {
    const label = [h("bdi", { text: doc }), ", " + tr("page", { p })];
    if (!id || !p) return label;
    return h("button", { type: "button", class: "cite", "aria-label": tr("openPage", { doc, p }), onclick: () => openPage(id, doc, p, section) }, label);
  }
  /** Fetch a cited page with the bearer header (never a token in a URL) and show it. */
  async function openPage(id, doc, p, section) {
    let response;
    try {
      response = await call("GET", "/api/v1/knowledge/documents/" + id + "/pages/" + p + "/", null, { headers: { Accept: "application/pdf, text/plain, application/json" } });
    } catch (e) { return showError(e); }
    viewTitle.replaceChildren(h("bdi", { text: doc }), ", " + tr("page", { p }));
    viewBody.replaceChildren();
    if ((response.headers.get("Content-Type") || "").startsWith("text/")) {
      const text = await response.text();
      // A Markdown manual is one long page: mark the cited section's heading (the last part of
      // its path "3. Maintenance › 3.1 Daily checks") and scroll to it.
      const head = (section || "").split(" \u203a ").pop().trim();
      let at = -1;
      let pos = 0;
      for (const line of head ? text.split("\n") : []) {
        if (line.replace(/^[#\s]+/, "").trim() === head) { at = pos + line.indexOf(head); break; }
        pos += line.length + 1;
      }
      const mark = at >= 0 ? h("mark", { text: head }) : null;
      viewBody.append(at >= 0 ? text.slice(0, at) : text, mark || "", at >= 0 ? text.slice(at + head.length) : "");
      viewer.showModal();
      viewBody.scrollTop = mark ? mark.offsetTop - viewBody.offsetTop : 0;
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    setTimeout(() => URL.revokeObjectURL(url), 600000);
    // After the fetch the click may no longer count as one for the popup blocker: then a link does.
    if (!window.open(url, "_blank")) {
      viewBody.append(h("a", { href: url, target: "_blank", class: "open-pdf", text: t.openPdf }));
      viewer.showModal();
    }
  }
  /** Only the newest card of the step waiting for an answer has live buttons. */
  function markCurrentStep() {
    const cards = [...log.querySelectorAll(".step")];
    let live = null;
    if (currentStep) live = cards.filter((c) => c.dataset.step === String(currentStep.id)).pop() || null;
    for (const card of cards) {
      card.classList.toggle("current", card === live);
      for (const b of card.querySelectorAll("button.outcome")) b.disabled = card !== live || !!streaming;
    }
  }
  function renderTicket() {
    const ticket = session && session.ticket;
    ticketBanner.hidden = !ticket;
    if (ticket) {
      ticketBanner.replaceChildren(...rich(tr("ticket", { n: ticket.number, s: t[ticket.status] || ticket.status })));
    }
  }
  function renderMachines() {
    const options = [h("option", { value: "", text: t.noMachine })];
    for (const m of machines) options.push(h("option", { value: m.id, text: m.name + " · " + m.model_type + " · " + m.serial_number }));
    machineSelect.replaceChildren(...options);
    machineSelect.value = state.machine || "";
    machineSelect.parentElement.hidden = !machines.length;
  }
  function scrollDown() { log.scrollTop = log.scrollHeight; }
  function showError(e) {
    if (e && e.signin) {
      log.append(h("p", { class: "notice", role: "alert", text: t.signin }));
    } else {
      log.append(h("p", { class: "notice error", role: "alert", text: (e && e.message) || t.error }));
      emit("error", { message: (e && e.message) || t.error });
    }
    scrollDown();
  }

  // --- turns (SSE) ---------------------------------------------------------------------------
  function setBusy(busy) {
    bStop.hidden = !busy;
    bSend.hidden = busy;
    typing.hidden = !busy;
    markCurrentStep();
  }
  /** POST a turn and stream the reply into a new bubble; a dropped stream is retried with the same id. */
  async function turn(path, body) {
    const bubble = h("article", { class: "msg assistant streaming", "aria-label": t.assistant, "aria-busy": "true" }, h("p", { class: "text" }));
    const text = bubble.firstChild;
    let message = null;
    for (let attempt = 0; attempt < 3 && !message; attempt++) {
      streaming = new AbortController();
      setBusy(true);
      let received = "";
      try {
        const response = await call("POST", path, body, { headers: { Accept: "text/event-stream" }, signal: streaming.signal });
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const chunk = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const event = /^event: (.*)$/m.exec(chunk);
            const data = /^data: (.*)$/m.exec(chunk);
            const payload = data ? JSON.parse(data[1]) : {};
            const name = event ? event[1] : "message";
            if (name === "token") {
              if (!bubble.isConnected) { log.append(bubble); typing.hidden = true; }
              received += payload.text;
              text.replaceChildren(...rich(received));
              scrollDown();
            } else if (name === "reset") {
              received = "";
              text.textContent = "";
            } else if (name === "done") {
              message = payload.message;
            } else if (name === "error") {
              throw Object.assign(new Error(payload.message || t.error), { status: 500 });
            }
          }
        }
        if (!message) throw new TypeError("stream ended before done");
      } catch (e) {
        if (e.name === "AbortError") {
          bubble.removeAttribute("aria-busy");
          if (!bubble.isConnected) log.append(bubble);
          bubble.append(h("p", { class: "notice", text: t.stopped }));
          streaming = null;
          setBusy(false);
          return null;
        }
        if (!(e instanceof TypeError) || attempt === 2 || !navigator.onLine) {
          streaming = null;
          setBusy(false);
          bubble.remove();
          throw e;
        }
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
    streaming = null;
    bubble.classList.remove("streaming");
    bubble.removeAttribute("aria-busy");
    bubble.dataset.id = message.id;
    bubble.lang = message.language || "";
    text.replaceChildren(...rich(message.content));
    fillAssistant(bubble, message);
    if (!bubble.isConnected) log.append(bubble);
    currentStep = message.step && message.step.requires_feedback ? message.step : null;
    setBusy(false);
    scrollDown();
    if (panel.hidden) { unread += 1; host.setUnread(unread); }
    emit("message", { message });
    if (message.step) emit("step", { step: message.step });
    return message;
  }

  function clientId() {
    return "w-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }
  async function submit() {
    const content = input.value.trim();
    if (!content || streaming) return;
    input.value = "";
    await send({ content, cid: clientId() });
  }
  async function send(item) {
    // A message typed while the conversation is still being resumed waits for it: otherwise the
    // resumed history (or the welcome) replaces its bubble, and it would open a second conversation.
    await resuming;
    const bubble = renderMessage({ role: "user", content: item.content });
    log.append(bubble);
    scrollDown();
    if (!navigator.onLine) return queue(item, bubble);
    try {
      const id = await ensureSession();
      await turn("/api/v1/sessions/" + id + "/messages/", { content: item.content, client_message_id: item.cid, language: state.language });
    } catch (e) {
      if (e instanceof TypeError) return queue(item, bubble); // the network, not the server
      showError(e);
    }
  }
  function queue(item, bubble) {
    const box = read(OUTBOX) || [];
    if (!box.some((x) => x.cid === item.cid)) box.push(item);
    write(OUTBOX, box);
    bubble.classList.add("pending");
    bubble.dataset.cid = item.cid;
    bubble.append(h("p", { class: "notice", text: t.pending }));
  }
  /** Send what was written offline, in order, once each (the server dedupes on client_message_id). */
  async function flush() {
    let box = read(OUTBOX) || [];
    while (box.length && navigator.onLine && !streaming) {
      const item = box[0];
      const bubble = log.querySelector('[data-cid="' + item.cid + '"]');
      try {
        const id = await ensureSession();
        if (bubble) { bubble.classList.remove("pending"); bubble.querySelector(".notice")?.remove(); }
        await turn("/api/v1/sessions/" + id + "/messages/", { content: item.content, client_message_id: item.cid, language: state.language });
      } catch (e) {
        if (e instanceof TypeError) return;
        showError(e);
      }
      box = (read(OUTBOX) || []).filter((x) => x.cid !== item.cid);
      write(OUTBOX, box);
    }
  }
  function online() {
    offlineBanner.hidden = navigator.onLine;
    if (navigator.onLine) flush();
  }
  window.addEventListener("online", online);
  window.addEventListener("offline", online);

  async function answerStep(step, outcome) {
    if (streaming || !session) return;
    const card = log.querySelector('.step.current');
    if (card) for (const b of card.querySelectorAll("button.outcome")) b.setAttribute("aria-pressed", String(b.dataset.outcome === outcome));
    log.append(renderMessage({ role: "user", content: t[outcome] }));
    currentStep = null;
    markCurrentStep();
    try {
      const reply = await turn("/api/v1/sessions/" + session.id + "/steps/" + step.id + "/feedback/", { outcome });
      if (reply && outcome === "worked") log.append(h("p", { class: "notice done", role: "status", text: t.done }));
      scrollDown();
      (log.querySelector(".step.current button.outcome") || input).focus();
    } catch (e) {
      currentStep = step;
      markCurrentStep();
      showError(e);
    }
  }

  // --- feedback, escalation --------------------------------------------------------------------
  async function thumb(el, m, rating) {
    for (const b of el.querySelectorAll("button.thumb")) b.setAttribute("aria-pressed", String(b.dataset.rating === rating));
    el.querySelector(".fb-form")?.remove();
    try {
      await json("POST", "/api/v1/messages/" + m.id + "/feedback/", { rating });
    } catch (e) { return showError(e); }
    if (rating === "down") {
      const id = "abw-fb-" + m.id;
      const area = h("textarea", { id, rows: "2" });
      const fb = h("form", { class: "fb-form", onsubmit: async (e) => {
        e.preventDefault();
        try {
          await json("POST", "/api/v1/messages/" + m.id + "/feedback/", { rating: "down", correction: area.value.trim() });
          fb.replaceWith(h("p", { class: "notice", role: "status", text: t.thanks }));
        } catch (err) { showError(err); }
      } }, h("label", { for: id, text: t.correction }), area, h("button", { type: "submit", class: "primary", text: t.feedbackSend }));
      el.append(fb);
      area.focus();
    } else {
      el.append(h("p", { class: "notice fb-form", role: "status", text: t.thanks }));
    }
  }
  function openEscalate() {
    escNotes.value = "";
    escDialog.showModal();
    escNotes.focus();
  }
  async function escalate() {
    escSend.disabled = true;
    try {
      const id = await ensureSession();
      const body = await json("POST", "/api/v1/sessions/" + id + "/escalate/", { reason: "user_request", notes: escNotes.value.trim() });
      escDialog.close();
      session.ticket = { number: body.ticket.number, status: body.ticket.status };
      saveSession();
      renderTicket();
      log.append(h("p", { class: "notice ticket-note", role: "status" }, rich(body.message)));
      scrollDown();
      emit("escalated", { ticket: body.ticket, message: body.message });
      bExpert.focus();
    } catch (e) {
      escDialog.close();
      showError(e);
    } finally {
      escSend.disabled = false;
    }
  }

  // --- voice -----------------------------------------------------------------------------------
  function canSpeak() {
    const synth = window.speechSynthesis;
    if (!synth) return false;
    const prefix = SPEECH[state.language].slice(0, 2);
    return synth.getVoices().some((v) => v.lang.replace("_", "-").toLowerCase().startsWith(prefix === "nb" ? "n" : prefix));
  }
  function readAloud(m) {
    const utterance = new SpeechSynthesisUtterance(m.content);
    utterance.lang = SPEECH[m.language] || SPEECH[state.language];
    speechSynthesis.cancel();
    speechSynthesis.speak(utterance);
  }
  function toggleMic() {
    if (recognition) { recognition.stop(); return; }
    recognition = new SpeechRecognition();
    recognition.lang = SPEECH[state.language];
    recognition.interimResults = true;
    recognition.onresult = (e) => { input.value = [...e.results].map((r) => r[0].transcript).join(" "); };
    recognition.onend = () => { recognition = null; bMic.setAttribute("aria-pressed", "false"); bMic.setAttribute("aria-label", t.mic); };
    bMic.setAttribute("aria-pressed", "true");
    bMic.setAttribute("aria-label", t.micStop);
    recognition.start();
  }

  function toggleMax() {
    const maxed = panel.classList.toggle("max");
    bMax.setAttribute("aria-pressed", String(maxed));
    relabel();
  }
  async function loadMachines() {
    try {
      machines = await json("GET", "/api/v1/machines/");
    } catch (e) { machines = []; }
    renderMachines();
  }

  // --- the object widget.js talks to -----------------------------------------------------------
  const api = {
    open() {
      panel.hidden = false;
      launcher.hidden = true;
      launcher.setAttribute("aria-expanded", "true");
      unread = 0;
      host.setUnread(0);
      write(OPEN, "1");
      if (!opened) {
        opened = true;
        relabel();
        offlineBanner.hidden = navigator.onLine;
        api.tokenChanged();
      }
      input.focus();
      emit("open", {});
    },
    close(full) {
      if (full) { panel.classList.remove("max"); bMax.setAttribute("aria-pressed", "false"); relabel(); }
      panel.hidden = true;
      launcher.hidden = false;
      launcher.setAttribute("aria-expanded", "false");
      write(OPEN, null);
      launcher.focus();
      emit("close", {});
    },
    async tokenChanged() {
      if (!opened) return;
      if (!(await token())) { log.replaceChildren(); showError({ signin: true }); input.disabled = bExpert.disabled = true; return; }
      input.disabled = bExpert.disabled = false;
      session = null;
      currentStep = null;
      resuming = Promise.all([resume(), loadMachines()]);
      await resuming;
      flush();
    },
    machineChanged() {
      machineSelect.value = state.machine || "";
      if (session && session.machine !== state.machine) api.reset();
    },
    languageChanged() { relabel(); if (!session) welcome(); },
    reset(focus) {
      if (streaming) streaming.abort();
      session = null;
      currentStep = null;
      write(STORE, null);
      welcome();
      renderTicket();
      if (focus) input.focus();
    },
  };
  return api;
}
