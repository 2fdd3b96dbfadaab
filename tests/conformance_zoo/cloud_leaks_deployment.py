"""Zoo fault (cloud): another user's deployment can be read, listed and deleted.

Flagged by: ``cloud.isolation.another-users-deployment``.
"""

from _cloud_service import main

if __name__ == "__main__":
    raise SystemExit(main("leaks"))
