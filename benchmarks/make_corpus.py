"""Generate a deterministic corpus of realistic nbformat 4.5 notebooks for the benchmark.

Usage::

    python benchmarks/make_corpus.py OUT_DIR [-n 1000] [--seed 42]

The same ``-n`` and ``--seed`` give byte-identical files.  Files are written in
nbformat's canonical layout (``json.dumps(nb, indent=1, sort_keys=True,
ensure_ascii=False) + "\\n"``), so ``nbformat`` reads and writes them back
unchanged.  With ``-n 1000`` the corpus holds about 200 MB:

* most notebooks are 20-200 KB of code and markdown cells with text, HTML
  table and small PNG outputs (lognormal sizes, median about 55 KB);
* about 1.2 % are several MB, mostly base64 PNG outputs;
* about 95 % carry a valid ``metadata.environment`` (``env_ver`` 1.0), 3 %
  have none and 1.5 % carry an environment with one deliberate error;
* some cells hold non-ASCII text.

Only the standard library is used.  Nothing is written outside ``OUT_DIR``;
``OUT_DIR/corpus-manifest.json`` lists every file with the class of its
environment and, for the invalid ones, the diagnostic code expected from
``envspec validate``.  Rerunning into the same folder replaces the files the
previous manifest lists; a non-empty folder without a manifest is refused.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import random
import struct
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "corpus-manifest.json"
MANIFEST_FORMAT = 1

#: Share of notebooks that are several MB (mostly base64 images).
BIG_SHARE = 0.012
#: Share of notebooks without ``metadata.environment``.
NO_ENV_SHARE = 0.03
#: Share of notebooks whose environment has one deliberate error.
INVALID_SHARE = 0.015
#: Median and spread (of the logarithm) of typical notebook sizes, in bytes.
TYPICAL_MEDIAN = 55_000
TYPICAL_SIGMA = 0.7
TYPICAL_RANGE = (6_000, 400_000)
BIG_RANGE = (5_000_000, 16_000_000)
#: Serialised bytes of a cell's and an output's keys and punctuation (for the size estimate).
CELL_OVERHEAD = 160
OUTPUT_OVERHEAD = 110

Json = dict[str, Any]

# --------------------------------------------------------------------------- vocabularies

#: (requirement name, versions), as they appear in pinned requirements files.
PIP_PACKAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("numpy", ("1.24.4", "1.26.4", "2.0.2", "2.1.3")),
    ("pandas", ("2.0.3", "2.1.4", "2.2.2", "2.2.3")),
    ("scipy", ("1.11.4", "1.13.1", "1.14.1")),
    ("matplotlib", ("3.7.5", "3.8.4", "3.9.2")),
    ("seaborn", ("0.12.2", "0.13.2")),
    ("scikit-learn", ("1.3.2", "1.4.2", "1.5.2")),
    ("statsmodels", ("0.14.1", "0.14.2")),
    ("jupyterlab", ("4.1.8", "4.2.5")),
    ("ipykernel", ("6.28.0", "6.29.5")),
    ("ipywidgets", ("8.1.3", "8.1.5")),
    ("requests", ("2.31.0", "2.32.3")),
    ("tqdm", ("4.66.4", "4.66.5")),
    ("pyarrow", ("15.0.2", "16.1.0", "17.0.0")),
    ("polars", ("0.20.31", "1.9.0")),
    ("plotly", ("5.22.0", "5.24.1")),
    ("bokeh", ("3.4.3", "3.5.2")),
    ("altair", ("5.3.0", "5.4.1")),
    ("sympy", ("1.12.1", "1.13.3")),
    ("networkx", ("3.2.1", "3.3")),
    ("xarray", ("2024.6.0", "2024.9.0")),
    ("netCDF4", ("1.6.5", "1.7.1.post2")),
    ("dask[dataframe]", ("2024.8.2", "2024.9.1")),
    ("torch", ("2.3.1", "2.4.1")),
    ("torchvision", ("0.18.1", "0.19.1")),
    ("transformers", ("4.42.4", "4.44.2")),
    ("datasets", ("2.20.0", "3.0.1")),
    ("tensorflow", ("2.16.2", "2.17.0")),
    ("jax[cpu]", ("0.4.31", "0.4.33")),
    ("opencv-python-headless", ("4.9.0.80", "4.10.0.84")),
    ("Pillow", ("10.3.0", "10.4.0")),
    ("beautifulsoup4", ("4.12.3",)),
    ("lxml", ("5.2.2", "5.3.0")),
    ("SQLAlchemy", ("2.0.31", "2.0.35")),
    ("psycopg2-binary", ("2.9.9",)),
    ("openpyxl", ("3.1.2", "3.1.5")),
    ("geopandas", ("0.14.4", "1.0.1")),
    ("shapely", ("2.0.5", "2.0.6")),
    ("folium", ("0.17.0",)),
    ("nltk", ("3.8.1", "3.9.1")),
    ("spacy", ("3.7.5", "3.7.6")),
    ("xgboost", ("2.0.3", "2.1.1")),
    ("lightgbm", ("4.4.0", "4.5.0")),
    ("numba", ("0.59.1", "0.60.0")),
    ("h5py", ("3.11.0",)),
    ("PyYAML", ("6.0.1", "6.0.2")),
    ("python-dotenv", ("1.0.1",)),
    ("rich", ("13.7.1", "13.8.1")),
    ("typing_extensions", ("4.12.2",)),
    ("pydantic", ("2.8.2", "2.9.2")),
    ("uvicorn[standard]", ("0.30.6",)),
    ("httpx", ("0.27.2",)),
    ("joblib", ("1.4.2",)),
)
#: Lines with environment markers, as pip-compile writes them.
PIP_MARKER_LINES = (
    'tomli==2.0.1 ; python_version < "3.11"',
    'exceptiongroup==1.2.2 ; python_version < "3.11"',
    'pywin32==306 ; sys_platform == "win32"',
    'colorama==0.4.6 ; platform_system == "Windows"',
    'importlib-metadata==8.4.0 ; python_version < "3.10"',
)
#: conda-forge names and versions (MatchSpec ``name=version``).
CONDA_PACKAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("numpy", ("1.26.4", "2.0.2")),
    ("pandas", ("2.2.2", "2.2.3")),
    ("scipy", ("1.13.1", "1.14.1")),
    ("matplotlib-base", ("3.8.4", "3.9.2")),
    ("scikit-learn", ("1.4.2", "1.5.2")),
    ("xarray", ("2024.9.0",)),
    ("netcdf4", ("1.7.1",)),
    ("gdal", ("3.9.2",)),
    ("geopandas", ("1.0.1",)),
    ("cartopy", ("0.23.0",)),
    ("dask", ("2024.9.1",)),
    ("ipykernel", ("6.29.5",)),
    ("jupyterlab", ("4.2.5",)),
    ("pyarrow", ("17.0.0",)),
    ("r-base", ("4.3.3",)),
    ("nodejs", ("20.17.0",)),
    ("graphviz", ("12.0.0",)),
    ("ffmpeg", ("7.0.2",)),
)
APT_PACKAGES = (
    "libgl1",
    "libglib2.0-0",
    "graphviz",
    "ffmpeg",
    "libsndfile1",
    "gdal-bin",
    "libgdal-dev",
    "fonts-noto-cjk",
    "texlive-latex-extra",
    "libstdc++6",
    "build-essential",
    "git-lfs",
    "curl",
    "poppler-utils",
    "tesseract-ocr",
)
IMAGES = (
    ("quay.io/jupyter/scipy-notebook", ("2024-05-27", "2024-07-29", "python-3.11")),
    ("quay.io/jupyter/pytorch-notebook", ("cuda12-2024-07-29", "2024-09-02")),
    ("quay.io/jupyter/r-notebook", ("2024-07-29",)),
    ("docker.io/library/python", ("3.11-slim", "3.12-slim-bookworm")),
    ("ghcr.io/example-lab/analysis-env", ("v1.4.0", "2024.09")),
    ("registry.gitlab.com/example-group/project/env", ("2024.06",)),
)
GIT_HOSTS = ("https://github.com", "https://gitlab.com", "https://codeberg.org")
ORGS = ("example-lab", "data-team", "ocean-models", "bioinfo-core", "teaching", "ml-research")
REPOS = (
    "analysis",
    "course-notebooks",
    "experiments",
    "paper-2024",
    "pipelines",
    "tutorials",
    "climate-notes",
    "reports",
)
SUBDIRS = ("notebooks", "analysis", "notebooks/exploration", "docs/examples", "chapter-03")
FOLDERS = (
    "exploration",
    "reports",
    "models",
    "teaching",
    "climate",
    "genomics",
    "finance",
    "vision",
    "nlp",
    "misc",
)

WORDS = (
    "data",
    "model",
    "analysis",
    "result",
    "sample",
    "feature",
    "training",
    "validation",
    "plot",
    "distribution",
    "mean",
    "variance",
    "error",
    "signal",
    "region",
    "temperature",
    "series",
    "cluster",
    "gradient",
    "loss",
    "metric",
    "baseline",
    "experiment",
    "table",
    "column",
    "value",
    "estimate",
    "parameter",
    "network",
    "layer",
    "batch",
    "epoch",
    "figure",
    "summary",
    "outlier",
)
NON_ASCII_PHRASES = (
    "Größe der Stichprobe und Übersicht",
    "Les données météorologiques à Paris — résumé",
    "Análisis de la señal y corrección",
    "日本語のデータ解析メモ",
    "数据清洗与特征工程",
    "Анализ временных рядов",
    "λ = 0.5, σ² ≈ 1.2, Δt → 0",
    "Résultats 📈 et prochaines étapes ✅",
    "Ελληνικά: μέση τιμή και διασπορά",
    "Temperatur in °C, Niederschlag in mm",
)
CODE_SNIPPETS = tuple(
    "\n".join(lines)
    for lines in (
        ("import numpy as np", "import pandas as pd", "import matplotlib.pyplot as plt"),
        ("df = pd.read_csv('data/measurements.csv', parse_dates=['time'])", "df.head()"),
        ("df.describe()",),
        (
            "fig, ax = plt.subplots(figsize=(8, 4))",
            "ax.plot(df['time'], df['value'])",
            "ax.set_title('Value over time')",
        ),
        (
            "from sklearn.model_selection import train_test_split",
            "X_train, X_test, y_train, y_test = train_test_split(",
            "    X, y, test_size=0.2, random_state=0",
            ")",
        ),
        (
            "model = RandomForestClassifier(n_estimators=200, max_depth=8)",
            "model.fit(X_train, y_train)",
            "print(model.score(X_test, y_test))",
        ),
        (
            "for epoch in range(10):",
            "    loss = train_one_epoch(model, loader)",
            "    print(f'epoch {epoch}: loss={loss:.4f}')",
        ),
        ("summary = df.groupby('region')['value'].agg(['mean', 'std', 'count'])", "summary"),
        ("corr = df.corr(numeric_only=True)", "sns.heatmap(corr, annot=True, cmap='viridis')"),
        ("%matplotlib inline", "%load_ext autoreload", "%autoreload 2"),
        (
            "def normalise(x):",
            '    """Scale to zero mean and unit variance."""',
            "    return (x - x.mean()) / x.std()",
            "",
            "df['z'] = normalise(df['value'])",
        ),
        ("ds = xr.open_dataset('sst.nc')", "ds['sst'].sel(time='2020-01').plot()"),
    )
)


@dataclass(frozen=True, slots=True)
class Plan:
    """What one notebook of the corpus will be."""

    index: int
    size: int
    big: bool
    env_class: str  # "valid", "none" or "invalid"
    fault: str | None


# --------------------------------------------------------------------------- PNG images


def _stored_zlib(raw: bytes) -> bytes:
    """A zlib stream of stored (uncompressed) deflate blocks: identical under any zlib build."""
    out = bytearray(b"\x78\x01")
    step = 65_535
    for start in range(0, len(raw), step):
        block = raw[start : start + step]
        final = 1 if start + step >= len(raw) else 0
        out += struct.pack("<BHH", final, len(block), len(block) ^ 0xFFFF)
        out += block
    out += struct.pack(">I", zlib.adler32(raw))
    return bytes(out)


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_base64(rng: random.Random, approx_bytes: int) -> str:
    """A valid RGB PNG of about *approx_bytes* bytes, base64-encoded as Jupyter stores it."""
    width = rng.choice((320, 480, 640, 800, 1200))
    row = 1 + 3 * width
    height = max(1, approx_bytes // row)
    pixels = rng.randbytes(row * height)
    # Every scanline starts with filter type 0 (None).
    raw = bytearray(pixels)
    raw[0::row] = bytes(height)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", _stored_zlib(bytes(raw)))
        + _png_chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode("ascii")


# --------------------------------------------------------------------------- cells


class CellMaker:
    """Builds the cells of one notebook and keeps a running estimate of its size."""

    def __init__(self, rng: random.Random, non_ascii: bool) -> None:
        self.rng = rng
        self.non_ascii = non_ascii
        self.size = 0
        self.execution_count = 0
        self.ids: set[str] = set()

    def _id(self) -> str:
        while True:
            cell_id = f"{self.rng.getrandbits(32):08x}"
            if cell_id not in self.ids:
                self.ids.add(cell_id)
                return cell_id

    @staticmethod
    def _lines(text: str) -> list[str]:
        return text.splitlines(True)

    def _account(self, text: str, lines: int = 1) -> None:
        # Serialised size: the text, plus indentation and quotes of each list item.
        self.size += len(text.encode("utf-8")) + 12 * lines

    def sentence(self) -> str:
        """A plain sentence (sometimes a non-ASCII phrase)."""
        words = self.rng.choices(WORDS, k=self.rng.randint(6, 16))
        text = " ".join(words).capitalize() + "."
        if self.non_ascii and self.rng.random() < 0.3:
            text = f"{self.rng.choice(NON_ASCII_PHRASES)}: {text}"
        return text

    def markdown(self) -> Json:
        """A markdown cell: a heading, paragraphs and sometimes a list or formula."""
        rng = self.rng
        parts = [f"{'#' * rng.randint(1, 3)} {self.sentence()[:-1]}"]
        for _ in range(rng.randint(1, 3)):
            parts.append(" ".join(self.sentence() for _ in range(rng.randint(2, 6))))
        if rng.random() < 0.3:
            parts.append("\n".join(f"- {self.sentence()}" for _ in range(rng.randint(2, 5))))
        if rng.random() < 0.15:
            parts.append("$$\\hat{\\beta} = (X^T X)^{-1} X^T y$$")
        text = "\n\n".join(parts)
        self._account(text, text.count("\n") + 6)
        self.size += CELL_OVERHEAD
        return {
            "cell_type": "markdown",
            "id": self._id(),
            "metadata": {},
            "source": self._lines(text),
        }

    def _stream(self) -> Json:
        rng = self.rng
        kind = rng.random()
        if kind < 0.4:
            lines = [
                f"epoch {i}: loss={rng.uniform(0.05, 2.5):.4f} acc={rng.uniform(0.4, 0.99):.4f}"
                for i in range(rng.randint(3, 40))
            ]
        elif kind < 0.7:
            lines = [
                f"{rng.choice(WORDS)}: {rng.gauss(0, 10):.6f}" for _ in range(rng.randint(2, 25))
            ]
        else:
            lines = [self.sentence() for _ in range(rng.randint(1, 8))]
        text = "\n".join(lines) + "\n"
        self._account(text, len(lines) + 4)
        name = "stderr" if rng.random() < 0.1 else "stdout"
        return {"name": name, "output_type": "stream", "text": self._lines(text)}

    def _table(self, budget: int) -> Json:
        rng = self.rng
        columns = rng.sample(WORDS, rng.randint(3, 7))
        # About 45 bytes per value (HTML and plain text together).
        rows = max(2, min(rng.randint(5, 30), budget // (45 * len(columns))))
        values = [[f"{rng.gauss(100, 30):.3f}" for _ in columns] for _ in range(rows)]
        plain = (
            "  ".join(columns)
            + "\n"
            + "\n".join(f"{i:<4}" + "  ".join(v) for i, v in enumerate(values))
        )
        html = [
            "<div>\n",
            '<table border="1" class="dataframe">\n',
            "  <thead>\n",
            '    <tr style="text-align: right;">\n',
            "      <th></th>\n",
        ]
        html += [f"      <th>{c}</th>\n" for c in columns]
        html += ["    </tr>\n", "  </thead>\n", "  <tbody>\n"]
        for i, row in enumerate(values):
            html.append(f"    <tr>\n      <th>{i}</th>\n")
            html += [f"      <td>{v}</td>\n" for v in row]
            html.append("    </tr>\n")
        html += [
            "  </tbody>\n",
            "</table>\n",
            f"<p>{rows} rows \u00d7 {len(columns)} columns</p>\n",
            "</div>",
        ]
        html_text = "".join(html)
        self._account(plain, plain.count("\n") + 1)
        self._account(html_text, len(html))
        return {
            "data": {"text/html": self._lines(html_text), "text/plain": self._lines(plain)},
            "execution_count": self.execution_count,
            "metadata": {},
            "output_type": "execute_result",
        }

    def _image(self, approx_bytes: int) -> Json:
        data = png_base64(self.rng, approx_bytes)
        self._account(data)
        self._account("<Figure size 800x400 with 1 Axes>", 6)
        return {
            "data": {"image/png": data, "text/plain": ["<Figure size 800x400 with 1 Axes>"]},
            "metadata": {},
            "output_type": "display_data",
        }

    def _error(self) -> Json:
        rng = self.rng
        name = rng.choice(("KeyError", "ValueError", "ZeroDivisionError", "FileNotFoundError"))
        value = f"'{rng.choice(WORDS)}'"
        traceback = [
            "\x1b[0;31m" + "-" * 75 + "\x1b[0m",
            f"\x1b[0;31m{name}\x1b[0m{' ' * 34}Traceback (most recent call last)",
            f"Cell \x1b[0;32mIn[{self.execution_count}], line 2\x1b[0m\n\x1b[1;32m      1\x1b[0m x "
            f"\x1b[38;5;241m=\x1b[39m df[\x1b[38;5;124m{value}\x1b[39m]",
            f"\x1b[0;31m{name}\x1b[0m: {value}",
        ]
        for line in traceback:
            self._account(line)
        return {"ename": name, "evalue": value, "output_type": "error", "traceback": traceback}

    def code(self, *, image_bytes: int | None = None, budget: int = 1 << 30) -> Json:
        """A code cell with zero or more outputs (an image of *image_bytes* if given).

        *budget* (bytes still wanted in the notebook) caps the size of the outputs.
        """
        rng = self.rng
        # The base64 of a PNG is 4/3 of its size.
        image_cap = max(2_000, budget * 3 // 4)
        source = rng.choice(CODE_SNIPPETS)
        if self.non_ascii and rng.random() < 0.2:
            source = f"# {rng.choice(NON_ASCII_PHRASES)}\n{source}"
        self._account(source, source.count("\n") + 8)
        self.size += CELL_OVERHEAD
        executed = rng.random() < 0.9
        outputs: list[Json] = []
        if executed:
            self.execution_count += 1
            self.size += OUTPUT_OVERHEAD
            if image_bytes is not None:
                outputs.append(self._image(image_bytes))
            else:
                kind = rng.random()
                if kind < 0.35:
                    outputs.append(self._stream())
                elif kind < 0.6:
                    outputs.append(self._table(budget))
                elif kind < 0.8:
                    outputs.append(self._image(min(rng.randint(6_000, 45_000), image_cap)))
                elif kind < 0.83:
                    outputs.append(self._error())
                elif kind < 0.9:
                    outputs.append(self._stream())
                    outputs.append(self._image(min(rng.randint(6_000, 30_000), image_cap)))
        return {
            "cell_type": "code",
            "execution_count": self.execution_count if executed else None,
            "id": self._id(),
            "metadata": {},
            "outputs": outputs,
            "source": self._lines(source),
        }


def make_cells(rng: random.Random, plan: Plan, non_ascii: bool) -> list[Json]:
    """Cells until the notebook reaches about its planned size."""
    maker = CellMaker(rng, non_ascii)
    cells: list[Json] = [maker.markdown()]
    if plan.big:
        # Several MB: a few large figures among ordinary cells.
        while maker.size < plan.size:
            remaining = plan.size - maker.size
            if remaining > 600_000 and rng.random() < 0.5:
                # base64 grows the PNG by 4/3.
                image = min(remaining * 3 // 4, rng.randint(400_000, 3_000_000))
                cells.append(maker.code(image_bytes=image))
            else:
                cells.append(
                    maker.code(budget=remaining) if rng.random() < 0.6 else maker.markdown()
                )
        return cells
    while maker.size < plan.size:
        budget = plan.size - maker.size
        cells.append(maker.code(budget=budget) if rng.random() < 0.6 else maker.markdown())
    return cells


# --------------------------------------------------------------------------- environments


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def _requirements(rng: random.Random, python: str) -> str:
    chosen = rng.sample(PIP_PACKAGES, rng.randint(5, 30))
    lines: list[str] = []
    style = rng.random()
    if style < 0.35:
        lines += [
            "#",
            f"# This file is autogenerated by pip-compile with Python {python[:4]}",
            "# by the following command:",
            "#",
            "#    pip-compile requirements.in",
            "#",
        ]
    elif style < 0.45:
        lines.append("# Pinned for the analysis; für die Reproduzierbarkeit")
    for name, versions in chosen:
        lines.append(f"{name}=={rng.choice(versions)}")
        if style < 0.35:
            lines.append(f"    # via -r requirements.in ({rng.choice(WORDS)})")
    if rng.random() < 0.2:
        lines.append(rng.choice(PIP_MARKER_LINES))
    if any(name.startswith("torch") for name, _ in chosen) and rng.random() < 0.15:
        lines.insert(0, "--extra-index-url https://download.pytorch.org/whl/cpu")
    return "\n".join(lines) + "\n"


def _conda(rng: random.Random, python: str, name: str) -> str:
    chosen = rng.sample(CONDA_PACKAGES, rng.randint(4, 12))
    lines = [f"name: {name}", "channels:", "  - conda-forge"]
    if rng.random() < 0.2:
        lines.append("  - nodefaults")
    lines += ["dependencies:", f"  - python={python}"]
    lines += [f"  - {pkg}={rng.choice(versions)}" for pkg, versions in chosen]
    if rng.random() < 0.7:
        lines += ["  - pip", "  - pip:"]
        lines += [
            f"      - {pkg}=={rng.choice(versions)}"
            for pkg, versions in rng.sample(PIP_PACKAGES, rng.randint(1, 6))
        ]
    return "\n".join(lines) + "\n"


def _post_build(rng: random.Random) -> str:
    steps = rng.sample(
        (
            "python -m spacy download en_core_web_sm",
            "python -m nltk.downloader punkt stopwords",
            'jupyter labextension disable "@jupyterlab/apputils-extension:announcements"',
            "mkdir -p data && curl -fsSL https://example.org/data/sample.csv -o data/sample.csv",
            "pip install --no-deps -e .",
            "jupyter trust notebooks/*.ipynb",
        ),
        rng.randint(1, 3),
    )
    return "#!/bin/bash\nset -euo pipefail\n" + "\n".join(steps) + "\n"


def kernelspec_for(rng: random.Random) -> tuple[Json, Json]:
    """(kernelspec, language_info) of a notebook: mostly Python, some R and Julia."""
    pick = rng.random()
    if pick < 0.03:
        return (
            {"display_name": "R", "language": "R", "name": "ir"},
            {
                "codemirror_mode": "r",
                "file_extension": ".r",
                "mimetype": "text/x-r-source",
                "name": "R",
                "pygments_lexer": "r",
                "version": "4.3.3",
            },
        )
    if pick < 0.05:
        return (
            {"display_name": "Julia 1.10.4", "language": "julia", "name": "julia-1.10"},
            {
                "file_extension": ".jl",
                "mimetype": "application/julia",
                "name": "julia",
                "version": "1.10.4",
            },
        )
    version = rng.choice(("3.10.14", "3.11.9", "3.11.9", "3.12.4", "3.12.6"))
    if rng.random() < 0.15:
        env = rng.choice(("analysis", "ml", "geo"))
        spec = {
            "display_name": f"Python [conda env:{env}]",
            "language": "python",
            "name": f"conda-env-{env}-py",
        }
    else:
        spec = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    info = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": version,
    }
    return spec, info


def make_environment(rng: random.Random, kernelspec: Json, language_info: Json) -> Json:
    """A valid, realistic ``env_ver`` 1.0 environment matching the notebook's kernel."""
    env: Json = {"env_ver": "1.0"}
    language = str(kernelspec["language"]).lower()
    files: dict[str, str] = {}
    if language == "python":
        full = str(language_info["version"])
        python = full if rng.random() < 0.3 else full.rsplit(".", 1)[0]
        env["python"] = python
        if rng.random() < 0.22:
            name = str(kernelspec["name"]).removeprefix("conda-env-").removesuffix("-py")
            conda_file = "environment.yml" if rng.random() < 0.85 else "environment.yaml"
            files[conda_file] = _conda(rng, python, name if name != "python3" else "analysis")
        else:
            files["requirements.txt"] = _requirements(rng, full)
            if rng.random() < 0.15:
                files["runtime.txt"] = f"python-{full.rsplit('.', 1)[0]}\n"
    elif language == "r":
        files["install.R"] = "".join(
            f'install.packages("{p}")\n'
            for p in rng.sample(
                ("tidyverse", "ggplot2", "data.table", "rmarkdown", "lme4", "sf"), 3
            )
        )
        files["runtime.txt"] = "r-4.3-2024-06-01\n"
    else:
        files["Project.toml"] = (
            '[deps]\nDataFrames = "a93c6f00-e57d-5684-b7b6-d8193f3e46c0"\n'
            'Plots = "91a5bcdd-55d7-5caf-9e0b-520d859cae80"\n\n[compat]\njulia = "1.10"\n'
        )
    if rng.random() < 0.08:
        files["apt.txt"] = "\n".join(rng.sample(APT_PACKAGES, rng.randint(1, 5))) + "\n"
    if rng.random() < 0.06:
        files["postBuild"] = _post_build(rng)
    env["files"] = files
    kernel: Json = {"name": kernelspec["name"], "language": language}
    if rng.random() < 0.7:
        kernel["display_name"] = kernelspec["display_name"]
    env["kernel"] = kernel
    if rng.random() < 0.6:
        repository, tags = rng.choice(IMAGES)
        env["image"] = {
            "ref": f"{repository}:{rng.choice(tags)}",
            "digest": "sha256:" + _hex(rng, 64),
        }
    if rng.random() < 0.7:
        host = rng.choice(GIT_HOSTS)
        org, repo = rng.choice(ORGS), rng.choice(REPOS)
        url = (
            f"git@github.com:{org}/{repo}.git" if rng.random() < 0.1 else f"{host}/{org}/{repo}.git"
        )
        git: Json = {"url": url, "commit": _hex(rng, 40)}
        if rng.random() < 0.5:
            git["subdir"] = rng.choice(SUBDIRS)
        env["git"] = git
    if rng.random() < 0.2:
        variables: dict[str, str | None] = {"MPLBACKEND": "Agg"}
        if rng.random() < 0.5:
            variables["DATA_DIR"] = "/home/jovyan/data"
        if rng.random() < 0.5:
            variables[rng.choice(("WANDB_API_KEY", "HF_TOKEN", "DB_PASSWORD"))] = None
        env["env"] = variables
    if rng.random() < 0.15:
        hardware: Json = {
            "cpu": rng.choice((0.5, 1, 2, 4, 8)),
            "memory": rng.choice(("2Gi", "8Gi", "16Gi")),
        }
        if rng.random() < 0.3:
            hardware["gpu"] = {
                "count": 1,
                "vendor": "nvidia",
                "memory": rng.choice(("16Gi", "24Gi")),
            }
        env["hardware"] = hardware
    if rng.random() < 0.04:
        env["cloud"] = [
            {
                "name": "python-3.11-cpu",
                "handler_url": "https://deploy.example.org/handler",
                "version": "2024.09",
            }
        ]
    if rng.random() < 0.05:
        env["provenance"] = {"migrated_from": "0.1"}
    if rng.random() < 0.03:
        env["extensions"] = {"org.example.runner": {"profile": rng.choice(("small", "large"))}}
    return env


