"""The fast reading of a tag list: whole lists of well-formed lines are read at C speed,
and any list it refuses is read line by line, with the same result for the lines that
are fine."""

from __future__ import annotations

import pytest

from envspec.payloads.tags import read_tag_list

GOOD = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:" + "0123456789ABCDEF" * 4,  # upper case: read, then written in lower case
        "sha257:" + "0" * 64,  # another algorithm name
        "sha256-" + "0" * 64,  # no colon
        "sha256:" + "0" * 63 + "g",  # not hex
        "sha256:" + "0" * 63 + "é",  # not ASCII
        "0sha256:" + "0" * 63,  # the prefix moved: the length and letters are right
        "sha256:" + "0" * 65,  # one digit too many
        "sha256:" + "0" * 40,  # a shorter digest, still a digest
    ],
)
def test_a_list_with_one_unusual_digest_reads_as_line_by_line(digest: str) -> None:
    text = f"r23_0_0 {GOOD}\nw_2021_13 {digest}\nd_2021_05_13 {GOOD}\n"
    fast = read_tag_list(text, "tags.txt")
    # The same lines read one by one (a comment line turns the fast path off).
    slow = read_tag_list("# the same list\n" + text, "tags.txt")
    assert fast.tags == slow.tags
    assert fast.digest_of == slow.digest_of
    assert [d.message for d in fast.diagnostics] == [
        d.message.replace("line 3", "line 2") for d in slow.diagnostics
    ]


def test_a_clean_list_keeps_its_order_and_digests() -> None:
    lines = [f"d_2021_05_{day:02d} sha256:{day:064x}" for day in range(28, 0, -1)]
    result = read_tag_list("\n".join(lines))
    assert result.tags == [line.split()[0] for line in lines]
    assert result.digest_of["d_2021_05_01"] == f"sha256:{1:064x}"
    assert result.diagnostics == []


def test_a_repeated_tag_is_kept_once_with_its_first_digest() -> None:
    result = read_tag_list(f"latest {GOOD}\nlatest sha256:{'1' * 64}\n")
    assert result.tags == ["latest"]
    assert result.digest_of == {"latest": GOOD}
