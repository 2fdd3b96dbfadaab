"""Menus (prepull set, radio list, dropdown, aliases by digest, bot names) and which image
launches (interface ranges, maintenance rebuilds)."""

from __future__ import annotations

import datetime

import pytest

from envspec.payloads.compatibility import ImageCompat, InterfaceRange, choose_image
from envspec.payloads.menu import (
    CategoryFilter,
    MenuConfig,
    MenuPayload,
    build_menu,
    build_menus,
    parse_age,
)
from envspec.payloads.tags import PolicyConfig, TagList, read_tag_list

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64

COLLECTION = [
    "r21_0_1", "r20_0_1_c0027.001", "w_2077_46", "w_2077_46-amd64", "w_2077_45",
    "w_2077_44", "w_2077_43", "w_2077_42", "w_2077_40_c0027.001", "w_2077_40_c0026.001",
    "w_2077_40_c0026.001-amd64", "d_2077_10_21", "d_2077_10_20", "r22_0_1_rc1-arm64",
    "r22_0_0_rc1", "exp_w_2021_22", "recommended_c0027", "recommended",
    "latest_c0027-arm64", "latest-arm64",
]  # fmt: skip


def menu_of(tags, today=None, **config):
    payload = MenuPayload("lab", menu=MenuConfig(**config), image="docker.io/org/lab")
    return build_menu(payload, tags if isinstance(tags, TagList) else TagList(list(tags)),
                      today=today)  # fmt: skip


def test_prepull_counts_per_category_without_architecture_variants():
    menu = menu_of(COLLECTION, prepull={"release": 1, "weekly": 3, "daily": 1})
    assert menu.prepull == ["recommended", "r21_0_1", "w_2077_46", "w_2077_45", "w_2077_44",
                            "d_2077_10_21"]  # fmt: skip
    assert menu.default == "recommended"
    assert menu.menu[0].tag == "recommended"
    assert menu.bots == {
        "recommended": "recommended",
        "latest-release": "r21_0_1",
        "latest-weekly": "w_2077_46",
        "latest-daily": "d_2077_10_21",
    }


def test_prepull_one_per_category_exactly():
    menu = menu_of(COLLECTION, recommended=None, prepull={"weekly": 2})
    assert menu.prepull == ["w_2077_46", "w_2077_45"]
    assert menu.default == "w_2077_46"


def test_cycle_restriction_keeps_the_recommended_tag():
    menu = menu_of(COLLECTION, cycle=27, prepull={"release": 5, "weekly": 5})
    assert menu.prepull == ["recommended", "r20_0_1_c0027.001", "w_2077_40_c0027.001"]
    assert "w_2077_46" not in menu.dropdown
    assert "recommended_c0027" in menu.dropdown


def test_alias_resolved_by_digest_and_shown_with_its_target():
    text = f"recommended {D1}\nw_2077_43_c0050.002 {D1}\nw_2077_42 {D2}\nlatest {D3}\n"
    menu = menu_of(read_tag_list(text), aliases=("latest",), prepull={"weekly": 2})
    assert menu.aliases == {"recommended": "w_2077_43_c0050.002", "latest": None}
    first = menu.menu[0]
    assert first.display == "Recommended (Weekly 2077_43, SAL Cycle 0050, Build 002)"
    assert first.reference == f"docker.io/org/lab:recommended@{D1}"
    # The image the recommended alias shows is not listed twice.
    assert [e.tag for e in menu.menu] == ["recommended", "w_2077_42"]
    assert menu.bots["recommended"] == "w_2077_43_c0050.002"
    assert [d.code for d in menu.diagnostics] == ["tag-alias-by-configuration"]
    assert "'latest'" in menu.diagnostics[0].message


def test_alias_prefers_the_generic_image_and_drops_a_shared_architecture():
    text = f"latest-amd64 {D1}\nw_2077_43-amd64 {D1}\nrecommended {D2}\nw_2077_44 {D2}\n"
    text += f"w_2077_44-amd64 {D2}\n"
    menu = menu_of(read_tag_list(text), aliases=("latest-amd64",))
    assert menu.aliases["recommended"] == "w_2077_44"
    assert menu.entry("latest-amd64").display == "Latest [amd64] (Weekly 2077_43)"


def test_unknown_tag_sharing_a_digest_with_a_known_one_is_an_alias():
    menu = menu_of(read_tag_list(f"stable {D1}\nr21_0_1 {D1}\n"), recommended=None)
    assert menu.aliases == {"stable": "r21_0_1"}
    assert menu.entry("stable").display == "Stable (Release r21.0.1)"


