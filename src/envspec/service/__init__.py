"""binder-lite: the deploy service, its JupyterHub integration and ``envspec serve``."""
