"""The ``guix`` format: manifest.scm / channels.scm out, manifests back in.

Every file written is read back by a real Scheme reader, Debian's ``guile-3.0`` (``.ci/run``
installs it when missing); no Guix file is ever run, only read.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from envspec.cli.main import main
from envspec.formats._guix_names import (
    conda_guix_name,
    exceptions,
    guix_name,
    normalize,
    python_name,
)
from envspec.formats._scheme_data import SchemeReadError, SString, read_data

EXAMPLE = Path(__file__).parent.parent / "examples" / "formats" / "guix"
COMMIT = "0123456789abcdef" * 2 + "01234567"
ENV = """\
env_ver: "1.0"
python: "3.12"
files:
  requirements.txt: |
    numpy>=1.26
    Scikit_Learn
    torch==2.3; sys_platform == "linux"
    requests[socks]
    ruamel.yaml
    python-dateutil
    --pre
  environment.yml: |
    channels: [conda-forge]
    dependencies:
      - python=3.12
      - r-base
      - r-ggplot2>=3.4
      - pip:
        - opencv-python
"""


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue() + err.getvalue()


def guile() -> str:
    found = shutil.which("guile-3.0") or shutil.which("guile")
    assert found, "Debian's guile-3.0 is needed (apt-get install guile-3.0; .ci/run does it)"
    return found


# Reads every top-level form with Guile's own reader and writes each back as one line.
_READ_ALL = """
(use-modules (ice-9 match))
(define (read-all file)
  (call-with-input-file file
    (lambda (port)
      (let loop ((form (read port)))
        (unless (eof-object? form)
          (write form) (newline)
          (loop (read port)))))))
