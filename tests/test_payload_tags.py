"""Tag policies: the RSP grammar read as the platform reads it, the traps it warns about,
semver, calver and user-defined rules, and a total order independent of the input's."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envspec.payloads.policies.rules import SortSpec, TagRule
from envspec.payloads.tags import (
    PolicyConfig,
    categorize,
    make_policy,
    sort_tags,
)

RSP = make_policy(PolicyConfig("rsp"))


def order(tags: list[str], policy=RSP, **kwargs) -> list[str]:
    return [p.tag for p in sort_tags(policy, categorize(policy, tags, **kwargs))]


# ------------------------------------------------------------------ the platform's readings

# (tag, category, display name, version) as the platform's own tests and data give them.
PLATFORM = [
    ("r21_0_1", "release", "Release r21.0.1", "21.0.1"),
    ("r22_0_0_rc1", "candidate", "Release Candidate r22.0.0-rc1", "22.0.0-rc1"),
    ("w_2021_22", "weekly", "Weekly 2021_22", "2021.22.0"),
    ("d_2021_05_27", "daily", "Daily 2021_05_27", "2021.5.27"),
    ("exp_random", "experimental", "Experimental random", None),
    ("exp_random_c0027-amd64", "experimental", "Experimental random (SAL Cycle 0027) [amd64]",
     None),
    ("exp_w_2021_22_c0020.001_rsp19_foo-amd64", "experimental",
     "Experimental Weekly 2021_22 (SAL Cycle 0020, Build 001) (RSP Build 19) [foo] [amd64]",
     "2021.22.0"),
    ("w_2021_22_rsp19-arm64", "weekly", "Weekly 2021_22 (RSP Build 19) [arm64]", "2021.22.0"),
    ("not_a_normal_format", "unknown", "not_a_normal_format", None),
    ("MiXeD_CaSe_TaG", "unknown", "MiXeD_CaSe_TaG", None),
    ("latest-amd64", "unknown", "latest [amd64]", None),
    ("recommended_c0027", "unknown", "recommended (SAL Cycle 0027)", None),
    # The cycle after the RSP build is extra text (the platform's reading, with a warning).
    ("r23_0_0_rc1_rsp19_c0020.001_20210513", "candidate",
     "Release Candidate r23.0.0-rc1 (RSP Build 19) [c0020.001_20210513]", "23.0.0-rc1"),
    ("exp_tickets_DM-12345", "experimental", "Experimental tickets_DM [12345]", None),
    ("r170", "release", "Release r17.0.0", "17.0.0"),
    # No such week or day: not a weekly or daily at all.
    ("w_2021_60", "unknown", "w_2021_60", None),
    ("d_2021_02_30", "unknown", "d_2021_02_30", None),
    ("exp_", "unknown", "exp_", None),
]  # fmt: skip


@pytest.mark.parametrize(("tag", "category", "display", "version"), PLATFORM)
def test_rsp_reads_tags_as_the_platform_does(tag, category, display, version):
    parsed = RSP.parse(tag)
    assert (parsed.category, parsed.display, parsed.version_text) == (category, display, version)


def test_an_empty_tag_is_latest():
    assert RSP.parse("").tag == "latest"


def test_dates_weekly_is_the_iso_thursday():
    assert str(RSP.parse("w_2021_22").date) == "2021-06-03"
    assert str(RSP.parse("d_2021_05_27").date) == "2021-05-27"
    assert RSP.parse("r21_0_1").date is None


def test_cycles_stay_zero_padded_in_display_names_and_are_numbers_in_data():
    parsed = RSP.parse("w_2077_40_c0027.001")
    assert parsed.display == "Weekly 2077_40 (SAL Cycle 0027, Build 001)"
    assert (parsed.cycle, parsed.cycle_build) == (27, 1)


def test_aliases_by_configuration_are_title_cased_with_cycle_and_architecture():
    assert RSP.alias("recommended").display == "Recommended"
    assert RSP.alias("latest_weekly_c0046").display == "Latest Weekly (SAL Cycle 0046)"
    assert RSP.alias("latest_c0046-arm64").display == "Latest (SAL Cycle 0046) [arm64]"
    assert RSP.alias("latest-amd64").arch == "amd64"


@pytest.mark.parametrize("base", ["d_2021_05_27", "w_2021_22", "r22_0_0_rc1", "r21_0_1"])
@pytest.mark.parametrize("experimental", [True, False])
@pytest.mark.parametrize("cycle", [None, ("0020", "001")])
@pytest.mark.parametrize("build", [None, 19])
@pytest.mark.parametrize("extra", [None, "20210527", "random"])
@pytest.mark.parametrize("arch", [None, "amd64"])
def test_every_suffix_combination(base, experimental, cycle, build, extra, arch):
    expected = RSP.parse(base)
    tag, display = base, expected.display
    if experimental:
        tag, display = "exp_" + tag, "Experimental " + display
    if cycle:
        tag += f"_c{cycle[0]}.{cycle[1]}"
        display += f" (SAL Cycle {cycle[0]}, Build {cycle[1]})"
    if build:
        tag += f"_rsp{build}"
        display += f" (RSP Build {build})"
    if extra:
        tag += f"_{extra}"
        display += f" [{extra}]"
    if arch:
        tag += f"-{arch}"
        display += f" [{arch}]"
    parsed = RSP.parse(tag)
    assert parsed.display == display
    assert parsed.category == ("experimental" if experimental else expected.category)
    assert parsed.version == expected.version
    assert parsed.cycle == (int(cycle[0]) if cycle else None)
    assert parsed.build == build
    assert parsed.extra == extra
    assert parsed.arch == arch
    assert parsed.notes == ()


# ----------------------------------------------------------------------------- the order


def test_the_platforms_ascending_order_within_a_category():
    ascending = [
        "r21_0_1", "r21_0_1_rsp29", "r21_0_1_rsp103", "r21_0_1_rsp103_extra",
        "r21_0_1_rsp103_foo-amd64", "r21_0_1_rsp103_foo-arm64", "r21_0_1_rsp103_foo",
        "r21_0_1_c0031.004", "r21_0_1_c0031.004_rsp103", "r21_0_1_c0032.004_rsp102",
        "r21_0_1_c0032.004_rsp103", "r21_0_1_c0032.005_rsp101",
    ]  # fmt: skip
    shuffled = ascending[:]
    random.Random(1).shuffle(shuffled)  # noqa: S311
    assert order(shuffled) == ascending[::-1]


def test_the_platforms_menu_order_across_categories():
    expected = [
        "r21_0_1", "r20_0_1_c0027.001", "w_2077_46", "w_2077_46-amd64", "w_2077_45",
        "w_2077_44", "w_2077_43", "w_2077_42", "w_2077_40_c0027.001", "w_2077_40_c0026.001",
        "w_2077_40_c0026.001-amd64", "d_2077_10_21", "d_2077_10_20", "r22_0_1_rc1-arm64",
        "r22_0_0_rc1", "exp_w_2021_22", "recommended_c0027", "recommended",
        "latest_c0027-arm64", "latest-arm64",
    ]  # fmt: skip
    for seed in range(5):
        shuffled = expected[:]
        random.Random(seed).shuffle(shuffled)  # noqa: S311
        assert order(shuffled) == expected


def test_experimental_versionless_first_then_by_text():
    # As the platform: a version-less experimental sorts above a versioned one.
    assert order(["exp_w_2021_22", "exp_20230209", "exp_random"]) == [
        "exp_random", "exp_20230209", "exp_w_2021_22",
    ]  # fmt: skip


def test_weeklies_compare_as_numbers_not_text():
    assert order(["w_2024_9", "w_2024_10", "w_2023_52"]) == ["w_2024_10", "w_2024_9", "w_2023_52"]
    assert order(["r9_0_0", "r10_0_0", "r22_0_0_rc9", "r22_0_0_rc10"]) == [
        "r10_0_0", "r9_0_0", "r22_0_0_rc10", "r22_0_0_rc9",
    ]  # fmt: skip


# --------------------------------------------------------------------------------- traps


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("r23_0_0_rc1_rsp19_c0020.001_20210513", "tag-cycle-as-extra"),
        ("w_2024_10_rsp19_c0020.001", "tag-cycle-as-extra"),
        ("w_2024_10_c0020", "tag-cycle-as-extra"),
        ("exp_tickets_DM-12345", "tag-arch-unknown"),
        ("w_2024_10-foo", "tag-arch-unknown"),
        ("exp_w_2024_10_rsp1_c0020.001", "tag-cycle-as-extra"),
    ],
)
def test_traps_are_noted(tag, code):
    notes = RSP.parse(tag).notes
    assert [n.code for n in notes] == [code]
    assert repr(tag) in notes[0].message


@pytest.mark.parametrize("tag", ["w_2024_10_c0020.001_rsp19", "w_2024_10-arm64", "r21_0_1"])
def test_no_note_where_the_grammar_is_followed(tag):
    assert RSP.parse(tag).notes == ()


# -------------------------------------------------------------- semver, calver and rules


def test_semver_precedence_and_architectures():
    semver = make_policy(PolicyConfig("semver"))
    tags = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
            "1.0.0", "v1.10.0", "1.2.3-arm64", "1.2.3", "latest", "1.0"]  # fmt: skip
    assert order(tags, semver) == [
        "v1.10.0", "1.2.3", "1.2.3-arm64", "1.0.0",
        "1.0.0-rc.1", "1.0.0-beta.11", "1.0.0-beta.2", "1.0.0-alpha.1", "1.0.0-alpha",
        "latest", "1.0",
    ]  # fmt: skip
    assert semver.parse("1.2.3-arm64").arch == "arm64"
    assert semver.parse("1.2.3-rc.1").category == "prerelease"


def test_semver_prefix():
    semver = make_policy(PolicyConfig("semver", prefix="release-"))
    assert semver.parse("release-1.2.3").version == (1, 2, 3)
    assert semver.parse("1.2.3").category == "unknown"


def test_calver():
    calver = make_policy(PolicyConfig("calver"))
    assert order(["2024.05", "2024.05.17", "2023.12.01", "2024.05.17.2", "2024.05.17-rc1"],
                 calver) == ["2024.05.17.2", "2024.05.17", "2024.05", "2023.12.01",
                             "2024.05.17-rc1"]  # fmt: skip
    assert str(calver.parse("2024.05.17").date) == "2024-05-17"
    assert calver.parse("2024.13").category == "unknown"


def test_user_rules_first_match_sort_keys_and_display():
    rules = make_policy(
        PolicyConfig(
            "rules",
            (
                TagRule(r"nightly-(?P<date>\d{8})(?:-(?P<arch>amd64|arm64))?", "nightly",
                        (SortSpec("date", "date"),), "Nightly {date}"),
                TagRule(r"v(?P<v>\d+(?:\.\d+)*)", "release", (SortSpec("v", "version"),),
                        "Release {v}"),
                TagRule(r"(?P<name>[a-z]+)-(?P<n>\d+)", "branch",
                        (SortSpec("name", "str", "asc"), SortSpec("n", "int"))),
            ),
            categories=("release", "nightly"),
        )
    )  # fmt: skip
    assert [c.name for c in rules.categories] == ["alias", "release", "nightly", "branch",
                                                  "unknown"]  # fmt: skip
    tags = ["nightly-20240102", "v1.2", "v1.10", "nightly-20231231", "foo", "v1.2.1",
            "nightly-20240102-arm64", "beta-2", "alpha-10", "alpha-9"]  # fmt: skip
    assert order(tags, rules) == [
        "v1.10", "v1.2.1", "v1.2", "nightly-20240102", "nightly-20240102-arm64",
        "nightly-20231231", "alpha-10", "alpha-9", "beta-2", "foo",
    ]  # fmt: skip
    nightly = rules.parse("nightly-20240102")
    assert (nightly.display, str(nightly.date)) == ("Nightly 20240102", "2024-01-02")
    assert rules.parse("v1.10").version == (1, 10)
    assert rules.parse("alpha-9").display == "alpha-9"


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="unknown tag policy"):
        make_policy(PolicyConfig("nope"))


# ---------------------------------------------------------------------- property tests

_ARCH = st.sampled_from([None, None, "amd64", "arm64", "foo", "x86"])
_NUM = st.integers(0, 120)


@st.composite
def rsp_tags(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["r", "rc", "w", "d", "exp", "alias", "junk", "old"]))
    if kind == "r":
        tag = f"r{draw(_NUM)}_{draw(_NUM)}_{draw(_NUM)}"
    elif kind == "rc":
        tag = f"r{draw(_NUM)}_{draw(_NUM)}_{draw(_NUM)}_rc{draw(st.integers(1, 12))}"
    elif kind == "w":
        tag = f"w_{draw(st.integers(2015, 2080))}_{draw(st.integers(0, 54)):02d}"
    elif kind == "d":
        tag = (f"d_{draw(st.integers(2015, 2080))}_{draw(st.integers(0, 13)):02d}_"
               f"{draw(st.integers(0, 32)):02d}")  # fmt: skip
    elif kind == "old":
        tag = f"r{draw(st.integers(10, 99))}{draw(st.integers(0, 9))}"
    elif kind == "exp":
        tag = "exp_" + draw(st.sampled_from(["w_2021_22", "random", "DM_1", "r21_0_1_rc2", "x"]))
    elif kind == "alias":
        tag = draw(st.sampled_from(["recommended", "latest", "latest_weekly", "stable"]))
    else:
        tag = draw(st.sampled_from("aZ9_wdre")) + draw(
            st.text(alphabet="abcwdrXYZ0129_.-", max_size=20)
        )
    if kind not in ("alias", "junk", "old"):
        if draw(st.booleans()):
            tag += f"_c{draw(st.integers(0, 9999)):04d}.{draw(st.integers(0, 999)):03d}"
        if draw(st.booleans()):
            tag += f"_rsp{draw(st.integers(0, 300))}"
        if draw(st.integers(0, 4)) == 0:
            tag += "_" + draw(st.sampled_from(["extra", "20210527", "c0020.001", "a_b"]))
    elif kind == "alias" and draw(st.booleans()):
        tag += f"_c{draw(st.integers(0, 99)):04d}"
    arch = draw(_ARCH)
    return tag + (f"-{arch}" if arch else "")


@settings(max_examples=150)
@given(st.lists(rsp_tags(), min_size=1, max_size=30, unique=True), st.randoms())
def test_order_is_total_stable_and_independent_of_input_order(tags, rnd):
    aliases = {"recommended"}
    first = order(tags, aliases=aliases)
    shuffled = tags[:]
    rnd.shuffle(shuffled)
    assert order(shuffled, aliases=aliases) == first
    assert order(first, aliases=aliases) == first
    assert sorted(first) == sorted(tags)
    # Every pair of tags of one category compares one way only (keys never tie).
    parsed = categorize(RSP, tags, aliases=aliases)
    keys = [(p.category, p.key) for p in parsed]
    assert len(set(keys)) == len(keys)


@settings(max_examples=150)
@given(st.lists(rsp_tags(), min_size=1, max_size=30, unique=True))
def test_newest_first_within_each_category(tags):
    ordered = sort_tags(RSP, categorize(RSP, tags))
    rank = {c.name: i for i, c in enumerate(RSP.categories)}
    assert [rank[p.category] for p in ordered] == sorted(rank[p.category] for p in ordered)
    for a, b in itertools.pairwise(ordered):
        same = a.category == b.category != "experimental"
        if same and a.version is not None and b.version is not None:
            assert a.version >= b.version


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_any_text_parses_without_error(text):
    for name in ("rsp", "semver", "calver"):
        parsed = make_policy(PolicyConfig(name)).parse(text)
        assert parsed.category
        assert isinstance(parsed.display, str)


def test_thousands_of_generated_tags_sort_the_same_from_any_input_order():
    rng = random.Random(13)  # noqa: S311 - repeatable test data
    tags: set[str] = set()
    while len(tags) < 5000:
        kind = rng.randrange(6)
        arch = rng.choice(["", "", "-amd64", "-arm64"])
        if kind == 0:
            tags.add(f"r{rng.randrange(15, 30)}_{rng.randrange(5)}_{rng.randrange(5)}{arch}")
        elif kind == 1:
            tags.add(f"w_{rng.randrange(2015, 2030)}_{rng.randrange(1, 53):02d}"
                     f"_c{rng.randrange(30, 40):04d}.{rng.randrange(1, 4):03d}{arch}")  # fmt: skip
        elif kind == 2:
            tags.add(f"d_{rng.randrange(2015, 2030)}_{rng.randrange(1, 13):02d}_"
                     f"{rng.randrange(1, 29):02d}_rsp{rng.randrange(1, 40)}{arch}")  # fmt: skip
        elif kind == 3:
            tags.add(f"exp_{rng.choice(['w_2021_22', 'random', 'x'])}{rng.randrange(1000)}")
        elif kind == 4:
            tags.add(f"r{rng.randrange(15, 30)}_0_0_rc{rng.randrange(1, 12)}{arch}")
        else:
            tags.add(f"custom{rng.randrange(10**6)}{arch}")
    listed = sorted(tags)
    first = order(listed)
    for _ in range(3):
        rng.shuffle(listed)
        assert order(listed) == first
    weeklies = [t for t in first if t.startswith("w_") and "-" not in t]
    years_weeks = [tuple(int(x) for x in t.split("_")[1:3]) for t in weeklies]
    assert years_weeks == sorted(years_weeks, reverse=True)
