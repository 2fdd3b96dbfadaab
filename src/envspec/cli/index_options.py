"""The package-index options that ``env create``, ``launch``, ``lock`` and ``kernel install``
share: declared once, turned into :class:`envspec.environments.IndexOptions` once.  They
come from the command line only, never from a notebook."""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["add_index_options", "index_from_args", "index_given"]


def add_index_options(
    parser: argparse.ArgumentParser,
    title: str,
    *,
    find_links_help: str = "a folder or page of wheels (repeatable)",
    offline_help: str = "no network: uv's cache and --find-links only",
) -> None:
    """Add ``--index-url``, ``--extra-index-url``, ``--find-links``, ``--no-index`` and
    ``--offline`` to *parser*, in a group named *title*."""
    index = parser.add_argument_group(title)
    index.add_argument("--index-url", metavar="URL", help="the package index (default: PyPI)")
    index.add_argument(
        "--extra-index-url",
        metavar="URL",
        action="append",
        default=[],
        help="another index (repeatable)",
    )
    index.add_argument(
        "--find-links", metavar="DIR|URL", action="append", default=[], help=find_links_help
    )
    index.add_argument("--no-index", action="store_true", help="use no index (only --find-links)")
    index.add_argument("--offline", action="store_true", help=offline_help)


def index_given(args: argparse.Namespace) -> bool:
    """Whether any index option was given."""
    return bool(
        args.index_url or args.extra_index_url or args.find_links or args.no_index or args.offline
    )


def index_from_args(args: argparse.Namespace, *, absolute: bool = True) -> Any:
    """The :class:`envspec.environments.IndexOptions` of the command line.  With *absolute*,
    a --find-links path that exists is made absolute (uv runs in another folder); URLs and
    other strings are passed on as given."""
    from envspec.environments import IndexOptions

    links = tuple(
        os.path.abspath(link) if absolute and "://" not in link and os.path.exists(link) else link
        for link in args.find_links
    )
    return IndexOptions(
        index_url=args.index_url,
        extra_index_urls=tuple(args.extra_index_url),
        find_links=links,
        no_index=args.no_index,
        offline=args.offline,
    )
