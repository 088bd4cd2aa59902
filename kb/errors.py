"""Errors the CLI turns into one line on stderr, each with a hint how to fix it."""
from __future__ import annotations


class KBError(Exception):
    """A knowledge-base problem the user can fix; `hint` says how."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint

    def __str__(self) -> str:
        message = self.args[0]
        return f"{message} (hint: {self.hint})" if self.hint else message


class StoreCorrupt(KBError):
    """The registry, a stored catalog or a collection under KB_HOME cannot be read."""


class ChromaUnavailable(KBError):
    """The Chroma server at KB_CHROMA_URL does not answer."""


class UnknownVersion(KBError):
    """A version name that was never ingested."""


class EmptyKnowledgeBase(KBError):
    """Nothing has been ingested yet."""
