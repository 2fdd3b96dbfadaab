"""Zoo fault (cloud): a push body naming another remote is accepted, and pushed there.

Flagged by: ``cloud.git.push-origin-only``.
"""

from _cloud_service import main

if __name__ == "__main__":
    raise SystemExit(main("push-anywhere"))
