"""Zoo fault: an off-by-one in a length limit: an image name of 255 characters is too long.

The OCI limit is 255 characters; this adapter compares with ``>=`` instead of
``>``, as a mutant did that no case killed until
``validator.image.ref-255-characters``.  Flagged by: that case.
"""

from collections.abc import Iterator
from typing import Any

from envspec.checks import fields
from envspec.conformance import reference
from envspec.diagnostics import Finding

_check_image_ref = fields.check_image_ref


def strict_image_ref(ref: str, path: tuple[str | int, ...], **kwargs: Any) -> Iterator[Finding]:
    name = ref.split("@", 1)[0]
    head, _, tail = name.rpartition(":")
    if head and "/" not in tail:  # a tag (a registry's port is followed by a "/")
        name = head
    if len(name) >= 255:
        yield Finding("image-invalid", "the image name is too long", path)  # the fault
        return
    yield from _check_image_ref(ref, path, **kwargs)


class Adapter(reference.Adapter):
    def _validate(self, message: dict[str, Any]) -> dict[str, Any]:
        fields.check_image_ref = strict_image_ref  # what the field rules call
        try:
            return super()._validate(message)
        finally:
            fields.check_image_ref = _check_image_ref


if __name__ == "__main__":
    reference.Adapter = Adapter  # type: ignore[misc]  # main() serves reference.Adapter
    raise SystemExit(reference.main())
