"""`CatalogBot`: the retrieval chain understand -> retrieve -> compose -> validate, built from
langchain_core runnables so an optional chat model slots in as one more step."""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.runnables import Runnable, RunnableLambda

from ingest.models import Catalog, Entry
from kb.chunks import NOTES_ENTRY
from kb.lexical import load_glossary
from kb.models import EntryHit, ProductMatch
from kb.names import compact, load_english_names
from bot.compose import Composer, Quote
from bot.hygiene import QuestionTooLong, clean_question
from bot.llm import Phraser, chat_model_from_env
from bot.models import Answer, StreamEvent, Turn
from bot.understand import WHICH, Understanding, understand
from bot.verdict import ClauseMatch, Concept, ScopeJudge, load_catalog_terms

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from kb import KnowledgeBase

# A question that names no product is answered only when some word of it (or of its glossary
# synonyms) occurs in the catalog: dense similarity alone is high for any text (multilingual-e5 gives
# 0.75-0.9 to "how do I cook rice"), so it cannot tell an off-topic question from a real need.
# Checked on eval/sets/dev.jsonl and on off-topic questions of our own (README, bot section).
MIN_LEXICAL_SCORE = 0.3
MAX_IMPLICIT_CONCEPTS = 3
MAX_SPECIFIC_SHARE = 0.25
NEGATED = re.compile(r"(不|没|别|无需|不用)(打算|想|准备|需要|要|用)?$|"
                     r"\b(won'?t|will not|don'?t|do not|doesn'?t|not|never|no plans? to|cannot|can'?t)\s+"
                     r"((want|need|plan|intend|going)( to)? )?(a |an |the |any )?$", re.IGNORECASE)
NEGATION_WINDOW = 24  # characters before a name: "不打算" in Chinese, "we don't plan to " in English
# A question about an amount ("几天", "多少人天", "how many days"): answered by an entry that states one.
QUANTITY = re.compile(r"几|多少|最多|上限|天数|人天|how many|how much time|person-?days?|man-?days?|up to \d", re.IGNORECASE)
# "A 和 B 分别找哪个服务" / "which services handle A and B respectively": the needs come before the cue,
# separated by conjunctions or commas.
RESPECTIVELY = re.compile(r"分别|各自|各找|各用|\brespectively\b|\beach\b", re.IGNORECASE)
NEED_SEPARATOR = re.compile(r"[，,；;、]|以及|还要|还有|顺便|另外|和|与|跟|及|\band\b|\bas well as\b|\bplus\b", re.IGNORECASE)
SUGGEST_ON = {"price"}  # override attempts and other vendors get no product suggestions
SEARCH_DEPTH = 5


@dataclass
class Context:
    """What retrieval hands to composition: the understood question and the entries it is about."""

    understanding: Understanding
    history: list[Turn] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    hits: list[EntryHit] = field(default_factory=list)
    per_need: list[EntryHit] = field(default_factory=list)  # "A 和 B 分别找哪个服务": the best entry for each need
    draft: Answer | None = None  # the extractive answer, validated
    answer: Answer | None = None  # what the customer gets: the draft, or its validated rewording


def _needs(query: str) -> list[str]:
    """The needs of "A 和 B 分别找哪个服务" / "A 找哪个服务，B 又找哪个" / "A and B respectively"; one
    need (or none) for any other question."""
    if RESPECTIVELY.search(query):
        return NEED_SEPARATOR.split(RESPECTIVELY.split(query)[0])
    asks = list(WHICH.finditer(query))
    if len(asks) >= 2:
        return [query[(asks[i - 1].end() if i else 0) : ask.start()] for i, ask in enumerate(asks)]
    return []


def _turns(history: Sequence[Turn | dict[str, Any]]) -> list[Turn]:
    return [turn if isinstance(turn, Turn) else Turn.model_validate(turn) for turn in history]


