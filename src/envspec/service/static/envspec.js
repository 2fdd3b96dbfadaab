// The deploy page: a little plain JavaScript over the deploy-handler API, no build step.
// The token (standalone service) is kept in sessionStorage; behind JupyterHub the hub's
// cookie signs the requests in and no token is asked for.
"use strict";

(function () {
  const base = document.body.dataset.base || "/";
  const TOKEN_KEY = "envspec-token";
  const TERMINAL = new Set(["ready", "failed", "stopped"]);
  const $ = (id) => document.getElementById(id);
  let streaming = null; // the AbortController of the log being shown

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  }

  function headers(extra) {
    const h = Object.assign({ Accept: "application/json" }, extra || {});
    if (token()) h.Authorization = "Bearer " + token();
    return h;
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
      this.code = problem && problem.code;
    }
  }

  async function api(method, path, body) {
    const init = { method: method, headers: headers(), credentials: "same-origin" };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    const response = await fetch(base + path, init);
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  function say(id, text) {
    $(id).textContent = text || "";
  }

  function signedOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("signin").hidden = false;
    say("who", "");
    say("signin-error", message || "");
    $("token").focus();
  }

  // ------------------------------------------------------------------ my deployments

  function describe(d) {
    const s = d.source || {};
    if (s.type === "git") {
      return s.url + (s.ref ? " @ " + s.ref : "") + (s.path ? " · " + s.path : "");
    }
    return s.name || "uploaded notebook";
  }

  function button(label, cls, onclick, description) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (cls) b.className = cls;
    if (description) b.setAttribute("aria-label", description);
    b.addEventListener("click", onclick);
    return b;
  }

  async function refresh() {
    let data;
    try {
      data = await api("GET", "api/v1/deployments");
    } catch (e) {
      if (e.status === 401) return signedOut(token() ? "This token is not valid." : "");
      return say("mine-message", "Could not load your deployments: " + e.message);
    }
    $("signin").hidden = true;
    if (!$("who").textContent) say("who", "Signed in.");
    const list = $("deployments");
    list.replaceChildren();
    const items = (data.items || []).slice().sort((a, b) => (a.created < b.created ? 1 : -1));
    $("mine-empty").hidden = items.length > 0;
    for (const d of items) {
      const li = document.createElement("li");
      li.dataset.id = d.id;
      const what = document.createElement("div");
      what.className = "what";
      const name = document.createElement("span");
      name.textContent = describe(d);
      const status = document.createElement("span");
      status.className = "status " + d.status;
      status.textContent = d.status;
      what.append(name, status);
      if (d.error) {
        const err = document.createElement("div");
        err.className = "hint";
        err.textContent = d.error.code + ": " + d.error.detail;
        what.append(err);
      }
      const actions = document.createElement("div");
      actions.className = "actions";
      const label = describe(d);
      if (d.status === "ready" && d.url) {
        const open = document.createElement("a");
        open.href = d.url;
        open.textContent = "Open";
        open.className = "open";
        open.setAttribute("aria-label", "Open " + label);
        actions.append(open);
      }
      actions.append(button("Log", "secondary", () => showLog(d, false), "Build log of " + label));
      if (d.status === "ready") {
        actions.append(button("Push back", "secondary", () => push(d), "Push back " + label));
      }
      if (d.status !== "stopped") {
        actions.append(button("Stop", "danger", () => stop(d), "Stop " + label));
      }
      li.append(what, actions);
      list.append(li);
    }
    say("mine-message", "");
  }

  async function stop(d) {
    try {
      await api("DELETE", "api/v1/deployments/" + encodeURIComponent(d.id));
      say("mine-message", "Stopped " + describe(d) + ".");
    } catch (e) {
      say("mine-message", "Could not stop it: " + e.message);
    }
    refresh();
  }

  async function push(d) {
    say("mine-message", "Pushing " + describe(d) + " …");
    try {
      const r = await api("POST", "api/v1/deployments/" + encodeURIComponent(d.id) + "/push", {});
      say("mine-message", "Pushed to the branch " + r.branch + " of " + r.remote + " (commit " + String(r.commit).slice(0, 12) + ").");
    } catch (e) {
      say("mine-message", "Could not push: " + e.message);
    }
  }

  // ------------------------------------------------------------------ the build log

  function setPhase(d) {
    const text = {
      queued: "Waiting in the queue …",
      fetching: "Fetching the notebook …",
      building: "Building the environment …",
      launching: "Starting the notebook server …",
      ready: "Ready.",
      failed: "Failed" + (d.error ? ": " + d.error.detail : "."),
      stopped: "Stopped.",
    }[d.status] || d.status;
    say("phase", text);
    $("phase").className = "phase " + d.status;
  }

  async function showLog(d, openWhenReady) {
    if (streaming) streaming.abort();
    const controller = new AbortController();
    streaming = controller;
    $("progress").hidden = false;
    $("ready").hidden = true;
    $("log").textContent = "";
    setPhase(d);
    $("progress").scrollIntoView({ block: "nearest" });
    let last = d;
    try {
      const response = await fetch(base + "api/v1/deployments/" + encodeURIComponent(d.id) + "/log", {
        headers: headers({ Accept: "text/event-stream" }),
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (!response.ok) throw new ApiError(response.status, null);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
          }
          if (!data.length) continue;
          const payload = JSON.parse(data.join("\n"));
          if (event === "log") {
            const log = $("log");
            const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
            log.append(document.createTextNode("[" + payload.phase + "] " + payload.line + "\n"));
            if (atEnd) log.scrollTop = log.scrollHeight;
          } else if (event === "status") {
            last = payload;
            setPhase(payload);
          }
        }
      }
    } catch (e) {
      if (e.name === "AbortError") return;
      say("phase", "The log stopped: " + e.message);
    }
    if (streaming === controller) streaming = null;
    if (last.status === "ready" && last.url) {
      const link = $("open-link");
      link.href = last.url;
      $("ready").hidden = false;
      link.focus();
      if (openWhenReady) window.location.assign(last.url);
    }
    refresh();
  }

  // ------------------------------------------------------------------ the form

  function kind() {
    return document.querySelector('input[name="kind"]:checked').value;
  }

  async function source() {
    if (kind() === "upload") {
      const file = $("notebook").files[0];
      if (!file) throw new Error("Choose a notebook file.");
      let notebook;
      try {
        notebook = JSON.parse(await file.text());
      } catch (e) {
        throw new Error(file.name + " is not a notebook (not JSON).");
      }
      return { type: "notebook", name: file.name, notebook: notebook };
    }
    const url = $("repo").value.trim();
    const path = $("path").value.trim();
    if (!url) {
      $("repo").focus();
      throw new Error("Give the repository's URL.");
    }
    if (!path.endsWith(".ipynb")) {
      $("path").focus();
      throw new Error("Give the path of a notebook (ending in .ipynb).");
    }
    const s = { type: "git", url: url, path: path };
    const ref = $("ref").value.trim();
    if (ref) s.ref = ref;
    return s;
  }

  async function deploy(event) {
    event.preventDefault();
    say("deploy-error", "");
    const button = $("deploy-button");
    button.disabled = true;
    try {
      const created = await api("POST", "api/v1/deployments", { source: await source() });
      refresh();
      showLog(created, $("open-when-ready").checked);
    } catch (e) {
      if (e.status === 401) signedOut("Sign in first.");
      say("deploy-error", e.message);
    } finally {
      button.disabled = false;
    }
  }

  function init() {
    for (const radio of document.querySelectorAll('input[name="kind"]')) {
      radio.addEventListener("change", () => {
        $("git-fields").hidden = kind() !== "git";
        $("upload-fields").hidden = kind() !== "upload";
      });
    }
    $("signin-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
      $("token").value = "";
      say("signin-error", "");
      refresh();
    });
    $("deploy-form").addEventListener("submit", deploy);
    $("refresh").addEventListener("click", refresh);
    if (token() || document.body.dataset.signedIn === "yes") refresh();
    else signedOut("");
  }

  init();
})();
