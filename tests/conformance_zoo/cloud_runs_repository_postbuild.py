"""Zoo fault (cloud): a repository's postBuild runs, though the operator does not trust it.

Flagged by: ``cloud.git.untrusted-postbuild``.
"""

from _cloud_service import main

if __name__ == "__main__":
    raise SystemExit(main("runs-repository-postbuild"))
