"""The knowledge base: clause chunks in Chroma (one collection per catalog version), BM25, product names."""
from __future__ import annotations

from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.models import Chunk, EntryHit, Evidence, ProductMatch, VersionInfo

__all__ = ["Chunk", "EntryHit", "Evidence", "KBError", "KnowledgeBase", "ProductMatch", "VersionInfo"]
