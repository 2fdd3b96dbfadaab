"""Zoo fault (cloud): an uploaded notebook's postBuild runs, though nobody trusted it.

Flagged by: ``cloud.deploy.untrusted-postbuild``.
"""

from _cloud_service import main

if __name__ == "__main__":
    raise SystemExit(main("runs-postbuild"))
