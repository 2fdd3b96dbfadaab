"""Zoo fault (cloud): GET versions answers an API version other than 1.0.

Flagged by: ``cloud.deploy.api-version``.
"""

from _cloud_service import main

if __name__ == "__main__":
    raise SystemExit(main("versions-lie"))
