"""Zoo fault (cloud): a deployment stays in launching for ever.

Flagged by: ``cloud.deploy.*``.
"""

from _cloud_service import main

if __name__ == "__main__":
    raise SystemExit(main("never-ready"))
