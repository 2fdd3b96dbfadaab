"""Zoo fault: a wrong flag: cloud handler URLs accept git's scp-like form (``git@host:path``).

Only ``git.url`` may use the scp-like SSH form; a handler URL MUST be an
absolute URL.  The mutation run flipped the ``ssh_ok`` flag of the handler
check and no case noticed, until ``validator.urls.handler-url-not-absolute-forms``
and ``validator.versions.legacy-field-rules``.  Flagged by: those cases.
"""

from collections.abc import Iterator
from typing import Any

from envspec.checks import fields
from envspec.conformance import reference
from envspec.diagnostics import Finding

_check_url = fields.check_url


def ssh_everywhere(url: str, path: tuple[str | int, ...], *, ssh_ok: bool) -> Iterator[Finding]:
    return _check_url(url, path, ssh_ok=True)  # the fault


class Adapter(reference.Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        fields.check_url = ssh_everywhere  # what the field and 0.1 rules call
        try:
            return super()._validate(message)
        finally:
            fields.check_url = _check_url


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
