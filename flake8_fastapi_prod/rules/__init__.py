"""The rule registry: every rule class, in code order, defined once."""

from __future__ import annotations

from ..rule import Rule
from . import background, blocking, engines, handlers, lifecycle, sessions, testing

ALL_RULES: tuple[type[Rule], ...] = tuple(
    sorted(
        (
            *lifecycle.RULES,
            *engines.RULES,
            *testing.RULES,
            *handlers.RULES,
            *sessions.RULES,
            *blocking.RULES,
            *background.RULES,
        ),
        key=lambda rule: rule.code,
    )
)
BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}
