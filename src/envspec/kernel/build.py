"""The default builder: :func:`envspec.environments.create_environment` of the launch plan.

A builder is any callable taking a :class:`~envspec.kernel.resolve.BuildRequest`
and returning a :class:`~envspec.kernel.resolve.Built`; the provisioner's
``builder`` setting (``"module:function"``) chooses another one.
"""

from __future__ import annotations

from typing import Any

from envspec.kernel.resolve import BuildRequest, Built, KernelProblem

__all__ = ["default_builder"]


def default_builder(request: BuildRequest) -> Built:
    """Create the environment of *request*'s plan (or reuse it from the cache)."""
    try:
        from envspec.environments import BuildError, IndexOptions, create_environment
    except ImportError as exc:
        raise KernelProblem(
            f"this installation of envspec cannot build environments ({exc})",
            hint="install envspec with its launch extra in the Python that runs the Jupyter "
            "server, then restart the kernel",
        ) from exc
    index = request.index
    extra: dict[str, Any] = {}
    if request.cache_dir is not None:
        extra["cache_dir"] = request.cache_dir
    if request.progress is not None:
        extra["progress"] = request.progress
    try:
        created = create_environment(
            request.plan,
            request.source.files,
            index=IndexOptions(
                index_url=index.index_url,
                extra_index_urls=index.extra_index_urls,
                find_links=index.find_links,
                no_index=index.no_index,
                offline=index.offline,
            ),
            **extra,
        )
    except BuildError as exc:
        details = []
        if exc.tail:
            details += ["last lines of the build log:", *(f"  | {line}" for line in exc.tail)]
        if exc.log is not None:
            details.append(f"build log: {exc.log}")
        raise KernelProblem(
            f"the environment could not be built: {exc.message}",
            hint=exc.hint or "fix the environment, then restart the kernel",
            details="\n".join(details),
        ) from exc
    return Built(created.python, created.prefix, created.key, created.reused)
