"""Zoo fault (cloud): a body that is not JSON is answered 500 (an unhandled exception).

Flagged by: ``cloud.problems.malformed-json``, ``cloud.problems.push-malformed-json``.
"""

from _cloud_service import main

if __name__ == "__main__":
    raise SystemExit(main("500-on-bad-json"))
