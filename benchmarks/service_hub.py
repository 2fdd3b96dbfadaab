"""``service.py --hub``: submit-to-ready for a cached environment through a real JupyterHub.

Starts JupyterHub with configurable-http-proxy on 127.0.0.1 with the code of
``envspec serve`` (:func:`envspec.service.embedded.start`, in a temporary state folder),
signs the first admin in, makes an API token, deploys an uploaded notebook once
(building its environment), then deploys it *repeat* times more with the environment
cached.  Every request goes through the hub's proxy (``/services/envspec/...``); a
deployment is ready when its log stream says so, and its server then answers through
the proxy.  Each deployment is deleted before the next.

For each cached deployment, the time of each phase after the submit, from the
deployment's log (the service's database) and the hub's log: the deployment created,
fetched, the environment found in the cache, the server asked of the hub, the server
process started, the server answering, the proxy's route, ready.  Also the machine's
load average before and after.  Bounded: at most 20 repeats, 120 s a deployment.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import sqlite3
import statistics
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from service import NOTEBOOK

PREFIX = "/services/envspec"
#: Lines of the hub's log that mark a phase of a server's start (UTC times, with ms).
HUB_MARKS = {
    "spawner: start": re.compile(r"envspec: starting server (\S+)"),
    "spawner: process started": re.compile(r"envspec: server (\S+) process started"),
    "spawner: server answers": re.compile(r"envspec: server (\S+) answers"),
    "hub: spawn done": re.compile(r"User \S+?:(\S+) took [0-9.]+ seconds to start"),
    "hub: proxy route": re.compile(r"Adding user \S+?:(\S+) to proxy"),
}
HUB_TIME = re.compile(r"^\[\w (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ")
#: The deployment's log lines that mark a phase.
LOG_MARKS = {
    "fetched": "received ",
    "server asked of the hub": "asking the hub to start server",
    "cache hit": "is in the cache: reused",
    "launching": "starting the notebook's server",
    "server up behind the proxy": "the server is up behind the hub's proxy",
    "ready (service)": "the notebook is ready",
}


class Hub:
    """A hub started like ``envspec serve`` starts it, and the admin's token."""

    def __init__(self, folder: Path, config: Path | None = None) -> None:
        from envspec.launch.server import free_port
        from envspec.service.embedded import ServeOptions, admin_password, start

        self.state = folder / "state"
        self.log_path = folder / "hub.log"
        options = ServeOptions(
            state_dir=self.state, port=free_port(), idle_timeout=0, config=config
        )
        with self.log_path.open("wb") as log:
            # UTC times in the hub's log, to set beside the deployment's log
            self.hub = start(options, env={"TZ": "UTC"}, output=log)
        self.url = self.hub.url.rstrip("/")
        self.hub.wait_ready(120)
        password, _ = admin_password(self.state)
        jar = http.cookiejar.CookieJar()
        self.browser = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
        )
        self.browser.open(self.url + "/hub/login", timeout=60).read()
        xsrf = next(c.value for c in jar if c.name == "_xsrf" and c.path == "/hub/")
        form = urllib.parse.urlencode({"username": "admin", "password": password, "_xsrf": xsrf})
        self.browser.open(self.url + "/hub/login", form.encode(), timeout=60).read()
        # the hub's XSRF token of the signed-in session
        xsrf = next(c.value for c in jar if c.name == "_xsrf" and c.path == "/hub/")
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.url + "/hub/api/users/admin/tokens",
            data=json.dumps({"note": "benchmark"}).encode(),
            headers={"X-XSRFToken": xsrf, "Content-Type": "application/json"},
            method="POST",
        )
        with self.browser.open(request, timeout=60) as response:
            self.token: str = json.loads(response.read())["token"]
        self.plain = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body: Any = None, timeout: float = 60) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with self.plain.open(request, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def wait_ready(self, ident: str) -> str:
        """Read the deployment's log stream through the proxy to its end; the last status."""
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            f"{self.url}{PREFIX}/api/v1/deployments/{ident}/log",
            headers={"Authorization": f"Bearer {self.token}", "Accept": "text/event-stream"},
        )
        status, event = "", ""
        with self.plain.open(request, timeout=120) as response:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "status":
                    status = json.loads(line[6:])["status"]
        return status

    def deploy(self) -> tuple[float, float, dict[str, Any]]:
        """Submit-to-ready, then to the server answering through the proxy; the model."""
        source = {"type": "notebook", "name": "bench.ipynb", "notebook": NOTEBOOK}
        started = time.time()
        created = self.call("POST", f"{PREFIX}/api/v1/deployments", {"source": source})
        status = self.wait_ready(created["id"])
        ready = time.time() - started
        if status != "ready":
            raise SystemExit(f"the deployment ended {status}:\n{self.log_tail()}")
        model = self.call("GET", f"{PREFIX}/api/v1/deployments/{created['id']}")
        base = model["url"].split("/lab/", 1)[0]
        answer = self.call("GET", base.removeprefix(self.url) + "/api/status")
        if "started" not in (answer or {}):
            raise SystemExit(f"the server did not answer through the proxy: {answer}")
        return ready, time.time() - started, {**model, "submitted": started}

    def phases(self, model: dict[str, Any]) -> dict[str, float]:
        """Seconds after the submit at which each phase of *model*'s deployment began."""
        from envspec.service.hub import server_name

        t0 = float(model["submitted"])
        found: dict[str, float] = {}
        with sqlite3.connect(self.state / "deployments.sqlite") as db:
            rows = db.execute(
                "SELECT line, time FROM envspec_log_lines WHERE deployment_id = ? ORDER BY seq",
                (model["id"],),
            ).fetchall()
        for line, stamp in rows:
            when = datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp()
            for name, mark in LOG_MARKS.items():
                if mark in line and name not in found:
                    found[name] = when - t0
        name = server_name(model["id"])
        for raw in self.log_path.read_text("utf-8", "replace").splitlines():
            stamp = HUB_TIME.match(raw)
            if not stamp:
                continue
            for phase, pattern in HUB_MARKS.items():
                hit = pattern.search(raw)
                if hit and hit.group(1).rstrip(".,") == name and phase not in found:
                    when = datetime.strptime(stamp.group(1), "%Y-%m-%d %H:%M:%S.%f")
                    found[phase] = when.replace(tzinfo=UTC).timestamp() - t0
        return dict(sorted(found.items(), key=lambda item: item[1]))

    def log_tail(self) -> str:
        return self.log_path.read_text("utf-8", "replace")[-3000:]

    def stop(self) -> None:
        self.hub.stop()