def test_pins_are_prepulled_and_missing_ones_reported():
    menu = menu_of(COLLECTION, pins=("w_2077_40_c0026.001", "r1_0_0"), prepull={})
    assert menu.prepull == ["recommended", "w_2077_40_c0026.001"]
    # The list has no digests: which image "recommended" shows is not known.
    assert [d.code for d in menu.diagnostics] == ["tag-alias-by-configuration", "menu-tag-missing"]
    assert "'r1_0_0'" in menu.diagnostics[1].message


def test_dropdown_filters_number_age_version_date():
    tags = [f"w_2077_{w:02d}" for w in range(1, 40)]
    tags += [f"r{n}_0_0" for n in range(20, 30)]
    tags += ["d_2077_09_01", "d_2077_09_20", "exp_w_2077_30", "exp_w_2077_10", "exp_x"]
    tags += ["r28_0_0_rc1", "r27_0_0_rc1", "odd_tag", "recommended"]
    menu = menu_of(
        tags,
        today=datetime.date(2077, 9, 30),
        dropdown={
            "weekly": CategoryFilter(number=3),
            "release": CategoryFilter(cutoff_version="27.0.0"),
            "daily": CategoryFilter(cutoff_date=datetime.date(2077, 9, 15)),
            "experimental": CategoryFilter(age="3w"),
            "candidate": CategoryFilter(cutoff_version="28"),
            "unknown": CategoryFilter(number=0),
        },
    )
    assert menu.dropdown == [
        "recommended", "r29_0_0", "r28_0_0", "r27_0_0", "w_2077_39", "w_2077_38",
        "w_2077_37", "d_2077_09_20", "r28_0_0_rc1", "exp_x", "odd_tag",
    ]  # fmt: skip


def test_an_age_filter_needs_the_reference_date():
    with pytest.raises(ValueError, match="reference date"):
        menu_of(["exp_w_2077_30"], dropdown={"experimental": CategoryFilter(age="3w")})
    assert parse_age("1w2d") == datetime.timedelta(days=9)
    with pytest.raises(ValueError, match="not an age"):
        parse_age("soon")


def test_architecture_variants_listed_only_when_asked():
    assert "w_2077_46-amd64" not in menu_of(COLLECTION).dropdown
    shown = menu_of(COLLECTION, hide_architectures=False)
    assert "w_2077_46-amd64" in shown.dropdown
    assert "w_2077_46-amd64" not in shown.prepull


def test_bot_names_configured():
    menu = menu_of(COLLECTION, bot_names={"newest-rc": ("latest", "candidate"),
                                          "rec": ("tag", "recommended")},
                   prepull={"candidate": 1})  # fmt: skip
    assert menu.bots == {"newest-rc": "r22_0_0_rc1", "rec": "recommended"}


def test_several_payloads_each_with_its_own_policy():
    rsp = MenuPayload("rsp")
    semver = MenuPayload("py", policy=PolicyConfig("semver"),
                         menu=MenuConfig(recommended=None, prepull={"release": 2}))  # fmt: skip
    menus = build_menus([
        (rsp, TagList(["w_2077_01", "recommended"])),
        (semver, TagList(["1.2.0", "1.10.0", "1.9.9", "2.0.0-rc.1"])),
    ])  # fmt: skip
    assert [m.payload for m in menus] == ["rsp", "py"]
    assert menus[1].prepull == ["1.10.0", "1.9.9"]
    assert menus[1].bots == {"latest-release": "1.10.0"}
    assert menus[1].categories == ["release", "prerelease"]


def test_menu_json_form():
    data = menu_of(read_tag_list(f"recommended {D1}\nr21_0_1 {D1}\n")).to_dict()
    assert data["default"] == "recommended"
    assert data["dropdown"][0]["target"] == "r21_0_1"
    assert set(data) == {"payload", "title", "default", "categories", "menu", "prepull",
                         "dropdown", "bots", "aliases"}  # fmt: skip


# ------------------------------------------------------------------------------ tag lists


