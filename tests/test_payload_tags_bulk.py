"""The RSP policy over a whole list at once gives the categories, the order and the menu
that parsing each tag gives, on generated lists full of the grammar's corners."""

from __future__ import annotations

import datetime
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envspec.payloads._listing import Listing, generic_listing
from envspec.payloads.menu import CategoryFilter, MenuConfig, MenuPayload, build_menu
from envspec.payloads.policies.rsp import RspPolicy
from envspec.payloads.policies.rsp_bulk import rsp_keys, rsp_listing
from envspec.payloads.tags import TagList, categorize, sorted_groups

_ARCHS = ["", "", "", "-amd64", "-arm64", "-foo", "-x86"]
_WORDS = ["latest", "recommended", "random", "tickets_DM", "test", "e", "ex", "exp", "w", "d"]


def _number(rng: random.Random) -> str:
    """A number as tags write them: mostly small, sometimes zero-padded or long."""
    n = rng.choice([0, 1, 9, 10, 22, 99, 100, 999, 1000, 12345, rng.randrange(200)])
    return f"{n:0{rng.choice([1, 1, 2, 3, 4])}d}"


def _suffix(rng: random.Random) -> str:
    suffix = ""
    if rng.random() < 0.3:
        suffix += f"_c{_number(rng)}.{_number(rng)}"
    if rng.random() < 0.3:
        suffix += f"_rsp{_number(rng)}"
    if rng.random() < 0.15:
        suffix += "_" + rng.choice(["extra", "20210527", "c0020.001", "a_b", "x-y", "rc1"])
    return suffix + rng.choice(_ARCHS)


def corner_tag(rng: random.Random) -> str:
    """One tag from anywhere in the grammar: the usual, the odd and the invalid."""
    kind = rng.randrange(9)
    if kind == 0:
        tag = f"r{_number(rng)}_{_number(rng)}_{_number(rng)}"
    elif kind == 1:
        tag = f"r{_number(rng)}_{_number(rng)}_{_number(rng)}_rc{_number(rng)}"
    elif kind == 2:
        year = rng.choice(["2020", "2021", "2026", "02021", "999", "0", "10000"])
        week = rng.choice(["01", "1", "9", "09", "10", "52", "53", "54", "0", "00", "123"])
        tag = f"w_{year}_{week}"
    elif kind == 3:
        year = rng.choice(["2020", "2021", "2024", "02021", "999", "0"])
        month = rng.choice(["01", "1", "02", "2", "12", "13", "0", "010"])
        day = rng.choice(["01", "1", "28", "29", "30", "31", "32", "0", "09"])
        tag = f"d_{year}_{month}_{day}"
    elif kind == 4:
        tag = f"r{rng.randrange(10, 100)}{rng.randrange(10)}"  # the old release form
    elif kind == 5:
        tag = "exp_" + rng.choice(
            ["w_2021_22", "w_2021_53", "random", "r21_0_1_rc2", "x", "exp_w_2021_22", "", "d_1"]
        )
    elif kind == 6:
        tag = rng.choice(_WORDS) + rng.choice(["", str(rng.randrange(10**6)), "_c0027", "_c1"])
        return tag + rng.choice(_ARCHS)
    elif kind == 7:
        return rng.choice("rwdeRW9_") + "".join(
            rng.choice("abcwdrpXYZ0129_.-") for _ in range(rng.randrange(12))
        )
    else:
        return rng.choice(["w_", "d_", "r", "exp_", "exp_exp_", "r1", "w_1", "d_1_1_1"])
    return tag + _suffix(rng)


def corner_tags(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - repeatable test data
    tags: set[str] = set()
    while len(tags) < n:
        tags.add(corner_tag(rng))
    listed = sorted(tags)
    rng.shuffle(listed)
    return listed


POLICY = RspPolicy()


def by_parse(tags: list[str], aliases=(), digests=None) -> Listing:
    parsed = categorize(POLICY, tags, aliases=aliases, digests=digests)
    return generic_listing(sorted_groups(POLICY, parsed), parsed)


def assert_same(tags: list[str], aliases=(), digests=None) -> None:
    bulk = rsp_listing(POLICY, tags, aliases=aliases, digests=digests)
    assert bulk is not None
    slow = by_parse(tags, aliases, digests)
    assert bulk.groups == slow.groups
    assert bulk.archs == slow.archs
    for tag in tags:
        assert bulk.parse(tag) == slow.parse(tag)


def test_thousands_of_corner_tags_read_as_one_by_one():
    for seed in range(5):
        assert_same(corner_tags(3000, seed))


def test_aliases_configured_and_by_shared_digest():
    tags = corner_tags(2000, 99)
    tags += [t for t in ("recommended", "latest", "w_2021_13", "stable-amd64") if t not in tags]
    rng = random.Random(7)  # noqa: S311 - repeatable test data
    pool = [f"sha256:{i:064x}" for i in range(300)]  # digests shared by several tags
    digests = {t: rng.choice(pool) for t in tags}
    assert_same(tags, aliases={"recommended", "latest", "r22_0_1", "absent"}, digests=digests)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**32), min_size=1, max_size=40))
