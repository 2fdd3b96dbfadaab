"""The default builder: the launch plan, then :func:`envspec.environments.create_environment`.

A builder is any callable taking a :class:`~envspec.kernel.resolve.BuildRequest`
and returning a :class:`~envspec.kernel.resolve.Built`; the provisioner's
``builder`` setting (``"module:function"``) chooses another one.
"""

from __future__ import annotations

from typing import Any

from envspec.kernel.resolve import BuildRequest, Built, KernelProblem

__all__ = ["default_builder"]


def default_builder(request: BuildRequest) -> Built:
    """Plan the environment of *request* and create it (or reuse it from the cache)."""
    try:
        from envspec.environments import (  # type: ignore[import-not-found,unused-ignore]
            IndexOptions,
            create_environment,
        )
        from envspec.launch.plan import LaunchOptions, plan_launch  # type: ignore[attr-defined,unused-ignore]
        from envspec.models.v1_0 import Environment
    except ImportError as exc:
        raise KernelProblem(
            f"this installation of envspec cannot build environments ({exc})",
            hint="install envspec with the launch extra (pip install 'envspec[launch]') in the "
            "Python that runs the Jupyter server, then restart the kernel",
        ) from exc
    source = request.source
    environment = Environment.model_validate(dict(source.environment))
    options = LaunchOptions(trusted=source.trusted, variables=request.variables)
    plan = plan_launch(environment, kernelspec=source.kernelspec, options=options)
    if plan.refusals:
        first, *others = plan.refusals
        raise KernelProblem(
            first.message,
            code=first.code,
            hint=first.hint or None,
            details="\n".join(f"{r.code}: {r.message}" for r in others),
        )
    index = request.index
    extra: dict[str, Any] = {}
    if request.cache_dir is not None:
        extra["cache_dir"] = request.cache_dir
    if request.progress is not None:
        extra["progress"] = request.progress
    created = create_environment(
        plan,
        source.files,
        index=IndexOptions(
            index_url=index.index_url,
            extra_index_urls=index.extra_index_urls,
            find_links=index.find_links,
            no_index=index.no_index,
            offline=index.offline,
        ),
        **extra,
    )
    return Built(created.python, created.prefix, created.key, created.reused)