# Deliberate faults: (name, expected diagnostic code, how to break a valid environment).
def _set(key: str, value: Any) -> Callable[[Json], None]:
    def apply(env: Json) -> None:
        env[key] = value

    return apply


def _add_file(name: str, text: str) -> Callable[[Json], None]:
    def apply(env: Json) -> None:
        env.setdefault("files", {})[name] = text

    return apply


def _break_git(env: Json) -> None:
    env["git"] = {"url": "https://github.com/example-lab/analysis.git", "commit": "3f2a9c1"}


def _break_image(env: Json) -> None:
    env["image"] = {"ref": "quay.io/jupyter/scipy-notebook:2024-07-29@sha256:" + "0f" * 32}


def _break_kernel(env: Json) -> None:
    env["kernel"] = {**env.get("kernel", {"name": "python3"}), "language": "julia"}


def _drop_env_ver(env: Json) -> None:
    del env["env_ver"]


FAULTS: tuple[tuple[str, str, Callable[[Json], None]], ...] = (
    ("env_ver is a number", "env-version-invalid", _set("env_ver", 1.0)),
    ("env_ver of an unknown major", "env-version-unsupported", _set("env_ver", "2.0")),
    ("env_ver missing", "env-version-missing", _drop_env_ver),
    (
        "bad requirement",
        "requirement-invalid",
        _add_file("requirements.txt", "numpy==1.26.4\npandas>=\n"),
    ),
    ("short commit", "git-commit-invalid", _break_git),
    ("digest in the image ref", "image-invalid", _break_image),
    (
        "file outside the closed set",
        "unknown-file-name",
        _add_file("setup.sh", "pip install numpy\n"),
    ),
    ("python pin without minor", "invalid-value", _set("python", "3")),
    ("kernel language mismatch", "kernel-language-mismatch", _break_kernel),
    (
        "tab-indented YAML",
        "invalid-yaml",
        _add_file("environment.yml", "name: x\ndependencies:\n\t- numpy\n"),
    ),
    ("apt line with a space", "apt-invalid", _add_file("apt.txt", "libgl1\npython3 pip\n")),
    ("unknown field", "unknown-field", _set("packages", ["numpy"])),
)


