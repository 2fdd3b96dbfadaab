"""Running the service standalone (``envspec service run``): 127.0.0.1 only.

:func:`run` listens, calls *on_ready* with the base URL once it accepts connections
(port ``0``: a free port, named in the URL), resumes what a previous run left
unfinished, and serves until SIGINT or SIGTERM.  Then it stops the builds (their
deployments resume at the next start) and the servers of ready deployments (they
start again at the next start: a ready deployment stays ready across restarts).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Callable
from typing import TextIO

from envspec.service.app import ServiceState, make_app
from envspec.service.config import ServiceConfig

__all__ = ["run", "setup_logging"]


def setup_logging(level: str = "INFO", stream: TextIO | None = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
    for name in ("envspec.service", "tornado"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def run(config: ServiceConfig, on_ready: Callable[[str], None] | None = None) -> int:
    """Serve *config* until SIGINT or SIGTERM; the exit status."""
    return asyncio.run(_serve(config, on_ready))


async def _serve(config: ServiceConfig, on_ready: Callable[[str], None] | None) -> int:
    from tornado.httpserver import HTTPServer
    from tornado.netutil import bind_sockets

    if config.host not in ("127.0.0.1", "::1"):
        logging.getLogger("envspec.service").warning(
            "listening on %s: put it behind a proxy with TLS", config.host
        )
    from envspec.service.web import page_routes

    app = make_app(config, handlers=page_routes())
    state: ServiceState = app.settings["envspec"]
    # Bodies past the API's limit are refused by the handlers, with a 413 problem.
    server = HTTPServer(app, max_body_size=16 * config.max_body_bytes + 1, xheaders=False)
    sockets = bind_sockets(config.port, address=config.host, family=socket.AF_INET)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await state.start()
        base = state.config.base_url
        if on_ready is not None:
            on_ready(f"http://{config.host}:{port}{base}")
        await stop.wait()
    finally:
        server.stop()
        for record in state.store.list_deployments(statuses={"ready"}):
            await state.launcher.stop(record)
        await state.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    return 0
