// The launch page of BinderHub-style links (/v2/<provider>/<spec>): follows the build's
// event stream, then opens the server at urlpath with its token.
"use strict";

(function () {
  const body = document.body;
  const TOKEN_KEY = "envspec-token";
  const $ = (id) => document.getElementById(id);
  const PHASES = {
    waiting: "Waiting …",
    fetching: "Fetching the repository …",
    building: "Building the environment …",
    launching: "Starting the notebook server …",
    ready: "Ready: opening the notebook …",
  };

  function target(data) {
    let url = data.url + (body.dataset.urlpath || "");
    if (data.token) url += (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(data.token);
    return url;
  }

  function handle(data) {
    if (data.message) $("log").append(document.createTextNode(data.message));
    $("log").scrollTop = $("log").scrollHeight;
    if (data.phase === "failed") {
      $("phase").textContent = "The launch failed: " + (data.message || "").trim();
      return true;
    }
    $("phase").textContent = PHASES[data.phase] || data.phase;
    if (data.phase === "ready") {
      const url = target(data);
      $("open-link").href = url;
      $("ready").hidden = false;
      window.location.assign(url);
      return true;
    }
    return false;
  }

  async function follow() {
    const token = sessionStorage.getItem(TOKEN_KEY) || "";
    const headers = { Accept: "text/event-stream" };
    if (token) headers.Authorization = "Bearer " + token;
    const response = await fetch(body.dataset.build, { headers: headers, credentials: "same-origin" });
    if (response.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      $("signin").hidden = false;
      $("phase").textContent = "Sign in to launch.";
      $("token").focus();
      return;
    }
    if (!response.ok) {
      $("phase").textContent = "The launch failed (HTTP " + response.status + ").";
      return;
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).replace(/^ /, ""));
        if (data.length && handle(JSON.parse(data.join("\n")))) return;
      }
    }
  }

  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token").value.trim());
    $("signin").hidden = true;
    follow();
  });
  follow();
})();
