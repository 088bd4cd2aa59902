"""Errors the CLI turns into one line on stderr, each with a hint how to fix it."""
from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager


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


class DiskFull(KBError):
    """The disk under KB_HOME (or under the Chroma server) has no space left; nothing was switched."""


# What a full disk looks like on the way up: the OS's errno, or SQLite's words inside Chroma's error.
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_DISK_FULL_WORDS = ("database or disk is full", "no space left on device", "disk quota exceeded")


def is_disk_full(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from, is a full disk."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _DISK_FULL_ERRNOS:
            return True
        if any(words in str(current).lower() for words in _DISK_FULL_WORDS):
            return True
        current = current.__cause__ or current.__context__
    return False


def disk_full(where: object) -> DiskFull:
    return DiskFull(f"disk full: no space left to write {where}",
                    "free space on that disk and run the command again; the serving version is unchanged")


@contextmanager
def writes_to(where: object) -> Iterator[None]:
    """A full disk while writing `where` becomes DiskFull, whichever library did the writing."""
    try:
        yield
    except DiskFull:
        raise
    except Exception as error:
        if is_disk_full(error):
            raise disk_full(where) from error
        raise
