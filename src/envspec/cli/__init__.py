"""The ``envspec`` command line: a thin layer over the library (parsing, printing, exit codes)."""
