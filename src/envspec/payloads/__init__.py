"""Payload definitions for spawners (``payload_ver`` 1.0): what a science platform offers to launch.

A payload says how its images are built, where they are published, how their tags are
read and sorted, what the spawner's menu shows, how the lab starts in them, and which
spawners can launch them.  The models are in :mod:`envspec.payloads.models`; checking a
file with diagnostics is :mod:`envspec.payloads.validate`.
"""