# --------------------------------------------------------------------------- corpus


def plan_corpus(count: int, seed: int) -> list[Plan]:
    """Sizes and environment classes of every notebook, fixed by *seed*."""
    rng = random.Random(seed)
    indices = list(range(count))
    big = set(rng.sample(indices, round(count * BIG_SHARE)))
    rest = list(indices)
    rng.shuffle(rest)
    no_env = set(rest[: round(count * NO_ENV_SHARE)])
    invalid_list = rest[len(no_env) : len(no_env) + round(count * INVALID_SHARE)]
    faults = {index: FAULTS[n % len(FAULTS)][0] for n, index in enumerate(invalid_list)}
    plans: list[Plan] = []
    for i in indices:
        if i in big:
            size = rng.randint(*BIG_RANGE)
        else:
            drawn = TYPICAL_MEDIAN * math.exp(rng.gauss(0.0, TYPICAL_SIGMA))
            size = int(min(max(drawn, TYPICAL_RANGE[0]), TYPICAL_RANGE[1]))
        env_class = "none" if i in no_env else "invalid" if i in faults else "valid"
        plans.append(Plan(i, size, i in big, env_class, faults.get(i)))
    return plans


def make_notebook(plan: Plan, seed: int) -> tuple[Json, str | None]:
    """The notebook of *plan*, and the code expected from ``envspec validate`` (if invalid)."""
    rng = random.Random(seed * 1_000_003 + plan.index)
    non_ascii = rng.random() < 0.15
    kernelspec, language_info = kernelspec_for(rng)
    cells = make_cells(rng, plan, non_ascii)
    metadata: Json = {"kernelspec": kernelspec, "language_info": language_info}
    if rng.random() < 0.1:
        metadata["toc"] = {"base_numbering": 1, "nav_menu": {}, "number_sections": True}
    expected: str | None = None
    if plan.env_class != "none":
        env = make_environment(rng, kernelspec, language_info)
        if plan.fault is not None:
            _, expected, apply = next(f for f in FAULTS if f[0] == plan.fault)
            apply(env)
        metadata["environment"] = env
    notebook = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    return notebook, expected


