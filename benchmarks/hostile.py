"""How validation time grows on hostile input: the cost of each input at size N and 4N.

Each case is an input built to make a careless parser or pattern slow (runs
of spaces for pip's comment pattern, near-miss image references and secrets
for backtracking regular expressions, unclosed Scheme lists, YAML alias bombs,
deep nesting). The tests check what envspec says about these inputs; this
script measures how long it takes, in process, through ``validate_bytes``.

A linear check takes about 4x as long at 4N; a quadratic one 16x. A case whose
growth is above 6x, or that takes longer than its budget at N, is flagged and
the exit code is 1.

    python benchmarks/hostile.py [--size 1.0] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One hostile input: *build(n)* gives the bytes of a file named *name*."""

    key: str
    name: str
    n: int
    build: Callable[[int], bytes]
    budget_ms: float  # at the base size, on a laptop-class core


def _embedded(file_name: str, text: Callable[[int], str]) -> Callable[[int], bytes]:
    """A standalone environment whose ``files`` hold *text(n)* under *file_name*."""

    def build(n: int) -> bytes:
        document = {"env_ver": "1.0", "files": {file_name: text(n)}}
        return json.dumps(document).encode()

    return build


def _field(make: Callable[[int], dict[str, object]]) -> Callable[[int], bytes]:
    def build(n: int) -> bytes:
        return json.dumps({"env_ver": "1.0", **make(n)}).encode()

    return build


def _scalar_alias_bomb(n: int) -> bytes:
    text = (
        'env_ver: "1.0"\nextensions:\n  demo:\n    s: &s "' + "x" * 100_000 + '"\n'
        "    l: [" + ", ".join(["*s"] * n) + "]\n"
    )
    return text.encode()


def _deep_notebook(n: int) -> bytes:
    head = '{"cells": [], "metadata": {"environment": {"env_ver": "1.0", "extensions": {"x": '
    return (head + "[" * n + "]" * n + "}}}, " + '"nbformat": 4, "nbformat_minor": 5}').encode()


CASES = [
    Case(
        "requirements: run of spaces",
        "e.envspec.json",
        50_000,
        _embedded("requirements.txt", lambda n: "numpy" + " " * n + "x\n"),
        50,
    ),
    Case(
        "requirements: option then spaces",
        "e.envspec.json",
        50_000,
        _embedded("requirements.txt", lambda n: "-i https://pypi.org/simple" + " " * n + "x\n"),
        50,
    ),
    Case(
        "requirements: continuations",
        "e.envspec.json",
        20_000,
        _embedded("requirements.txt", lambda n: "numpy \\\n" * n + "\n"),
        100,
    ),
    Case(
        "requirements: 100k distinct pins",
        "e.envspec.json",
        100_000,
        _embedded(
            "requirements.txt", lambda n: "".join(f"pkg-{i}==1.{i % 97}\n" for i in range(n))
        ),
        300,
    ),
    Case(
        "requirements: 20k distinct hashed pins",
        "e.envspec.json",
        20_000,
        _embedded(
            "requirements.txt",
            lambda n: "".join(f"pkg-{i}==1.0 --hash=sha256:{i:064x}\n" for i in range(n)),
        ),
        600,
    ),
    Case(
        "apt.txt: 100k packages",
        "e.envspec.json",
        100_000,
        _embedded("apt.txt", lambda n: "".join(f"libpkg{i}-dev\n" for i in range(n))),
        300,
    ),
    Case(
        "requirements: 20k lines",
        "e.envspec.json",
        20_000,
        _embedded("requirements.txt", lambda n: "".join(f"p{i}=={i % 9}.0\n" for i in range(n))),
        500,
    ),
    Case(
        "image ref: dash run",
        "e.envspec.json",
        10_000,
        _field(lambda n: {"image": {"ref": "a-" * n + "!"}}),
        20,
    ),
    Case(
        "image ref: underscore run",
        "e.envspec.json",
        10_000,
        _field(lambda n: {"image": {"ref": "x/" + "a_" * n + "!"}}),
        20,
    ),
    Case(
        "secret scan: TOKEN run",
        "e.envspec.json",
        20_000,
        _embedded("postBuild", lambda n: "TOKEN" * n + "\n"),
        50,
    ),
    Case(
        "secret scan: JWT prefixes",
        "e.envspec.json",
        20_000,
        _embedded("postBuild", lambda n: "eyJ-" * n + "\n"),
        50,
    ),
    Case(
        "secret scan: dotted scheme run",
        "e.envspec.json",
        20_000,
        _embedded("postBuild", lambda n: "a." * n + " ://x\n"),
        50,
    ),
    Case(
        "scheme: deep lists",
        "e.envspec.json",
        100_000,
        _embedded("manifest.scm", lambda n: "(" * n + ")" * n),
        200,
    ),
    Case(
        "scheme: comment openers",
        "e.envspec.json",
        100_000,
        _embedded("manifest.scm", lambda n: "#|" * n),
        200,
    ),
    Case(
        "scheme: backslashes",
        "e.envspec.json",
        100_000,
        _embedded("manifest.scm", lambda n: '"' + "\\" * n),
        200,
    ),
    Case(
        "conda: unknown keys",
        "e.envspec.json",
        5_000,
        _embedded("environment.yml", lambda n: "".join(f"unknown{i}: 1\n" for i in range(n))),
        1000,
    ),
    Case(
        "conda: deep flow lists",
        "e.envspec.json",
        50_000,
        _embedded("environment.yml", lambda n: "dependencies: " + "[" * n + "]" * n + "\n"),
        200,
    ),
    Case("yaml: scalar alias bomb", "bomb.envspec.yaml", 2_000, _scalar_alias_bomb, 50),
    Case("json: deep notebook", "deep.ipynb", 100_000, _deep_notebook, 200),
]


