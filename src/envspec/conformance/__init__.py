"""The conformance suite: cases as data, the adapter protocol, the runner and its reports.

Third-party implementations of the standard (validators, migrators, packers, launchers)
put a small adapter in front of their code and run
``envspec conformance run --adapter CMD``.  See ``spec/conformance.md`` for the
protocol and ``docs/conformance.md`` for the implementer's guide.
"""