def file_name(plan: Plan, seed: int) -> str:
    """The notebook's path relative to the corpus folder."""
    rng = random.Random(seed * 7_919 + plan.index)
    folder = FOLDERS[plan.index % len(FOLDERS)]
    words = "-".join(rng.sample(WORDS, 2))
    return f"{folder}/{plan.index:04d}-{words}.ipynb"


def serialise(notebook: Json) -> bytes:
    """nbformat's canonical on-disk form."""
    return (json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode(
        "utf-8"
    )


def _prepare(out: Path) -> None:
    """Make *out* ready: create it, or remove the files a previous run listed in its manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / MANIFEST
    if manifest.exists():
        previous = json.loads(manifest.read_text(encoding="utf-8"))
        root = out.resolve()
        for entry in previous.get("files", []):
            target = (out / entry["path"]).resolve()
            if target.is_relative_to(root) and target.suffix == ".ipynb":
                target.unlink(missing_ok=True)
        manifest.unlink()
        for folder in FOLDERS:
            if (out / folder).is_dir() and not any((out / folder).iterdir()):
                (out / folder).rmdir()
    elif any(out.iterdir()):
        raise FileExistsError(
            f"{out} is not empty and holds no {MANIFEST}; refusing to write there"
        )


def generate(out: Path, count: int, seed: int) -> Json:
    """Write the corpus; returns the manifest."""
    _prepare(out)
    entries: list[Json] = []
    total = 0
    for plan in plan_corpus(count, seed):
        notebook, expected = make_notebook(plan, seed)
        data = serialise(notebook)
        name = file_name(plan, seed)
        target = out / name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(data)
        total += len(data)
        entry: Json = {"path": name, "bytes": len(data), "environment": plan.env_class}
        if expected is not None:
            entry["fault"] = plan.fault
            entry["expected_code"] = expected
        entries.append(entry)
    manifest: Json = {
        "format": MANIFEST_FORMAT,
        "generator": "envspec benchmarks/make_corpus.py",
        "count": count,
        "seed": seed,
        "total_bytes": total,
        "files": entries,
    }
    (out / MANIFEST).write_text(
        json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "out_dir", metavar="OUT_DIR", type=Path, help="folder to write the corpus into"
    )
    parser.add_argument("-n", "--count", type=int, default=1000, help="number of notebooks (1000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("-n must be at least 1")
    start = time.perf_counter()
    try:
        manifest = generate(args.out_dir, args.count, args.seed)
    except FileExistsError as exc:
        parser.error(str(exc))
    elapsed = time.perf_counter() - start
    classes = {
        c: sum(e["environment"] == c for e in manifest["files"])
        for c in ("valid", "none", "invalid")
    }
    print(
        f"wrote {manifest['count']} notebook{'' if manifest['count'] == 1 else 's'}, "
        f"{manifest['total_bytes'] / 1e6:.1f} MB, "
        f"to {args.out_dir} in {elapsed:.1f} s (environments: {classes['valid']} valid, "
        f"{classes['none']} none, {classes['invalid']} invalid)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