def test_tag_list_garbage_is_reported_by_line_and_capped():
    lines = [f"r2{i % 10}_0_{i}" for i in range(50)]
    lines += ["not a tag at all!", "\x00\x01binary", "w_2077_01 sha256:zz", "#comment", ""]
    lines += ["§" * 300] * 100_000
    tag_list = read_tag_list("\n".join(lines))
    assert len(tag_list.tags) == 50
    diagnostics = tag_list.diagnostics
    assert len(diagnostics) == 21
    assert {d.code for d in diagnostics} == {"tag-list-invalid"}
    assert diagnostics[0].line == 51
    assert "expected 'TAG [DIGEST]'" in diagnostics[0].message
    assert diagnostics[2].line == 53
    assert "is not a digest" in diagnostics[2].message
    assert "100003" in diagnostics[-1].message.replace(" ", "") or "more lines" in (
        diagnostics[-1].message
    )
    assert all(len(d.message) < 200 for d in diagnostics)


def test_tag_list_fast_and_slow_paths_agree():
    good = f"w_2077_01 {D1}\nw_2077_02 {D2}\n"
    assert read_tag_list(good).digests() == {"w_2077_01": D1, "w_2077_02": D2}
    messy = f"  w_2077_01   {D1}  \n\n# c\nw_2077_02\nw_2077_01 {D2}\n"
    tag_list = read_tag_list(messy)
    assert tag_list.tags == ["w_2077_01", "w_2077_02"]
    assert tag_list.digests() == {"w_2077_01": D1}
    assert read_tag_list("").tags == []
    upper = read_tag_list("w_1 sha256:" + "A" * 64)
    assert upper.digests() == {"w_1": "sha256:" + "a" * 64}


# ---------------------------------------------------------------------- compatibility

IMAGES = {
    "r23_0_2": ImageCompat("r23_0_2", "1.0"),
    "r23_0_2_rsp1": ImageCompat("r23_0_2_rsp1", "2.0", "r23_0_2"),
    "r23_0_2_rsp2": ImageCompat("r23_0_2_rsp2", "2.1", "r23_0_2"),
    "r23_0_2_rsp3": ImageCompat("r23_0_2_rsp3", "3.0", "r23_0_2_rsp2"),
    "r30_0_0": ImageCompat("r30_0_0", "3.0"),
}


def newest(tags):
    return sorted(tags, reverse=True)


@pytest.mark.parametrize(
    ("supported", "requested", "launch", "rebuild"),
    [
        ("2.0..2", "r23_0_2", "r23_0_2_rsp2", True),
        ("1.0..3", "r23_0_2", "r23_0_2_rsp3", True),
        ("1.0..1", "r23_0_2", "r23_0_2", False),
        ("2.0..2.0", "r23_0_2", "r23_0_2_rsp1", True),
        ("2.0..3", "r30_0_0", "r30_0_0", False),
    ],
)
def test_the_newest_supported_rebuild_launches(supported, requested, launch, rebuild):
    decision = choose_image(requested, IMAGES, InterfaceRange.parse(supported),
                            newest_first=newest)  # fmt: skip
    assert (decision.launch, decision.rebuild) == (launch, rebuild)
    assert decision.diagnostics == []


def test_an_image_whose_interface_is_too_new_is_refused():
    decision = choose_image("r30_0_0", IMAGES, InterfaceRange.parse("1.0..2"))
    assert decision.launch is None
    assert [d.code for d in decision.diagnostics] == ["lab-interface-too-new"]
    assert "3.0" in decision.diagnostics[0].message


def test_an_image_too_old_without_a_usable_rebuild_is_refused():
    decision = choose_image("r23_0_2", IMAGES, InterfaceRange.parse("4.0..4"))
    assert [d.code for d in decision.diagnostics] == ["lab-interface-too-old"]
    assert [t for t, _, _ in decision.considered] == [
        "r23_0_2_rsp3", "r23_0_2_rsp2", "r23_0_2_rsp1", "r23_0_2",
    ]  # fmt: skip
    decision = choose_image("r23_0_2", {"r23_0_2": IMAGES["r23_0_2"]},
                            InterfaceRange.parse("2.0..3"))  # fmt: skip
    assert [d.code for d in decision.diagnostics] == ["lab-interface-too-old"]


def test_undeclared_interfaces_use_the_payloads_then_launch():
    assert choose_image("w_1", {}, InterfaceRange.parse("1..2")).launch == "w_1"
    refused = choose_image("w_1", {}, InterfaceRange.parse("1..2"), default_interface="3.0")
    assert refused.launch is None


def test_interface_ranges():
    assert InterfaceRange.parse("2").compare("2.5") == 0
    assert InterfaceRange.parse("2.1..2").compare("2.0") == -1
    with pytest.raises(ValueError, match="not an interface version"):
        InterfaceRange.parse("two")
