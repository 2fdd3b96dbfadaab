"""Zoo fault (cloud): a ``file://`` repository URL is accepted.

Flagged by: ``cloud.problems.file-url``.
"""

from _cloud_service import main

if __name__ == "__main__":
    raise SystemExit(main("accepts-file"))