def test_any_small_list_reads_as_one_by_one(seeds):
    tags = list(dict.fromkeys(corner_tag(random.Random(s)) for s in seeds))  # noqa: S311
    assert_same(tags, aliases={"recommended"})


def test_a_tag_written_two_ways_orders_by_its_text():
    # The same numbers: the tag's text decides, as one by one.
    assert_same(["w_2021_09", "w_2021_9", "w_02021_9", "r22_0_01", "r22_0_1", "r022_0_1"])


def test_keys_from_a_parse_are_the_keys_of_the_list():
    # A tag parsed alone (a 53rd week, an old release) sits among tags read in bulk.
    tags = ["w_2020_53", "w_2020_52", "w_2021_01", "w_2015_53_rsp2", "w_2021_53",
            "r170", "r17_0_0", "r16_9_9", "d_2024_02_29", "d_2023_02_29", "d_2024_02_28",
            "r9999_0_0", "r999_0_0"]  # fmt: skip
    assert_same(tags)


@pytest.mark.parametrize("seed", range(5))
def test_every_key_read_in_bulk_is_the_key_of_its_parse(seed):
    tags = [*corner_tags(3000, seed), "exp_", "exp_w_2021_53", "d_2024_02_29", "r230-amd64"]
    keys = rsp_keys(tags)
    assert keys is not None
    assert {t: POLICY.parse(t).key for t in tags} == keys


def test_a_refreshed_list_reads_as_one_by_one():
    # A policy keeps the keys its listings read: later lists look the old tags up.
    policy = RspPolicy()
    tags = corner_tags(3000, 11)
    first = rsp_listing(policy, tags)
    assert first is not None
    assert first.groups == by_parse(tags).groups
    rng = random.Random(12)  # noqa: S311 - repeatable test data
    for round_ in range(3):
        kept = [t for t in tags if rng.random() > 0.05]
        new = [t for t in corner_tags(200, 100 + round_) if t not in set(kept)]
        tags = kept + new + ["recommended"] * ("recommended" not in kept)
        digests = {t: f"sha256:{rng.randrange(500):064x}" for t in tags}
        bulk = rsp_listing(policy, tags, aliases={"recommended"}, digests=digests)
        slow = by_parse(tags, {"recommended"}, digests)
        assert bulk is not None
        assert bulk.groups == slow.groups
        assert bulk.archs == slow.archs


def test_a_list_it_cannot_read_in_bulk():
    assert rsp_keys(["w_2021_13", ""]) is None
    assert rsp_keys(["w_2021_13", "a\nb"]) is None
    assert rsp_listing(POLICY, ["w_2021_13", ""]) is None


CONFIGS = [
    MenuConfig(
        aliases=("latest",),
        pins=("r22_0_1", "missing"),
        dropdown={
            "release": CategoryFilter(cutoff_version="20.0.0"),
            "candidate": CategoryFilter(number=-2),
            "weekly": CategoryFilter(number=5, age="30w"),
            "daily": CategoryFilter(cutoff_date=datetime.date(2020, 1, 1)),
            "experimental": CategoryFilter(age="3w", cutoff_build=3),
        },
    ),
    MenuConfig(
        recommended=None,
        prepull={"release": 3, "candidate": 1, "unknown": 2, "experimental": 1},
        hide_architectures=False,
        dropdown={
            "weekly": CategoryFilter(cutoff_build=2),
            "release": CategoryFilter(number=4, cutoff_version="9"),
            "daily": CategoryFilter(age="52w", number=-1),
        },
        bot_names={"stable": ("tag", "r22_0_1"), "newest": ("latest", "weekly")},
    ),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_the_menu_is_the_same_either_way(config):
    tags = corner_tags(3000, 5)
    tags += [t for t in ("recommended", "w_2077_40", "r22_0_1") if t not in tags]
    rng = random.Random(3)  # noqa: S311 - repeatable test data
    digests = {t: f"sha256:{rng.randrange(2000):064x}" for t in tags}
    digests["recommended"] = digests["w_2077_40"]
    tag_list = TagList(tags, digests)
    payload = MenuPayload("lab", menu=config, image="registry.example/lab")
    today = datetime.date(2077, 11, 1)
    bulk = build_menu(payload, tag_list, today=today)
    # A policy that is not RspPolicy itself takes the one-by-one path.
    one_by_one = build_menu(payload, tag_list, today=today, policy=_Wrapped())
    assert bulk.to_dict() == one_by_one.to_dict()
    assert bulk.order == one_by_one.order
    assert [d.message for d in bulk.diagnostics] == [d.message for d in one_by_one.diagnostics]
    # The same list again: the listing of last time, the same menu.
    assert build_menu(payload, tag_list, today=today).to_dict() == bulk.to_dict()


class _Wrapped:
    """The RSP policy behind another type: build_menu parses tag by tag."""

    name = POLICY.name
    categories = POLICY.categories
    ranked_keys = True

    def parse(self, tag):
        return POLICY.parse(tag)

    def alias(self, tag):
        return POLICY.alias(tag)