(read-all (cadr (command-line)))
"""
# The package strings of a (specifications->manifest (list ...)) file, one a line.
_PACKAGES = """
(define form (call-with-input-file (cadr (command-line)) read))
(for-each (lambda (s) (display s) (newline)) (cdr (cadr form)))
"""


def guile_run(program: str, file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [guile(), "--no-auto-compile", "-c", program, str(file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def guile_packages(manifest: Path) -> list[str]:
    done = guile_run(_PACKAGES, manifest)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def export(tmp_path: Path, env: str = ENV, *args: str) -> tuple[int, str, Path]:
    source = tmp_path / "analysis.envspec.yaml"
    source.write_text(env)
    out = tmp_path / "out"
    status, text = run("export", "--to", "guix", str(source), "-o", f"{out}/", *args)
    return status, text, out


# ------------------------------------------------------------------------------- export


def test_export_is_a_manifest_guile_reads_with_the_mapped_names(tmp_path):
    status, text, out = export(tmp_path)
    assert status == 0, text
    assert guile_packages(out / "manifest.scm") == [
        "python",
        "r",
        "r-ggplot2",
        "opencv",
        "python-numpy",
        "python-scikit-learn",
        "python-pytorch",
        "python-requests",
        "python-ruamel.yaml",
        "python-dateutil",
        "python-ipykernel",
        "python-jupyterlab",
    ]
    assert not (out / "channels.scm").exists()  # no commit given, no pin invented


def test_every_dropped_detail_is_a_warning_with_its_code(tmp_path):
    status, text, _ = export(tmp_path)
    assert status == 0
    for expected in (
        "warning[guix-version-dropped] numpy (python-numpy): the version specifier >=1.26",
        "warning[guix-version-dropped] torch (python-pytorch): the version specifier ==2.3",
        "warning[guix-marker-dropped] torch (python-pytorch): the marker",
        "warning[guix-extras-dropped] requests (python-requests): the extras [socks]",
        "warning[guix-requirement-skipped] the pip option --pre",
        "warning[guix-python-pin-dropped] the Python pin 3.12 cannot be honoured",
        "warning[guix-python-pin-dropped] environment.yml asks for python =3.12",
        "warning[guix-version-dropped] dependencies[2]: r-ggplot2 (r-ggplot2): the version >=3.4",
        "warning[guix-not-carried] the conda channels (conda-forge) are not carried over",
    ):
        assert expected in text, text
    # Each requirement warning names its line.
    assert "requirements.txt:1: warning[guix-version-dropped]" in text


def test_channels_pin_the_commit_and_guile_reads_them(tmp_path):
    status, text, out = export(tmp_path, ENV, "--guix-commit", COMMIT.upper())
    assert status == 0, text
    done = guile_run(_READ_ALL, out / "channels.scm")
    assert done.returncode == 0, done.stderr
    (form,) = done.stdout.splitlines()
    assert form.startswith("(list (channel (name (quote guix)) (url ")
    assert f'(commit "{COMMIT}")' in form  # written lower case, as git prints commits
    assert "(make-channel-introduction" in form


@pytest.mark.parametrize("commit", ["1a2b3c", COMMIT + "0", "g" * 40, "HEAD", ""])
def test_a_bad_commit_is_an_error_and_nothing_is_written(tmp_path, commit):
    status, text, out = export(tmp_path, ENV, "--guix-commit", commit)
    assert status == 1
    assert "error[guix-commit-invalid]" in text
    assert "40 hexadecimal digits" in text
    assert "nothing was written" in text
    assert not out.exists() or not list(out.iterdir())


def test_export_twice_changes_no_byte(tmp_path):
    status, _, out = export(tmp_path, ENV, "--guix-commit", COMMIT)
    assert status == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    status, text, _ = export(tmp_path, ENV, "--guix-commit", COMMIT)
    assert status == 0
    assert text.count("unchanged") == 2
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_jupyter_packages_can_be_left_out(tmp_path):
    env = 'env_ver: "1.0"\nfiles:\n  requirements.txt: "numpy\\n"\n'
    status, text, out = export(tmp_path, env, "--option", "jupyter=no")
    assert status == 0, text
    assert guile_packages(out / "manifest.scm") == ["python", "python-numpy"]
    status, text, _ = export(tmp_path, env, "--option", "jupiter=no")
    assert status == 1
    assert "error[guix-option-invalid] --option jupiter=no" in text


def test_files_a_manifest_cannot_hold_are_reported(tmp_path):
    env = (
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "demo @ https://example.org/d.whl\\n"\n'
        '  apt.txt: "curl\\n"\n  postBuild: "#!/bin/sh\\necho hi\\n"\n'
    )
    status, text, out = export(tmp_path, env)
    assert status == 0, text
    assert "warning[guix-url-dropped] demo (python-demo)" in text
    assert "https://example.org" not in text.split("wrote")[0].split("url-dropped")[1]
    assert "apt.txt: warning[guix-not-carried] apt.txt is not carried over" in text
    assert "postBuild: warning[guix-not-carried] postBuild is not carried over" in text
    assert "python-demo" in guile_packages(out / "manifest.scm")


# ------------------------------------------------------------------------------- import


def test_import_embeds_both_files_byte_for_byte_and_export_gives_them_back(tmp_path):
    folder = tmp_path / "repo"
    folder.mkdir()
    manifest = (
        ";; Ünïcode comment, CRLF lines and a datum comment\r\n"
        '(specifications->manifest\r\n  #;("ignored") (list "python@3.11" "python-numpy"))\r\n'
    )
    (folder / "manifest.scm").write_bytes(manifest.encode())
    shutil.copy(EXAMPLE / "channels.scm", folder / "channels.scm")
    notebook = tmp_path / "analysis.ipynb"
    status, text = run("import", "--from", "guix", str(folder), "-o", str(notebook))
    assert status == 0, text
    environment = json.loads(notebook.read_text())["metadata"]["environment"]
    assert environment["python"] == "3.11"
    assert environment["files"]["manifest.scm"] == manifest
    assert "requirements.txt" not in environment["files"]  # only when asked
    out = tmp_path / "back"
    status, text = run("export", "--to", "guix", str(notebook), "-o", f"{out}/")
    assert status == 0, text
    assert (out / "manifest.scm").read_bytes() == manifest.encode()
    assert (out / "channels.scm").read_bytes() == (EXAMPLE / "channels.scm").read_bytes()


def test_round_trip_envspec_guix_envspec_keeps_the_package_names(tmp_path):
    status, text, out = export(tmp_path)
    assert status == 0, text
    back = tmp_path / "back.envspec.yaml"
    status, text = run(
        "import", "--from", "guix", str(out), "--option", "requirements=yes", "-o", str(back)
    )
    assert status == 0, text
    from envspec._yaml import load_yaml

    environment, problem = load_yaml(back.read_text())
    assert problem is None
    derived = environment["files"]["requirements.txt"].splitlines()
    # Every Python requirement and pip dependency of the source comes back by name.
    for name in (
        "numpy",
        "scikit-learn",
        "torch",
        "requests",
        "ruamel.yaml",
        "python-dateutil",
        "opencv-python",
    ):
        assert name in derived, derived
    assert "warning[guix-package-not-python] r-ggplot2 is not a Python package" in text
    assert "warning[guix-package-not-python] r is not a Python package" in text


def test_the_example_imports_and_every_package_of_it_is_derived():
    status, text = run("import", "--from", "guix", str(EXAMPLE), "--option", "requirements=yes")
    assert status == 0, text
    assert "numpy\npandas\nmatplotlib\nscikit-learn\nipykernel\njupyterlab\n" in text.replace(
        "    ", ""
    )


def test_packages_to_manifest_with_specification_calls_is_read(tmp_path):
    path = tmp_path / "manifest.scm"
    path.write_text(
        "(use-modules (gnu packages python-xyz))\n"
        "(define %manifest\n"
        "  (packages->manifest\n"
        '   (append (list (specification->package "python")\n'
        '                 (specification->package+output "python-numpy:doc")\n'
        "                 python-pandas)\n"
        '           (map specification->package \'("python-scipy" "gcc-toolchain@13")))))\n'
        "%manifest\n"
    )
    assert guile_run(_READ_ALL, path).returncode == 0
    status, text = run("import", "--from", "guix", str(path), "--option", "requirements=yes")
    assert status == 0, text
    assert "manifest.scm:6:18: warning[guix-expression-skipped] the variable 'python-pandas'" in (
        text
    )
    assert "warning[guix-package-not-python] gcc-toolchain is not a Python package" in text
    assert "numpy\n" in text
    assert "scipy\n" in text


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('(specifications->manifest\n  (list "python"\n', ":2:3:", "'(' is never closed"),
        ('(specifications->manifest (list "py\\qthon"))\n', ":1:37:", "invalid escape '\\q'"),
        ('(specifications->manifest (list "python\\x4"))\n', ":1:43:", "takes 2 hex digits"),
        ('(specifications->manifest (list "python))\n', ":1:33:", "never closed"),
        ("(specifications->manifest (list #<procedure>))\n", ":1:33:", "it cannot be read"),
        ("(define-module (my packages))\n(define x 1)\n", ":1:1:", "guix-not-a-manifest"),
    ],
)
def test_bad_manifests_are_errors_with_a_position_and_nothing_is_written(
    tmp_path, text, where, message
):
    path = tmp_path / "manifest.scm"
    path.write_text(text)
    notebook = tmp_path / "n.ipynb"
    status, out = run("import", "--from", "guix", str(path), "-o", str(notebook))
    assert status == 1
    assert f"manifest.scm{where} error[" in out, out
    assert message in out
    assert "nothing was written" in out
    assert not notebook.exists()
    # Guile refuses the unreadable ones too (the non-manifest one it reads).
    readable = guile_run(_READ_ALL, path).returncode == 0
    assert readable == (message == "guix-not-a-manifest")


def test_a_channels_file_is_not_a_manifest(tmp_path):
    status, out = run("import", "--from", "guix", str(EXAMPLE / "channels.scm"))
    assert status == 1
    assert "error[guix-not-a-manifest] channels.scm pins Guix but lists no packages" in out


def test_a_folder_without_a_manifest_is_refused(tmp_path):
    status, out = run("import", "--from", "guix", str(tmp_path))
    assert status == 1
    assert "error[format-source-invalid] the folder holds no manifest.scm" in out


# ------------------------------------------------------------------------ the Scheme reader

_STRINGS = [
    r'"plain"',
    r'"a\"quote\" and a \\ backslash"',
    r'"\a\b\f\n\r\t\v\0\|"',
    r'"\x41\x7e;"',
    r'"\u00e9\U01F600"',
    '"line\\\n   continued"',
    '"multi\nline"',
]


def test_strings_read_as_guile_reads_them(tmp_path):
    path = tmp_path / "strings.scm"
    path.write_text("\n".join(_STRINGS) + "\n")
    program = (
        "(call-with-input-file (cadr (command-line)) (lambda (p) (let loop ((x (read p)))"
        " (unless (eof-object? x) (write (map char->integer (string->list x))) (newline)"
        " (loop (read p))))))"
    )
    done = guile_run(program, path)
    assert done.returncode == 0, done.stderr
    ours = [d for d in read_data(path.read_text()) if isinstance(d, SString)]
    theirs = [
        [int(c) for c in line.strip("()").split()] if line != "()" else []
        for line in done.stdout.splitlines()
    ]
    assert [[ord(c) for c in s.value] for s in ours] == theirs


@pytest.mark.parametrize("bad", [r'"\q"', r'"\x4"', r'"\u00e"', r'"\ "', r'"\/"', r'"\e"'])
def test_escapes_guile_refuses_are_refused(tmp_path, bad):
    path = tmp_path / "bad.scm"
    path.write_text(bad)
    assert guile_run(_READ_ALL, path).returncode != 0
    with pytest.raises(SchemeReadError):
        read_data(bad)


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(SchemeReadError, match="nested more than"):
        read_data("(" * 5000 + ")" * 5000)


# ------------------------------------------------------------------------------ the names


def test_the_name_rule_and_the_table():
    assert normalize("Foo__Bar.baz") == "foo-bar-baz"
    assert guix_name("PyYAML") == "python-pyyaml"
    assert guix_name("beautifulsoup4") == "python-beautifulsoup4"
    assert guix_name("jupyterlab") == "python-jupyterlab"
    assert guix_name("python-dateutil") == "python-dateutil"
    assert guix_name("opencv-python-headless") == "opencv"
    assert conda_guix_name("r-base") == "r"
    assert conda_guix_name("R-Ggplot2") == "r-ggplot2"
    assert conda_guix_name("pytorch") == "python-pytorch"
    assert python_name("python-ruamel.yaml") == "ruamel.yaml"
    assert python_name("python-") is None


def test_every_table_entry_maps_both_ways_and_names_its_source():
    table = exceptions()
    for project, entry in table["pypi"].items():
        assert entry["source"]
        assert normalize(project) == project, "PyPI keys are normalized names"
        assert guix_name(project) == entry["guix"]
        back = python_name(entry["guix"])
        assert back is not None
        assert guix_name(back) == entry["guix"], (project, back)
    for package, entry in table["conda"].items():
        assert entry["source"]
        assert conda_guix_name(package) == entry["guix"]


# ------------------------------------------------------------------------------- more


def test_import_with_a_commit_pins_it_in_an_embedded_channels_file(tmp_path):
    out = tmp_path / "env.envspec.yaml"
    argv = ["import", "--from", "guix", str(EXAMPLE / "manifest.scm"), "--guix-commit", COMMIT]
    status, text = run(*argv, "-o", str(out))
    assert status == 0, text
    from envspec._yaml import load_yaml

    environment, _ = load_yaml(out.read_text())
    channels = tmp_path / "channels.scm"
    channels.write_text(environment["files"]["channels.scm"])
    done = guile_run(_READ_ALL, channels)
    assert done.returncode == 0, done.stderr
    assert f'(commit "{COMMIT}")' in done.stdout
    # The folder's own channels.scm is replaced, and that is said.
    status, text = run("import", "--from", "guix", str(EXAMPLE), "--guix-commit", COMMIT)
    assert status == 0, text
    assert "warning[guix-channels-replaced] the folder's channels.scm is replaced" in text
    status, text = run("import", "--from", "guix", str(EXAMPLE), "--guix-commit", "abc")
    assert status == 1
    assert "error[guix-commit-invalid]" in text


def test_conda_channel_prefixes_and_an_embedded_manifest_are_reported(tmp_path):
    env = (
        'env_ver: "1.0"\nfiles:\n  environment.yml: |\n    dependencies:\n'
        "      - conda-forge::numpy\n"
    )
    status, text, out = export(tmp_path, env)
    assert status == 0, text
    assert "the conda channel conda-forge of numpy is not carried over" in text
    assert "python-numpy" in guile_packages(out / "manifest.scm")
    env = (
        'env_ver: "1.0"\nfiles:\n  requirements.txt: "numpy\\n"\n'
        '  manifest.scm: "(specifications->manifest (list \\"python\\" \\"r\\"))\\n"\n'
    )
    status, text, out = export(tmp_path, env, "--force")
    assert status == 0, text
    assert "warning[guix-manifest-kept]" in text
    assert guile_packages(out / "manifest.scm") == ["python", "r"]


def test_an_r_kernel_gets_no_python_kernel(tmp_path):
    env = (
        'env_ver: "1.0"\nkernel:\n  name: ir\n  language: R\n'
        "files:\n  environment.yml: |\n    dependencies:\n      - r-irkernel\n"
    )
    status, text, out = export(tmp_path, env)
    assert status == 0, text
    assert guile_packages(out / "manifest.scm") == ["python", "r-irkernel"]


def test_the_conversions_import_no_heavy_parser(tmp_path):
    (tmp_path / "a.envspec.yaml").write_text('env_ver: "1.0"\nfiles:\n  requirements.txt: "x\\n"\n')
    code = (
        "import sys\n"
        "from envspec.formats import get_format\n"
        "from envspec.formats.io import export_path, import_path\n"
        f"converted = import_path(get_format('guix'), {str(EXAMPLE)!r})\n"
        "assert converted.ok, converted.diagnostics\n"
        f"path = {str(tmp_path / 'a.envspec.yaml')!r}\n"
        "assert export_path(get_format('guix'), path).ok\n"
        "heavy = {'rattler', 'pip_requirements_parser', 'pydantic', 'jupyter_client', 'uv'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# Guile's reader, one verdict per file ("ok" or "err"), for the differential test below.
_VERDICTS = """
(define (verdict file)
  (catch #t
    (lambda ()
      (call-with-input-file file
        (lambda (port)
          (let loop ((form (read port)))
            (unless (eof-object? form) (loop (read port))))))
      "ok")
    (lambda _ "err")))
