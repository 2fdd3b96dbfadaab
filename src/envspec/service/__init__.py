"""The deploy service ("binder-lite"): the deploy-handler API of ``spec/deploy-api-1.0.md``.

A Tornado application (what JupyterHub services run on) that turns a notebook
(uploaded, or from a git repository) into a running Jupyter server with the
notebook's environment, and reports it through the deploy-handler API.

Modules (each importable on its own; nothing here is on the import path of
``envspec validate``):

- :mod:`envspec.service.config`: :class:`~envspec.service.config.ServiceConfig`, what the
  operator decides (database URL, tokens file, limits, git policy).
- :mod:`envspec.service.models`: the API's pydantic models, the single source of the
  OpenAPI description (:mod:`envspec.service.openapi`).
- :mod:`envspec.service.problems`: RFC 9457 problem details (:class:`Problem`).
- :mod:`envspec.service.auth`: the :class:`Authenticator` protocol and :class:`TokenTable`.
- :mod:`envspec.service.launchers`: the :class:`Launcher` protocol and :class:`LocalLauncher`.
- :mod:`envspec.service.store`: deployments and their log lines (SQLAlchemy; SQLite by default).
- :mod:`envspec.service.gitpolicy`: which git URLs may be fetched, and fetching them within limits.
- :mod:`envspec.service.worker`: the queue: fetching, building, launching.
- :mod:`envspec.service.job`: one deployment's fetch and build, in a child process.
- :mod:`envspec.service.pushback`: the session's changes to a new branch of the origin.
- :mod:`envspec.service.handlers`: the request handlers (``BaseHandler`` for new routes).
- :mod:`envspec.service.app`: ``make_app(config) -> tornado.web.Application``.
- :mod:`envspec.service.server`: running the application standalone (``envspec service run``).
- :mod:`envspec.service.client`: the client ``envspec deploy`` uses (standard library only).
- :mod:`envspec.service.hub`: behind JupyterHub: sign-in with the hub's OAuth, servers
  started through the hub's REST API.
- :mod:`envspec.service.spawner`: JupyterHub spawners that open a notebook in its environment.
- :mod:`envspec.service.kubespawner`: the spawner on Kubernetes (KubeSpawner).
- :mod:`envspec.service.embedded`: ``envspec serve`` (a JupyterHub configured and run by
  envspec) and :func:`~envspec.service.embedded.add_envspec` for any hub.

The runtime needs the ``serve`` extra (``pip install 'envspec[serve]'``).
"""
