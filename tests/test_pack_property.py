"""Pack then unpack gives back every byte, whatever the text (property-based)."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

import nbformat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envspec.pack import pack_paths
from envspec.unpack import unpack_notebook

NAMES = [
    "requirements.txt",
    "environment.yml",
    "postBuild",
    "apt.txt",
    "Dockerfile",
    "manifest.scm",
]
EXECUTABLE = {"postBuild", "start"}

# Any code point that UTF-8 can carry: surrogates (category Cs) cannot be written to a file.
characters = st.characters(exclude_categories=("Cs",))
line = st.one_of(
    st.text(characters, max_size=40),
    st.text(st.sampled_from("aé\U0001d518 \t#=\\\"'{}[]:-\x00\x7f\u2028\ufeff"), max_size=40),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["x", "é", "\U0001d518"]), st.integers(1000, 20_000)
    ),
)
ending = st.sampled_from(["\n", "\r\n", "\r", ""])
content = st.one_of(
    st.just(""),
    st.lists(st.tuples(line, ending), max_size=12).map(
        lambda parts: "".join(text + end for text, end in parts)
    ),
)


def _notebook(path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "P", "language": "python"}
    nbformat.write(notebook, path)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(files=st.dictionaries(st.sampled_from(NAMES), content, min_size=1, max_size=len(NAMES)))
def test_pack_then_unpack_gives_the_same_bytes_and_modes(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "source")
        source.mkdir()
        for name, text in files.items():
            (source / name).write_bytes(text.encode("utf-8"))
        notebook = source / "nb.ipynb"
        _notebook(notebook)

        [outcome] = pack_paths([notebook], check_dirty=False)
        assert outcome.status == "packed", outcome.diagnostics
        assert outcome.written

        target = Path(tmp, "target")
        result = unpack_notebook(notebook, target)
        assert result.ok, result.diagnostics
        assert sorted(result.written) == sorted(files)
        for name, text in files.items():
            written = target / name
            assert written.read_bytes() == text.encode("utf-8"), name
            expected = 0o755 if name in EXECUTABLE else 0o644
            assert stat.S_IMODE(written.stat().st_mode) == expected, name

        # Packing again is a no-op: the embedded text survived the notebook's JSON exactly.
        [again] = pack_paths([notebook], check_dirty=False)
        assert again.status == "unchanged"
