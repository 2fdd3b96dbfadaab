"""``python -m envspec``."""

from envspec.cli.main import main

raise SystemExit(main())
