"""The one error ingest raises for bad input, so callers can report it without a stack trace."""
from __future__ import annotations


class IngestError(ValueError):
    """A document that cannot be turned into a catalog; the message is one line, fit for stderr."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))
