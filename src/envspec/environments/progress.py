"""Progress of creating an environment, as events (the command line draws them).

Events come in this order: ``begin`` (the key and a summary of the inputs), then
for each step ``step-started``, any number of ``resolved`` / ``downloaded`` /
``installed`` / ``message`` events, and ``step-finished``; then ``end``.  A cache
hit sends ``reused`` only.  Counts are what the tools report: uv says how many
packages it resolved and lists what it installed; rattler solves, then installs
the whole set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["EventKind", "ProgressEvent"]

EventKind = Literal[
    "begin",  # a build starts: key, summary (``requirements.txt: 12 packages``)
    "waiting",  # another process builds the same environment: waiting for it
    "reused",  # cache hit: nothing to do
    "step-started",
    "resolved",  # total: how many packages the step installs
    "downloaded",  # done: how many are downloaded so far (total when known)
    "installed",  # done/total
    "message",  # a line worth showing (an apt package missing, an ignored option)
    "step-finished",
    "end",
]


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One thing that happened while creating an environment."""

    kind: EventKind
    key: str
    #: The step's kind (``pip``, ``conda``...), for step events.
    step: str | None = None
    #: The file the step applies.
    file: str | None = None
    done: int | None = None
    total: int | None = None
    #: Text for a person (the summary for ``begin``, the line for ``message``).
    message: str = ""
