"""Payloads: what a spawner offers (the payload standard), tag policies, menus."""