(for-each (lambda (file) (display (verdict file)) (newline)) (cdr (command-line)))
"""
_FUZZ_ALPHABET = list("()[]\"\\ ;#|ax1'\nnu4,@`:tf{}$+Ue0.8b*v")


def test_the_reader_accepts_exactly_what_guile_accepts(tmp_path):
    """Random short texts over Scheme's special characters: our reader refuses a text
    exactly when Guile's does (G-expression prefixes aside: Guix, not Guile, reads them)."""
    import random

    generator = random.Random(20261203)  # noqa: S311 - test data, not secrets
    texts = [
        "".join(generator.choice(_FUZZ_ALPHABET) for _ in range(generator.randint(1, 16)))
        for _ in range(1500)
    ]
    texts = [t for t in texts if "#$" not in t and "#+" not in t]
    paths = []
    for index, text in enumerate(texts):
        path = tmp_path / f"{index:04d}.scm"
        path.write_text(text)
        paths.append(str(path))
    done = subprocess.run(
        [guile(), "--no-auto-compile", "-c", _VERDICTS, *paths],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    verdicts = done.stdout.split()
    assert len(verdicts) == len(texts)
    differ = []
    for text, verdict in zip(texts, verdicts, strict=True):
        try:
            read_data(text)
        except SchemeReadError:
            ours = "err"
        else:
            ours = "ok"
        if ours != verdict:
            differ.append((text, verdict))
    assert not differ, differ[:10]
    assert 100 < verdicts.count("err") < len(texts) - 100  # both kinds are exercised


def test_a_manifest_from_guix_export_manifest_is_read(tmp_path):
    # As `guix shell --export-manifest` writes one, with a package transformation.
    path = tmp_path / "manifest.scm"
    path.write_text(
        ";; This \"manifest\" file can be passed to 'guix package -m' to reproduce\n"
        ";; the content of your profile.\n\n"
        "(use-modules (guix transformations))\n\n"
        "(define transform1\n"
        "  (options->transformation\n"
        '    \'((with-latest . "python-numpy"))))\n\n'
        "(packages->manifest\n"
        '  (list (transform1 (specification->package "python-numpy"))\n'
        '        (specification->package "python")))\n'
    )
    assert guile_run(_READ_ALL, path).returncode == 0
    status, text = run("import", "--from", "guix", str(path), "--option", "requirements=yes")
    assert status == 0, text
    assert "manifest.scm:11:9: warning[guix-expression-skipped] the expression (transform1" in text
    assert "requirements.txt: ''" in text or 'requirements.txt: ""' in text, text
    status, text = run("import", "--from", "guix", str(path), "--option", "requirements=maybe")
    assert status == 1
    assert "error[guix-option-invalid] --option requirements=maybe" in text