class CatalogBot:
    """Answers questions about the active catalog; all per-catalog work happens here, once."""

    def __init__(self, kb: KnowledgeBase | None = None, llm: BaseChatModel | None = None) -> None:
        if kb is None:
            from kb import KnowledgeBase

            kb = KnowledgeBase.open()
            kb.ensure_ready()
        if llm is None:
            llm = chat_model_from_env()
        self.kb = kb
        self.llm = llm
        self._english = load_english_names()
        self._glossary = load_glossary()
        self._terms = load_catalog_terms()
        self._use_catalog(kb.catalog)
        self.chain = self._build_chain()
        self.kb.search(self.catalog.entries[0].product, k=1)  # load indexes and embedder now, not on the first question

    def _use_catalog(self, catalog: Catalog) -> None:
        """Per-catalog state, rebuilt when the knowledge base switches to another edition."""
        self.catalog = catalog
        self._entries = {entry.product: entry for entry in catalog.entries}
        english = self._english
        self.composer = Composer(catalog.catalog_version, lambda entry_id: (english.get(compact(entry_id)) or [None])[0])
        groups = self._glossary + self._terms
        user_words = [entry.product for entry in catalog.entries] + [term for group in groups for term in group]
        self.judge = ScopeJudge(self._glossary, user_words, corpus="\n".join(e.text for e in catalog.entries),
                                exact_groups=self._terms)
        self.phraser = (Phraser(self.llm, catalog.entries, lambda text: [m.entry.product for m in self._mentions(text)])
                        if self.llm else None)

    # -- the chain ---------------------------------------------------------------------------------
    def _build_chain(self) -> Runnable:
        """understand -> retrieve -> compose -> validate, then the optional phrasing (validated again
        inside, falling back to the draft); the state travels as one Context. Plain sequential
        runnables: RunnablePassthrough.assign would start a thread pool per step."""
        self.draft_chain = (RunnableLambda(self._understand) | RunnableLambda(self._retrieve)
                            | RunnableLambda(self._compose) | RunnableLambda(self._validate))
        return self.draft_chain | RunnableLambda(self._phrase)

    def ask(self, question: str, history: Sequence[Turn | dict[str, Any]] = ()) -> Answer:
        """Answer one question; `history` is the conversation so far, oldest first."""
        return self.chain.invoke({"question": question, "history": _turns(history)}).answer

    def stream(self, question: str, history: Sequence[Turn | dict[str, Any]] = ()) -> Iterator[StreamEvent]:
        """Text deltas, then one event carrying the validated Answer (which may differ from the deltas
        when a generated answer failed validation: the final Answer is the one to keep)."""
        context: Context = self.draft_chain.invoke({"question": question, "history": _turns(history)})
        draft = context.draft
        if self.phraser is None:
            for line in draft.answer.splitlines(keepends=True):
                yield StreamEvent(delta=line)
            yield StreamEvent(final=draft)
            return
        u = context.understanding
        for part in self.phraser.stream(u.question, context.history, draft, u.lang):
            yield StreamEvent(final=part) if isinstance(part, Answer) else StreamEvent(delta=part)

    # -- steps -------------------------------------------------------------------------------------
    def _understand(self, inputs: dict[str, Any]) -> Context:
        if self.kb.catalog is not self.catalog:  # a new edition was ingested and activated
            self._use_catalog(self.kb.catalog)
        history = [Turn(role=t.role, content=clean_question(t.content, max_chars=10**6)) for t in inputs["history"]]
        try:
            question = clean_question(inputs["question"])
        except QuestionTooLong:
            return Context(Understanding(question="", lang="zh", kind="abstain", abstain_reason="too_long"), history)
        understanding = understand(question, history, self._mentions)
        if understanding.abstain_reason == "howto" and self.judge.glossary_terms(question):
            # "如何解决报表太慢": worded as a how-to, but it names a need a service answers (慢).
            understanding = understanding.model_copy(update={"kind": "which", "abstain_reason": None})
        return Context(understanding, history)

    def _mentions(self, text: str) -> list[ProductMatch]:
        """The knowledge base's product matches, plus two corrections for names that nest
        (现场服务 inside 现场服务包): "现场服务包括" names 现场服务, and every occurrence of a name counts."""
        matches = []
        for match in self.kb.match_products(text):
            if NEGATED.search(text[max(0, match.start - NEGATION_WINDOW) : match.start]):
                continue  # "不打算升级": the customer is saying what they do not want
            shorter = self._entries.get(match.entry.product[:-1])
            if shorter and text[match.end - 1 : match.end + 1] in {"包括", "包含"}:
                match = match.model_copy(update={"entry": shorter, "end": match.end - 1, "text": match.text[:-1]})
            matches.append(self._sibling_with_quantity(match, text))
        named = {match.entry.id for match in matches}
        for entry in self.catalog.entries:
            if entry.id in named:
                continue
            pattern = r"\s*".join(map(re.escape, entry.id)) + r"(?!包括|包含)"
            for found in re.finditer(pattern, text):
                if not any(found.start() < m.end and m.start < found.end() for m in matches):
                    matches.append(ProductMatch(entry=entry, start=found.start(), end=found.end(), text=found.group(),
                                                score=1.0, kind="exact"))
                    break
        return matches

    def _sibling_with_quantity(self, match: ProductMatch, text: str) -> ProductMatch:
        """"现场服务一共给几天": a question about a quantity, naming a product whose longer sibling
        (现场服务包) is the one that states a number, is about the sibling."""
        if not QUANTITY.search(text) or re.search(r"\d", match.entry.text):
            return match
        siblings = [entry for entry in self.catalog.entries
                    if entry.id != match.entry.id and compact(entry.id).startswith(compact(match.entry.id))
                    and re.search(r"\d", entry.text)]
        return match.model_copy(update={"entry": siblings[0]}) if len(siblings) == 1 else match

    def _without_negated(self, text: str) -> str:
        """The query without products the customer says they do not want ("不打算升级")."""
        for match in sorted(self.kb.match_products(text), key=lambda m: m.start, reverse=True):
            negation = NEGATED.search(text[max(0, match.start - NEGATION_WINDOW) : match.start])
            if negation:
                text = text[: match.start - len(negation.group())] + text[match.end :]
        return text

    def _retrieve(self, context: Context) -> Context:
        understanding = context.understanding
        if understanding.kind == "abstain":
            return context
        context.entries = [self._entries[p] for p in understanding.products if p in self._entries]
        if understanding.kind == "entitlement":
            return context
        if not context.entries or understanding.kind == "which":
            query = self._without_negated(understanding.search_query)
            context.hits = [hit for hit in self.kb.search(query, k=SEARCH_DEPTH)
                            if hit.entry.id != NOTES_ENTRY]
            if understanding.kind == "which":
                context.per_need = self._per_need(_needs(query))
        return context

    def _per_need(self, needs: list[str]) -> list[EntryHit]:
        """Two needs asked in one question, each answered by its own best entry (several only when the
        needs land on different entries)."""
        best = {}
        for need in needs:
            hits = [hit for hit in self.kb.search(need, k=2) if hit.entry.id != NOTES_ENTRY] if need.strip() else []
            if hits and hits[0].lexical_score >= MIN_LEXICAL_SCORE:
                best.setdefault(hits[0].entry.id, hits[0])
        return list(best.values()) if len(best) >= 2 else []

    def _compose(self, context: Context) -> Context:
        context.draft = self._draft(context)
        return context

    def _draft(self, context: Context) -> Answer:
        u = context.understanding
        if u.kind == "abstain":
            # Price questions about a named product may point to its entry (in the text, never cited).
            named = [self._entries[p] for p in u.products if p in self._entries and p != NOTES_ENTRY]
            suggestions = named if u.abstain_reason in SUGGEST_ON else []
            return self.composer.abstain(u.abstain_reason or "unknown", u.lang, suggestions)
        if u.kind == "entitlement":
            return self.composer.entitlement(self._entries[NOTES_ENTRY], [e for e in context.entries if e.id != NOTES_ENTRY], u.lang)
        if context.per_need:
            return self.composer.recommend(self._reasons(context.per_need), u.lang)
        entries = context.entries
        if not entries:
            if not context.hits or context.hits[0].lexical_score < MIN_LEXICAL_SCORE:
                return self.composer.abstain("unknown", u.lang)
            if u.kind == "scope":
                # A yes/no question naming no product: confirm from the best entry only when the
                # question asks about one short thing it clearly covers; a long description of a need
                # gets a recommendation rather than a yes about a product the customer did not name.
                verdict, _ = self.judge.judge(u.topic, context.hits[0].entry)
                concepts = self.judge.concepts(u.topic)
                if (verdict == "included" and len(concepts) <= MAX_IMPLICIT_CONCEPTS
                        and any(self._specific(concept) for concept in concepts)):
                    return self._scope(u, context.hits[0].entry)
                recommended = self.composer.recommend(self._reasons(context.hits[:1]), u.lang)
                return recommended.model_copy(update={"verdict": verdict})
            return self.composer.recommend(self._reasons(context.hits[:1]), u.lang)
        if u.kind == "scope":
            return self._scope(u, entries[0])
        if u.kind == "compare" and len(entries) >= 2:
            return self.composer.compare(entries, u.lang)
        return self.composer.describe(entries, u.lang)

    def _scope(self, u: Understanding, entry: Entry) -> Answer:
        verdict, match = self.judge.judge(u.topic, entry)
        if verdict != "excluded" and u.background_topic:
            # the asked part decides a yes; a condition in the background may still meet an exclusion
            in_background = self.judge.judge(u.background_topic, entry)
            if in_background[0] == "excluded":
                verdict, match = in_background
        pointers = self._pointer(u.topic, entry) if verdict == "not_listed" else []
        # Name the topic by its concepts ("数据迁移"), not the raw remainder of the question ("会 数据迁移").
        shown = u.topic if u.lang == "en" else "、".join(c.label for c in self.judge.concepts(u.topic)) or u.topic
        return self.composer.scope(entry, shown, verdict, match.clause if match else None, pointers, u.lang)

    def _specific(self, concept: Concept) -> bool:
        """Mentioned by few entries (数据 is in most of them, 数据备份 in two): only such a word can
        stand for a product the customer did not name."""
        mentioning = sum(concept.mentioned_in(entry.text) for entry in self.catalog.entries)
        return mentioning <= len(self.catalog.entries) * MAX_SPECIFIC_SHARE

    def _pointer(self, topic: str, asked: Entry) -> list[Quote]:
        """The product that does list what `asked` does not: best clause match; ties go to the asked
        product's catalog neighbours (same category), then to retrieval rank (searched only for a tie)."""
        others = [e for e in self.catalog.entries if e.id not in {asked.id, NOTES_ENTRY}]
        covering = self.judge.covering_entries(topic, others)
        if not covering:
            return []
        def key(match: ClauseMatch) -> tuple:
            return tuple(-x for x in match.rank), match.entry.category != asked.category

        tied = [m for m in covering if key(m) == min(map(key, covering))]
        if len(tied) > 1:
            ranked = {hit.entry.id: rank for rank, hit in enumerate(self.kb.search(topic, k=len(others)))}
            tied.sort(key=lambda m: ranked.get(m.entry.id, len(others)))
        return [Quote(tied[0].entry, tied[0].clause)]

    @staticmethod
    def _reasons(hits: Sequence[EntryHit]) -> list[Quote]:
        quotes = []
        for hit in hits:
            clauses = [e.text for e in hit.evidence if e.kind in {"description", "item", "exclusion"} and e.text in hit.entry.text]
            quotes.append(Quote(hit.entry, clauses[0] if clauses else Composer.overview(hit.entry)[0]))
        return quotes

    def _phrase(self, context: Context) -> Context:
        u = context.understanding
        context.answer = (self.phraser.phrase(u.question, context.history, context.draft, u.lang)
                          if self.phraser else context.draft)
        return context

    def _validate(self, context: Context) -> Context:
        """Every citation must name a catalog entry and quote it verbatim; anything else is dropped."""
        valid = []
        for citation in context.draft.citations:
            entry = self._entries.get(citation.product)
            if entry and citation.quote and citation.quote in entry.text:
                valid.append(citation)
        context.draft = context.draft.model_copy(update={"citations": valid})
        return context
