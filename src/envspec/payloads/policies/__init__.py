"""Built-in tag policies (``rsp``, ``semver``, ``calver``) and user-defined regex rules."""
