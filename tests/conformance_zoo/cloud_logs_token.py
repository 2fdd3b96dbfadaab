"""Zoo fault (cloud): the Authorization header, token included, is written to the log.

Flagged by: ``cloud.secrecy.tokens-not-logged``.
"""

from _cloud_service import main

if __name__ == "__main__":
    raise SystemExit(main("logs-token"))