def forget_verdicts() -> None:
    """Empty envspec's bounded per-value caches (verdicts of requirement lines, specs).

    They make a second run over the same text nearly free, which is what they
    are for but not what this script measures: the cost of text seen for the
    first time. Unbounded caches (compiled patterns and schema) are kept.
    """
    for name, module in list(sys.modules.items()):
        if not name.startswith("envspec"):
            continue
        for value in vars(module).values():
            info = getattr(value, "cache_info", None)
            if callable(info) and info().maxsize is not None:
                value.cache_clear()


def best_of(call: Callable[[], object], repeat: int) -> float:
    """The fastest of *repeat* runs, in seconds (the least disturbed by the machine)."""
    best = float("inf")
    for _ in range(repeat):
        forget_verdicts()
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=float, default=1.0, help="scale every base size N (1.0)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per size; the best counts")
    args = parser.parse_args(argv)
    if args.size <= 0 or args.repeat < 1:
        parser.error("--size must be positive and --repeat at least 1")

    from envspec import validate_bytes

    validate_bytes(b'{"env_ver": "1.0"}', "warm.envspec.json")  # imports out of the measure
    validate_bytes(b'env_ver: "1.0"\n', "warm.envspec.yaml")
    print("| case | N | ms at N | ms at 4N | growth | budget ms | verdict | envspec says |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    flagged = 0
    for case in CASES:
        n = max(1, int(case.n * args.size))
        small, large = case.build(n), case.build(4 * n)
        codes = sorted({d.code for d in validate_bytes(small, case.name).diagnostics})
        at_n = best_of(lambda d=small, f=case.name: validate_bytes(d, f), args.repeat)
        at_4n = best_of(lambda d=large, f=case.name: validate_bytes(d, f), args.repeat)
        growth = at_4n / at_n if at_n > 0 else float("inf")
        # Below a millisecond, start-up noise dominates the ratio: judge the time alone.
        superlinear = growth > 6 and at_4n > 0.001
        slow = at_n * 1000 > case.budget_ms * args.size
        verdict = "SUPERLINEAR" if superlinear else "OVER BUDGET" if slow else "ok"
        flagged += verdict != "ok"
        print(
            f"| {case.key} | {n:,} | {at_n * 1000:.1f} | {at_4n * 1000:.1f} | "
            f"{growth:.1f}x | {case.budget_ms * args.size:.0f} | {verdict} | "
            f"{', '.join(codes) or 'valid'} |"
        )
    print(f"\n{flagged} of {len(CASES)} cases flagged", file=sys.stderr)
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
