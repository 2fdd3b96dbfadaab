"""Helpers of the faulty spawners: the reference's menu, with a policy or configuration
changed in one way."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from envspec.conformance.reference import menu_answer
from envspec.payloads.menu import MenuPayload, build_menu
from envspec.payloads.tags import ParsedTag, make_policy, read_tag_list


class FaultyPolicy:
    """The payload's policy, each parse passed through *change*."""

    def __init__(self, inner: Any, change: Callable[[ParsedTag], ParsedTag]) -> None:
        self._inner, self._change = inner, change
        self.name, self.categories = inner.name, inner.categories

    def parse(self, tag: str) -> ParsedTag:
        return self._change(self._inner.parse(tag))

    def alias(self, tag: str) -> ParsedTag:
        parsed: ParsedTag = self._inner.alias(tag)
        return parsed


def faulty_menu(
    message: dict[str, Any],
    change: Callable[[ParsedTag], ParsedTag] | None = None,
    configure: Callable[[MenuPayload], MenuPayload] | None = None,
) -> dict[str, Any]:
    from envspec.payloads.load import menu_payload
    from envspec.payloads.models import Payload

    payload = menu_payload(Payload.model_validate(message["payload"]))
    if configure is not None:
        payload = configure(payload)
    policy: Any = make_policy(payload.policy)
    if change is not None:
        policy = FaultyPolicy(policy, change)
    today = message.get("today")
    tag_list = read_tag_list(message["tags"])
    menu = build_menu(
        payload,
        tag_list,
        today=datetime.date.fromisoformat(today) if today else None,
        policy=policy,
    )
    return {**menu_answer(menu), "diagnostics": []}
