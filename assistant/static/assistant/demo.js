/* The demo page: pick a seed_demo operator (a demo token is issued for them) and a machine, and hand
   both to the widget through its host API, as ABParts does with its own token and machine page. */
(function () {
  "use strict";
  function $(id) { return document.getElementById(id); }
  function start() {
    var form = $("demo-form");
    if (!form || !window.AutoBossAssistant) return;
    var operator = $("demo-operator"), language = $("demo-language"), machine = $("demo-machine"), status = $("demo-status");
    var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    var token = sessionStorage.getItem("demo-token");
    operator.value = sessionStorage.getItem("demo-operator") || "";
    language.value = sessionStorage.getItem("demo-language") || "en";
    AutoBossAssistant.setLanguage(language.value);
    document.documentElement.lang = language.value;

    function rows(machines) {
      var body = $("fleet-rows");
      body.replaceChildren();
      machines.forEach(function (m) {
        var tr = document.createElement("tr");
        [m.name, m.model_type, m.serial_number, m.status, m.hours ? m.hours.value : "—"].forEach(function (v) {
          var td = document.createElement("td");
          td.textContent = v;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
    }
    function loadMachines() {
      return fetch(AutoBossAssistantApi() + "/api/v1/machines/", { headers: { Authorization: "Bearer " + token } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (machines) {
          machine.replaceChildren(new Option("—", ""));
          machines.forEach(function (m) { machine.appendChild(new Option(m.name + " (" + m.model_type + ")", m.id)); });
          machine.disabled = false;
          var stored = sessionStorage.getItem("demo-machine") || "";
          if (machines.some(function (m) { return m.id === stored; })) machine.value = stored;
          rows(machines);
          AutoBossAssistant.setMachine(machine.value);
        });
    }
    function AutoBossAssistantApi() {
      var src = document.querySelector('script[src*="assistant/widget.js"]').src;
      return new URL("../..", src).href.replace(/\/+$/, "");
    }
    function signIn() {
      var name = operator.value;
      sessionStorage.setItem("demo-operator", name);
      if (!name) { token = null; AutoBossAssistant.setToken(null); return; }
      status.textContent = "Signing in…";
      fetch("demo/operator-token/", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ username: name }),
      })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (body) {
          token = body.token;
          sessionStorage.setItem("demo-token", token);
          language.value = body.language;
          setLanguage();
          status.textContent = "Signed in as " + body.name + ".";
          return loadMachines().then(function () { AutoBossAssistant.setToken(token); });
        })
        .catch(function () { status.textContent = "Could not sign in (is seed_demo loaded?)."; });
    }
    function setLanguage() {
      sessionStorage.setItem("demo-language", language.value);
      document.documentElement.lang = language.value;
      AutoBossAssistant.setLanguage(language.value);
    }
    operator.addEventListener("change", signIn);
    language.addEventListener("change", setLanguage);
    machine.addEventListener("change", function () {
      sessionStorage.setItem("demo-machine", machine.value);
      AutoBossAssistant.setMachine(machine.value);
    });
    AutoBossAssistant.on("machine", function (d) {
      if (machine.value !== d.machineId) { machine.value = d.machineId; sessionStorage.setItem("demo-machine", d.machineId); }
    });
    if (token && operator.value) {
      loadMachines().then(function () { AutoBossAssistant.setToken(token); }, function () { sessionStorage.removeItem("demo-token"); });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
