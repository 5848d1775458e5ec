/* AutoBoss Assistant widget: the loader (docs/widget.md).
 * <script src=".../static/assistant/widget.js" data-api="https://host/ai" data-language="el" defer></script>
 * This file only draws the floating button; the panel (widget-panel.js) is imported on first open.
 * No framework, no build step. The token lives in memory and goes only into the Authorization header. */
(function () {
  "use strict";
  if (window.AutoBossAssistant) return;
  var VERSION = "2";
  var script = document.currentScript;
  var base = new URL(".", script ? script.src : location.href).href;
  var data = (script && script.dataset) || {};
  var LABEL = {
    en: "Open the AutoBoss assistant", el: "Άνοιγμα του βοηθού AutoBoss", ar: "افتح مساعد AutoBoss",
    es: "Abrir el asistente AutoBoss", tr: "AutoBoss asistanını aç", nb: "Åpne AutoBoss-assistenten",
  };
  function lang(code) {
    code = String(code || "").toLowerCase().replace("_", "-").split("-")[0];
    if (code === "no" || code === "nn") code = "nb";
    return LABEL[code] ? code : "en";
  }
  var state = {
    api: String(data.api || new URL("../..", base).href).replace(/\/+$/, ""),
    language: lang(data.language || document.documentElement.lang || navigator.language),
    token: data.token || null,
    machine: data.machine || "",
    listeners: {},
  };
  var panel = null;
  var loading = null;

  function emit(name, detail) {
    (state.listeners[name] || []).slice().forEach(function (fn) {
      try { fn(detail); } catch (e) { setTimeout(function () { throw e; }); }
    });
    window.dispatchEvent(new CustomEvent("autoboss:" + name, { detail: detail }));
  }

  class AutoBossElement extends HTMLElement {
    connectedCallback() {
      if (this.shadowRoot) return;
      var root = this.attachShadow({ mode: "open" });
      // A <link> (not inline CSS) keeps the widget working under a strict style-src CSP.
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = base + "widget.css?v=" + VERSION;
      var wrap = document.createElement("div");
      wrap.className = "abw";
      wrap.setAttribute("part", "root");
      var button = document.createElement("button");
      button.className = "launcher";
      button.type = "button";
      button.setAttribute("aria-expanded", "false");
      button.innerHTML =
        '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false">' +
        '<path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>' +
        '<span class="badge" hidden></span>';
      button.addEventListener("click", function () { api.open(); });
      wrap.appendChild(button);
      root.append(css, wrap);
      this.wrap = wrap;
      this.launcher = button;
      this.relabel();
    }
    relabel() {
      if (!this.launcher) return;
      this.launcher.setAttribute("aria-label", LABEL[state.language]);
      this.wrap.setAttribute("dir", state.language === "ar" ? "rtl" : "ltr");
      this.wrap.setAttribute("lang", state.language);
    }
    setUnread(count) {
      var badge = this.launcher.querySelector(".badge");
      badge.hidden = !count;
      badge.textContent = count > 9 ? "9+" : String(count || "");
    }
  }
  customElements.define("autoboss-assistant", AutoBossElement);

  function element() {
    var el = document.querySelector("autoboss-assistant");
    if (!el) {
      el = document.createElement("autoboss-assistant");
      document.body.appendChild(el);
    }
    return el;
  }

  function load() {
    if (!loading) {
      loading = import(base + "widget-panel.js?v=" + VERSION).then(function (module) {
        panel = module.mount(element(), state, emit);
        return panel;
      });
    }
    return loading;
  }

  var api = {
    version: VERSION,
    /** Open the panel (loads its code the first time). Returns a promise. */
    open: function () { return load().then(function (p) { p.open(); }); },
    close: function () { if (panel) panel.close(); },
    /** A bearer token, or a function returning one (or a promise of one), asked before each call. */
    setToken: function (tokenOrFn) {
      state.token = tokenOrFn;
      if (panel) panel.tokenChanged();
    },
    setMachine: function (machineId) {
      state.machine = machineId ? String(machineId) : "";
      if (panel) panel.machineChanged();
      emit("machine", { machineId: state.machine });
    },
    setLanguage: function (code) {
      state.language = lang(code);
      element().relabel();
      if (panel) panel.languageChanged();
    },
    /** Forget the stored conversation and start a new one on the next message. */
    newConversation: function () { return load().then(function (p) { p.reset(); }); },
    /** Events: open, close, session, message, step, escalated, machine, error. */
    on: function (name, fn) {
      (state.listeners[name] = state.listeners[name] || []).push(fn);
      return function () { state.listeners[name] = state.listeners[name].filter(function (f) { return f !== fn; }); };
    },
  };
  window.AutoBossAssistant = api;

  function start() {
    element();
    emit("ready", { version: VERSION });
    // A conversation resumed after a reload reopens the panel code only when the user had it open.
    try {
      if (localStorage.getItem("autoboss-assistant:open")) api.open();
    } catch (e) { /* storage blocked: start closed */ }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
