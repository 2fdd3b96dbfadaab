"""Realizing an environment and running a notebook in it.

:mod:`envspec.launch.plan` is the plan as data (pure); the rest executes it.
Heavy dependencies (uv, jupyter_server) are imported only where they run.
"""