def run_hub(repeat: int, out: Path | None, config: Path | None = None) -> int:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="envspec-bench-hub-") as folder:
        hub = Hub(Path(folder), config)
        try:
            cold, _, model = hub.deploy()
            hub.call("DELETE", f"{PREFIX}/api/v1/deployments/{model['id']}")
            warm: list[float] = []
            through: list[float] = []
            phases: list[dict[str, float]] = []
            for _ in range(repeat):
                ready, answered, model = hub.deploy()
                warm.append(ready)
                through.append(answered)
                phases.append(hub.phases(model))
                hub.call("DELETE", f"{PREFIX}/api/v1/deployments/{model['id']}")
        finally:
            hub.stop()
    load_after = os.getloadavg()
    names = list(dict.fromkeys(name for run in phases for name in run))
    median_phases = {
        name: round(statistics.median(run[name] for run in phases if name in run), 3)
        for name in names
    }
    result = {
        "cold_seconds": round(cold, 2),
        "cached_seconds": [round(x, 3) for x in warm],
        "cached_median_seconds": round(statistics.median(warm), 3),
        "answering_median_seconds": round(statistics.median(through), 3),
        "phases_median_seconds": median_phases,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }
    median = statistics.median(warm)
    print("| measure (through JupyterHub and its proxy) | value |\n|---|---|")
    print(f"| submit-to-ready, first (builds the environment) | {cold:.2f} s |")
    print(f"| submit-to-ready, cached environment (median of {repeat}) | "
          f"{median:.2f} s (min {min(warm):.2f}, max {max(warm):.2f}) |")  # fmt: skip
    print(f"| submit to the server answering through the proxy (median) | "
          f"{statistics.median(through):.2f} s |")  # fmt: skip
    print(f"| load average (1, 5, 15 min) before / after | "
          f"{' '.join(f'{x:.2f}' for x in load_before)} / "
          f"{' '.join(f'{x:.2f}' for x in load_after)} |")  # fmt: skip
    print("\n| phase began (median, seconds after the submit) | s |\n|---|---|")
    for name, value in median_phases.items():
        print(f"| {name} | {value:.2f} |")
    print(f"\ngoal: cached submit-to-ready under 3 s through the hub: "
          f"{'met' if median < 3 else 'not met'}")  # fmt: skip
    if out:
        out.write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    return 0
