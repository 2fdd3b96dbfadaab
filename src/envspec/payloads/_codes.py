"""The diagnostic codes of payload files (``envspec payload validate``), registered in
:mod:`envspec._codes` with the others.  Each example is a payload file that the test suite
checks with ``envspec payload validate`` (the ``payload`` example option)."""

from __future__ import annotations

from envspec.diagnostics import CodeInfo

__all__ = ["PAYLOAD_ENTRIES"]

_HEAD = (
    'payload_ver: "1.0"\n'
    "name: science\n"
    "image: {type: docker, registry: ghcr.io, repository: example/science}\n"
)
_SEMVER = _HEAD + "tags: {policy: semver}\n"
_FILE = "science.payload.yaml"

PAYLOAD_ENTRIES: tuple[CodeInfo, ...] = (
    CodeInfo(
        "payload-not-object",
        "error",
        "The payload file does not hold an object",
        "A payload or deployment is a mapping of members (`payload_ver`, `name`, ...); a list "
        "or a scalar at the top is not one.",
        'Write the members at the top level, starting with payload_ver: "1.0".',
        _FILE,
        "- payload_ver: '1.0'\n  name: science\n",
        ("payload",),
    ),
    CodeInfo(
        "payload-version-unknown",
        "error",
        "payload_ver is missing or not a version this tool reads",
        "A reader must know which version of the payload standard a file follows before it "
        "reads anything else; a file without `payload_ver`, with a number instead of a string, "
        "or of an unknown major version is refused.",
        'Start the file with payload_ver: "1.0" (a quoted string).',
        _FILE,
        'payload_ver: "2.0"\nname: science\n',
        ("payload",),
    ),
    CodeInfo(
        "payload-version-newer",
        "warning",
        "payload_ver is a newer minor version than this tool knows",
        "A newer minor only adds optional members: the file is read as the newest minor this "
        "tool knows, and members it does not know are kept but not checked.",
        "Update envspec to check every member.",
        _FILE,
        _SEMVER.replace('"1.0"', '"1.9"'),
        ("payload",),
    ),
    CodeInfo(
        "payload-regex-invalid",
        "error",
        "A tag rule's pattern is not a valid regular expression",
        "A spawner matches every tag of the registry against the rules; a pattern that does not "
        "compile would stop it from listing any image.",
        "Fix the pattern (Python `re` syntax, named groups written `(?P<name>...)`).",
        _FILE,
        _HEAD + "tags:\n  policy: rules\n  rules:\n"
        "    - {pattern: 'v(?P<major>[0-9]+', category: release}\n",
        ("payload",),
    ),
    CodeInfo(
        "payload-regex-backtracking",
        "error",
        "A tag rule's pattern can backtrack badly",
        "A repeat inside a repeat (`(a+)+`, `(\\w*-)*`) or a repeat of alternatives of which "
        "one matches nothing takes exponential time on some tags: one odd tag in the "
        "registry would hang the spawner's refresh.",
        "Rewrite the pattern without nested unbounded repeats: make the inner part fixed "
        "(`[0-9]{4}`), possessive (`[0-9]++`) or atomic (`(?>...)`).",
        _FILE,
        _HEAD + "tags:\n  policy: rules\n  rules:\n"
        "    - {pattern: '(?P<name>([a-z]+-?)+)', category: release}\n",
        ("payload",),
    ),
    CodeInfo(
        "payload-rule-category",
        "error",
        "A tag rule has no category",
        "The category decides where a matching tag goes in the menu, how many are prepulled "
        "and which dropdown filter applies; a rule without one is meaningless.",
        "Give the rule a category (`release`, `nightly`, ...).",
        _FILE,
        _HEAD + "tags:\n  policy: rules\n  rules:\n    - {pattern: 'v(?P<version>[0-9.]+)'}\n",
        ("payload",),
    ),
    CodeInfo(
        "payload-rule-group",
        "error",
        "A tag rule uses a group its pattern does not have",
        "The sort keys and the display format read the named groups of the rule's pattern; a "
        "name that is not a group (or a display that is not a format) cannot be computed.",
        "Name the group in the pattern, `(?P<name>...)`, or fix the sort key or display.",
        _FILE,
        _HEAD + "tags:\n  policy: rules\n  rules:\n"
        "    - pattern: 'v(?P<version>[0-9.]+)'\n      category: release\n"
        "      display: 'Release {ver}'\n",
        ("payload",),
    ),
    CodeInfo(
        "payload-duplicate-name",
        "error",
        "Two items share a name that must be unique",
        "Sizes, volumes, rules, pins, aliases, files and the payloads of a deployment are "
        "chosen by name: two with the same name make the choice ambiguous.",
        "Rename or remove one of them.",
        _FILE,
        _SEMVER + "lab:\n  sizes:\n"
        "    - {name: small, cpu: {request: '1'}, memory: {request: 4Gi}}\n"
        "    - {name: small, cpu: {request: '2'}, memory: {request: 8Gi}}\n",
        ("payload",),
    ),
    CodeInfo(
        "payload-limit-below-request",
        "error",
        "A size's limit is below its request",
        "Kubernetes refuses a container whose limit is below its request: the lab would never "
        "start in that size.",
        "Raise the limit to at least the request, or lower the request.",
        _FILE,
        _SEMVER + "lab:\n  sizes:\n"
        "    - {name: small, cpu: {request: '2', limit: '1'}, memory: {request: 4Gi}}\n",
        ("payload",),
    ),
    CodeInfo(
        "payload-secret-value",
        "error",
        "A secret is given as a value",
        "Payload files are committed and shared; a token, key or password written in them is "
        "leaked.  Secrets are references to the deployment's secret store.",
        "Replace the value by `secret: {store: ..., key: ...}` and put the value in the store.",
        _FILE,
        _SEMVER + "lab:\n  env:\n    API_TOKEN: {value: 'not-a-real-token-but-a-value'}\n",
        ("payload",),
    ),
    CodeInfo(
        "payload-path-escapes",
        "error",
        "A path leaves its folder",
        "Paths of a payload (the install script, build files, referenced payloads) are "
        "relative and stay inside their folder: a build copies that folder and nothing else, "
        "and a path such as `../../.ssh/id_rsa` must never be read.",
        "Move the file into the folder and write a relative path without `..` going above it.",
        _FILE,
        _SEMVER + "build:\n  script: {folder: build, run: ../install.sh}\n",
        ("payload",),
    ),
    CodeInfo(
        "payload-build-empty",
        "error",
        "The build block has nothing to build from",
        "A `build` without files, file paths, a base image or a script builds nothing; a "
        "payload that uses published images as they are omits `build`.",
        "Add the build inputs, or remove `build` for an image-only payload.",
        _FILE,
        _SEMVER + "build: {python: '3.12'}\n",
        ("payload",),
    ),
    CodeInfo(
        "payload-ref-missing",
        "error",
        "A file the payload or deployment names is not there",
        "Paths are relative to the payload file: a deployment's payload files (named "
        "`*.payload.yaml`), a build's `file_paths` and its install script.  A missing one "
        "drops a payload from the menu or breaks the image build.",
        "Fix the path, or add the file beside the payload file.",
        "platform.payload.yaml",
        'payload_ver: "1.0"\nname: platform\npayloads:\n  - {path: missing.payload.yaml}\n',
        ("payload",),
    ),
)
