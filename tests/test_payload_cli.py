"""``envspec payload tags`` and ``envspec payload menu`` as a user runs them."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from envspec._codes import CODES
from envspec.cli.main import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "payloads"
D1 = "sha256:" + "1" * 64
TAGS = f"""\
# a registry listing
r27_0_0 sha256:3c4677b526a94aef6b2880722e42aa0adc50f7b964fe66900b8133bda29b3ebc
r23_0_2
r23_0_2_rsp1
w_2024_38_c0038.001 {D1}
w_2024_37_c0038.001
w_2024_37_c0038.001-arm64
recommended {D1}
d_2024_09_20_c0038.001
"""


def run(*argv: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main(list(argv), stdout=out, stderr=err)
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def rsp(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES / "rsp-pipelines.payload.yaml", tmp_path)
    (tmp_path / "tags.txt").write_text(TAGS)
    return tmp_path / "rsp-pipelines.payload.yaml"


def test_tags_table_in_menu_order(rsp):
    status, out, err = run("payload", "tags", str(rsp), "--tags", str(rsp.parent / "tags.txt"))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["TAG", "CATEGORY", "DISPLAY"]
    assert [line.split()[0] for line in lines[1:]] == [
        "recommended", "r27_0_0", "r23_0_2_rsp1", "r23_0_2", "w_2024_38_c0038.001",
        "w_2024_37_c0038.001", "w_2024_37_c0038.001-arm64", "d_2024_09_20_c0038.001",
    ]  # fmt: skip
    assert "Recommended (Weekly 2024_38, SAL Cycle 0038, Build 001)" in out
    assert err == ""


def test_tags_json_with_launch_decisions(rsp):
    status, out, _ = run("payload", "tags", str(rsp), "--tags", str(rsp.parent / "tags.txt"),
                         "--format", "json", "--interface", "2.0..2")  # fmt: skip
    assert status == 0
    data = json.loads(out)
    by_tag = {row["tag"]: row for row in data["tags"]}
    assert by_tag["r23_0_2"]["launch"]["launch"] == "r23_0_2_rsp1"
    assert by_tag["r23_0_2"]["launch"]["rebuild"] is True
    assert by_tag["w_2024_38_c0038.001"]["date"] == "2024-09-19"
    assert data["policy"] == "rsp"


def test_tags_refused_by_interface_is_an_error(rsp):
    status, out, err = run("payload", "tags", str(rsp), "--tags", str(rsp.parent / "tags.txt"),
                           "--interface", "3.0..3")  # fmt: skip
    assert status == 1
    assert "error[lab-interface-too-old]" in err
    assert "(refused)" in out


def test_tags_from_stdin_and_without_a_list(rsp, monkeypatch):
    status, out, _ = run("payload", "tags", str(rsp), "--tags", "-", stdin="w_2024_01\n",
                         monkeypatch=monkeypatch)  # fmt: skip
    assert status == 0
    assert "Weekly 2024_01" in out
    status, out, _ = run("payload", "tags", str(rsp))
    assert status == 0
    assert "r23_0_2_rsp1" in out
    assert "latest_weekly" in out


def test_a_garbage_tag_list_is_reported_by_line_capped_and_exits_1(rsp, monkeypatch):
    garbage = "w_2024_01\n" + "".join(f"junk line {i} !!\n" for i in range(100_000))
    status, out, err = run("payload", "tags", str(rsp), "--tags", "-", stdin=garbage,
                           monkeypatch=monkeypatch)  # fmt: skip
    assert status == 1
    assert "<stdin>:2: error[tag-list-invalid] line 2:" in err
    assert err.count("error[tag-list-invalid]") == 21
    assert "99980 more lines" in err
    assert len(err) < 10_000
    assert "w_2024_01" in out


def test_binary_tag_list(rsp):
    (rsp.parent / "bin.txt").write_bytes(bytes(range(256)) * 50)
    status, _, err = run("payload", "tags", str(rsp), "--tags", str(rsp.parent / "bin.txt"))
    assert status == 1
    assert "error[tag-list-invalid]" in err


def test_many_trap_warnings_are_capped(rsp, monkeypatch):
    tags = "".join(f"exp_ticket_{i}-DM{i}\n".lower() for i in range(500))
    status, _, err = run("payload", "tags", str(rsp), "--tags", "-", stdin=tags,
                         monkeypatch=monkeypatch)  # fmt: skip
    assert status == 0
    assert err.count("warning[tag-arch-unknown]") == 21
    assert "480 more tags like these (500 in all)" in err


def test_menu_json_and_yaml(rsp):
    tags = str(rsp.parent / "tags.txt")
    status, out, err = run("payload", "menu", str(rsp), "--tags", tags, "--today", "2024-10-01")
    assert status == 0
    data = json.loads(out)
    menu = data["payloads"][0]
    assert data["default"] == "rsp-pipelines"
    assert menu["default"] == "recommended"
    assert menu["prepull"] == ["recommended", "w_2024_38_c0038.001", "w_2024_37_c0038.001",
                               "d_2024_09_20_c0038.001"]  # fmt: skip
    assert menu["bots"]["recommended"] == "w_2024_38_c0038.001"
    # The pinned release is not of cycle 38: reported, not listed.
    assert "warning[menu-tag-missing] 'r27_0_0'" in err
    status, out, _ = run("payload", "menu", str(rsp), "--tags", tags, "--format", "yaml",
                         "--today", "2024-10-01")  # fmt: skip
    assert status == 0
    assert "default: rsp-pipelines" in out
    assert "- recommended" in out


def test_menu_of_a_deployment_with_a_list_per_payload(tmp_path):
    for path in EXAMPLES.iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path)
        else:
            shutil.copytree(path, tmp_path / path.name)
    (tmp_path / "rsp.txt").write_text(TAGS)
    (tmp_path / "all.txt").write_text("1.2.0\n1.10.0\n2024.01\n")
    status, out, err = run(
        "payload", "menu", str(tmp_path / "platform.payload.yaml"),
        "--tags", f"rsp-pipelines={tmp_path / 'rsp.txt'}",
        "--tags", str(tmp_path / "all.txt"), "--today", "2024-10-01",
    )  # fmt: skip
    assert status == 0, err
    data = json.loads(out)
    assert next(m["payload"] for m in data["payloads"]) == "rsp-pipelines"
    assert len(data["payloads"]) == 4
    assert data["payloads"][0]["prepull"][0] == "recommended"


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["menu", "{p}", "--tags", "{t}", "--today", "yesterday"], 2, "is not a date"),
        (["menu", "{p}", "--tags", "nope=x.txt"], 2, "no payload 'nope'"),
        (["menu", "{p}", "--tags", "{d}/missing.txt"], 1, "missing.txt"),
        (["tags", "{p}", "--interface", "one..two"], 2, "--interface"),
        (["tags", "{d}/nothing.payload.yaml"], 2, "nothing.payload.yaml"),
        (["tags", "{p}", "--payload", "other"], 2, "no payload 'other'"),
        (["menu", "{p}"], 2, "--tags"),
    ],
)
def test_usage_and_file_errors(rsp, argv, status, message):
    values = {"p": str(rsp), "t": str(rsp.parent / "tags.txt"), "d": str(rsp.parent)}
    got, _out, err = run("payload", *[a.format(**values) for a in argv])
    assert got == status
    assert message in err


def test_an_invalid_payload_is_not_read(tmp_path):
    bad = tmp_path / "bad.payload.yaml"
    bad.write_text('payload_ver: "1.0"\nname: Bad Name\n')
    status, out, err = run("payload", "tags", str(bad))
    assert status == 1
    assert out == ""
    assert "error[" in err


# -------------------------------------------------- every registered code, from its example

TAG_CODES = [
    info for info in CODES.values() if {"payload-tags", "payload-menu"} & set(info.example_options)
]


def test_the_tag_codes_are_registered():
    assert {i.code for i in TAG_CODES} == {
        "tag-list-invalid", "tag-cycle-as-extra", "tag-arch-unknown",
        "tag-alias-by-configuration", "menu-tag-missing", "lab-interface-too-new",
        "lab-interface-too-old",
    }  # fmt: skip


@pytest.mark.parametrize("info", TAG_CODES, ids=lambda i: i.code)
def test_every_tag_code_example_reports_its_code(info, tmp_path):
    path = tmp_path / info.example_file
    path.write_text(info.example)
    options = dict(o.partition("=")[::2] for o in info.example_options)
    (tmp_path / "tags.txt").write_text(options["tags"] + "\n")
    command = "tags" if "payload-tags" in options else "menu"
    argv = ["payload", command, str(path), "--tags", str(tmp_path / "tags.txt")]
    if "interface" in options:
        argv += ["--interface", options["interface"]]
    status, _out, err = run(*argv)
    assert f"{info.severity}[{info.code}]" in err, err
    assert status == (1 if info.severity == "error" else 0), err
