"""A cursor over a token list, shared by the verifier's small recursive-descent parsers (:mod:`rewards.arithmetic`,
exact arithmetic; :mod:`rewards.sampling`, floating-point refutation)."""

from __future__ import annotations


class UnsupportedForm(Exception):
    """Text outside what a small parser reads; the caller falls back to the general comparison."""


class TokenCursor:
    """``tokens`` read left to right: :meth:`_peek` looks at the next one, :meth:`_take` consumes it."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        """The next token; :class:`UnsupportedForm` if it is not ``expected`` (IndexError past the end)."""
        token = self.tokens[self.position]
        if expected is not None and token != expected:
            raise UnsupportedForm
        self.position += 1
        return token
