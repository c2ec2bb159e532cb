"""One exception type for everything a user can get wrong.

A :class:`CpaError` carries a message that says what is wrong and where, and a
hint that says how to fix it. The CLI prints both and exits non-zero; it never
shows a traceback for a ``CpaError``.
"""

from __future__ import annotations


class CpaError(Exception):
    """A problem with the user's input or request, explained for a person."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class InfeasibleRequest(CpaError):
    """The options cannot all hold at once; the message names the binding rule."""
