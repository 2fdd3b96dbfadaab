"""Zoo fault: a pip reader that expands ``${name}`` in lower case as well as ``${NAME}``.

pip expands only names of capitals, digits and ``_`` (its ``ENV_VAR_RE``):
``numpy==${numpy_version}`` stays as written, and pip refuses it.  envspec's
reference had this fault until the mutation run's case
``validator.pip.lower-case-variable-not-expanded``, which flags it.
"""

import re

from packaging.requirements import InvalidRequirement, Requirement

from envspec.checks import requirements
from envspec.conformance import reference


def any_case_variables(requirement: str) -> str | None:
    candidate = re.sub(r"\$\{[A-Za-z0-9_]+\}", "0", requirement)  # the fault: a-z too
    try:
        Requirement(candidate)
    except InvalidRequirement as exc:
        return f"{requirement!r} is not a valid requirement: {str(exc).splitlines()[0]}"
    return None


if __name__ == "__main__":
    requirements._pep508_error = any_case_variables  # what the line rules call
    raise SystemExit(reference.main())
