"""A slow builder for the kernel tests: a build that takes longer than ``build_timeout``.

The kernelspec of the test names it in its ``builder`` setting; it waits
``ENVSPEC_TEST_BUILD_SECONDS`` seconds and builds nothing.
"""

from __future__ import annotations

import os
import time

from envspec.kernel.resolve import BuildRequest, Built


def slow_builder(request: BuildRequest) -> Built:
    """Wait, then fail (the kernel has reported the timeout long before)."""
    time.sleep(float(os.environ.get("ENVSPEC_TEST_BUILD_SECONDS", "3")))
    raise RuntimeError(f"the slow test builder builds nothing ({request.plan.steps[-1].kind})")
