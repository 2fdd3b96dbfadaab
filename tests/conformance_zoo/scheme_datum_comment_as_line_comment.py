"""Zoo fault: the Scheme reader takes a ``#;`` datum comment for a ``;`` line comment.

A mutant the mutation run showed the suite could not tell apart (until
``validator.guix.datum-comment-spans-lines``): ``#;`` skips the next *datum*,
which may span lines, while ``;`` skips the rest of the line.  Flagged by:
``validator.guix.datum-comment-spans-lines``.
"""

from typing import Any

from envspec.checks import scheme
from envspec.conformance import reference

_check_scheme = scheme.check_scheme


def line_comment_reader(text: str, path: tuple[str | int, ...]) -> Any:
    return _check_scheme(text.replace("#;", ";"), path)  # the fault


class Adapter(reference.Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        scheme.check_scheme = line_comment_reader  # what the rule engine calls
        try:
            return super()._validate(message)
        finally:
            scheme.check_scheme = _check_scheme


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
