"""How long categorising, sorting and building the menu of 100,000 tags takes.

A platform's image controller refreshes the tag list of a registry every few
minutes; the goal is under 0.2 s for 100,000 tags (RSP policy: releases,
candidates, weeklies, dailies, experimentals, aliases, architecture variants,
cycles, RSP builds and unknown tags, each with a digest).  Measured in-process:
reading the tag list text, parsing every tag, the total order, and the menu
(prepull set, aliases by digest, dropdown filters, bot names).

    python benchmarks/tags.py [-n 100000] [--repeat 5] [--seed 13] [--clock cpu] [--json OUT]

``--clock cpu`` measures the process's CPU time instead of the wall clock: on a machine
others are loading, it leaves out the time spent waiting for a core.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import time
from pathlib import Path

from envspec.payloads.menu import CategoryFilter, MenuConfig, MenuPayload, build_menu
from envspec.payloads.policies.rsp import RspPolicy
from envspec.payloads.policies.rsp_bulk import rsp_listing
from envspec.payloads.tags import make_policy, read_tag_list, sort_tags


def generate(n: int, seed: int) -> str:
    """A tag list of *n* distinct realistic tags (``TAG DIGEST`` lines)."""
    rng = random.Random(seed)
    tags: set[str] = set()
    archs = ["", "", "", "-amd64", "-arm64"]
    while len(tags) < n:
        kind = rng.random()
        suffix = ""
        if rng.random() < 0.2:
            suffix += f"_c{rng.randrange(20, 60):04d}.{rng.randrange(1, 10):03d}"
        if rng.random() < 0.2:
            suffix += f"_rsp{rng.randrange(1, 200)}"
        if rng.random() < 0.05:
            suffix += "_" + rng.choice(["extra", "20210527", "foo"])
        suffix += rng.choice(archs)
        if kind < 0.1:
            tag = f"r{rng.randrange(15, 30)}_{rng.randrange(10)}_{rng.randrange(10)}"
        elif kind < 0.15:
            tag = f"r{rng.randrange(15, 30)}_0_0_rc{rng.randrange(1, 5)}"
        elif kind < 0.45:
            tag = f"w_{rng.randrange(2015, 2080)}_{rng.randrange(1, 53):02d}"
        elif kind < 0.8:
            year, month, day = rng.randrange(2015, 2080), rng.randrange(1, 13), rng.randrange(1, 29)
            tag = f"d_{year}_{month:02d}_{day:02d}"
        elif kind < 0.9:
            tag = (
                "exp_"
                + rng.choice(["w_2021_22", "random", "tickets_DM", "test"])
                + str(rng.randrange(10**6))
            )
        else:
            tag = rng.choice(["latest", "recommended", "stable", "custom"]) + str(
                rng.randrange(10**6)
            )
            suffix = rng.choice(archs)
        tags.add(tag + suffix)
    ordered = sorted(tags)
    rng.shuffle(ordered)
    lines = [f"{t} sha256:{rng.getrandbits(256):064x}" for t in ordered]
    return "\n".join(lines) + "\n"


clock = time.perf_counter


def run(text: str, payload: MenuPayload) -> float:
    start = clock()
    tag_list = read_tag_list(text)
    build_menu(payload, tag_list, today=datetime.date(2077, 11, 1))
    return clock() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    global clock  # noqa: PLW0603 - the one setting of the run
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    text = generate(args.n, args.seed)
    payload = MenuPayload(
        "bench",
        image="registry.example.org/sciplat/lab",
        menu=MenuConfig(
            aliases=("latest",),
            dropdown={
                "release": CategoryFilter(cutoff_version="20.0.0"),
                "weekly": CategoryFilter(number=78),
                "daily": CategoryFilter(number=25),
                "experimental": CategoryFilter(age="3w"),
            },
        ),
    )
    # Cold: a policy that has seen none of the tags (a spawner's first listing).
    cold = run(text, payload)
    # Warm: the same listing again (a refresh every few minutes, nothing new).
    warm = [run(text, payload) for _ in range(args.repeat)]
    # Changed: each refresh brings 1% new tags (the list is read and ordered again).
    changed = []
    for i in range(args.repeat):
        lines = text.splitlines()
        lines[i :: 100] = [f"w_2090_{i + 1:02d}_rsp{k} sha256:{k:064x}" for k in
                           range(len(lines[i :: 100]))]  # fmt: skip
        changed.append(run("\n".join(lines) + "\n", payload))
    policy = make_policy()
    tag_list = read_tag_list(text)
    parse_times = []
    for _ in range(args.repeat):
        start = clock()
        rsp_listing(RspPolicy(), tag_list.tags, digests=tag_list.digests())
        parse_times.append(clock() - start)
    one_by_one = []
    for _ in range(min(args.repeat, 3)):
        fresh = RspPolicy()
        start = clock()
        sort_tags(policy, [fresh.parse(t) for t in tag_list.tags])
        one_by_one.append(clock() - start)
    result = {
        "tags": args.n,
        "cold_read_parse_sort_menu_s": cold,
        "warm_read_parse_sort_menu_s": statistics.median(warm),
        "changed_read_parse_sort_menu_s": statistics.median(changed),
        "bulk_categorise_and_sort_s": statistics.median(parse_times),
        "one_by_one_parse_and_sort_s": statistics.median(one_by_one),
        "clock": args.clock,
        "goal_s": 0.2,
    }
    print(f"{args.n} tags (read, categorise, sort, menu):")
    print(f"  first listing (nothing cached):  {cold:.3f} s")
    refresh = result["warm_read_parse_sort_menu_s"]
    print(f"  refresh, same list (median of {args.repeat}): {refresh:.3f} s")
    print(f"  refresh, 1% new tags (median):    {result['changed_read_parse_sort_menu_s']:.3f} s")
    print(f"  of which categorise + sort:      {result['bulk_categorise_and_sort_s']:.3f} s")
    print(f"  (a parse per tag, then sort:     {result['one_by_one_parse_and_sort_s']:.3f} s)")
    print("  goal: under 0.2 s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
