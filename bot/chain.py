"""`CatalogBot`: the answer pipeline understand -> retrieve -> decide -> compose -> validate, then the
optional phrasing by a chat model (a LangChain runnable chain in bot.llm, built only when one is set)."""
from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ingest.models import Catalog, Entry
from kb.chunks import NOTES_ENTRY, entry_clauses
from kb.examples import Example, mask_names
from kb.language import amounts, cue
from kb.lexical import load_glossary
from kb.models import EntryHit, ProductMatch
from kb.names import compact, load_english_names
from bot.compose import Composer, Quote, removed_from
from bot.decide import HARD_DECLINES, NEIGHBOURS, Decider, Decision, Judged, decision_path, voted_clause
from bot.hygiene import QuestionTooLong, clean_question
from bot.llm import Phraser, chat_model_from_env
from bot.models import Answer, StreamEvent, Turn
from bot.signals import Signals
from bot.understand import WHICH, Understanding, scope_topic, understand
from bot.verdict import ClauseMatch, ScopeJudge, beyond_name, carved_out, load_catalog_terms

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from kb import KnowledgeBase

# "A 和 B 分别找哪个服务": a need is given its own entry only when some word of it occurs in the catalog.
MIN_LEXICAL_SCORE = 0.3
NEGATED = cue("negated")  # cue vocabularies: data/language.yaml
NEGATION_WINDOW = 24  # characters before a name: "不打算" in Chinese, "we don't plan to " in English
NOTES_AS_WORD = cue("notes_as_word")  # "请逐项说明", "老板说明年": 说明 that is no reference to the general notes
NOTES_WINDOW = 4
MENTION_CACHE = 4096  # texts whose product names are remembered (per edition)
# A question about an amount ("几天", "多少人天", "how many days"): answered by an entry that states one.
QUANTITY = cue("quantity")
DURATION, STATED_TIME = cue("duration"), cue("stated_time")  # "多久" against 「在双方约定的时间内完成」
UNLIMITED = cue("unlimited")
STAGE_REQUIRED, STAGE_NOT_REACHED = cue("stage_required"), cue("stage_not_reached")
CUSTOMER_SUPPLIES, VENDOR_SUPPLIES = cue("customer_supplies"), cue("vendor_supplies")
PER_ENGAGEMENT, STANDING_ACCESS = cue("per_engagement"), cue("standing_access")
DELEGATED = cue("delegated")  # "金蝶全包，我们不用派人？": all of the work asked of Kingdee
SHARED_WORK = cue("shared_work")  # 联合, 协助, 共同…: a clause's work done with the customer
# a number an entry states ("不超过 12 人天"), not the marker of a numbered item ("1）", "（2）", "3、")
STATED_AMOUNT = re.compile(r"(?<![（(\d])\d+(?![\d）)、.])")
# "A 和 B 分别找哪个服务" / "which services handle A and B respectively": the needs come before the cue,
# separated by conjunctions or commas.
RESPECTIVELY = cue("respectively")
NEED_SEPARATOR = cue("need_separator")
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
    signals: Signals | None = None
    decision: Decision | None = None
    exclude_writers: tuple[str, ...] = ()  # when fitting: a writer's own examples do not vote on their questions
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


def _about(example: Example, entry: Entry) -> bool:
    """The example is about `entry` (among its products)."""
    return any(compact(p) == entry.id for p in example.products)


def _turns(history: Sequence[Turn | dict[str, Any]]) -> list[Turn]:
    return [turn if isinstance(turn, Turn) else Turn.model_validate(turn) for turn in history]


class CatalogBot:
    """Answers questions about the active catalog; all per-catalog work happens here, once."""

    def __init__(self, kb: KnowledgeBase | None = None, llm: BaseChatModel | None = None,
                 decider: Decider | None = None) -> None:
        if kb is None:
            from kb import KnowledgeBase

            kb = KnowledgeBase.open()
            kb.ensure_ready()
        if llm is None:
            llm = chat_model_from_env()
        self.kb = kb
        self.llm = llm
        self.decider = decider or Decider(decision_path(kb.slug))
        self._english = load_english_names()
        self._glossary = load_glossary()
        self._terms = load_catalog_terms()
        self._use_catalog(kb.catalog)
        self.kb.search(self.catalog.entries[0].product, k=1)  # load indexes and embedder now, not on the first question

    def _use_catalog(self, catalog: Catalog) -> None:
        """Per-catalog state, rebuilt when the knowledge base switches to another edition."""
        self.catalog = catalog
        self._entries = {entry.product: entry for entry in catalog.entries}
        self._mention_cache: dict[str, tuple[ProductMatch, ...]] = {}
        english = self._english
        self.composer = Composer(catalog.catalog_version, lambda entry_id: (english.get(compact(entry_id)) or [None])[0],
                                 catalog=catalog, removed=lambda: removed_from(self.kb, catalog))
        groups = self._glossary + self._terms
        user_words = [entry.product for entry in catalog.entries] + [term for group in groups for term in group]
        self.judge = ScopeJudge(self._glossary, user_words, corpus="\n".join(e.text for e in catalog.entries),
                                exact_groups=self._terms)
        self.phraser = (Phraser(self.llm, catalog.entries, lambda text: [m.entry.product for m in self._mentions(text)])
                        if self.llm else None)

    # -- the pipeline ------------------------------------------------------------------------------
    # understand -> retrieve -> decide -> compose -> validate, then the optional phrasing (validated again
    # inside, falling back to the draft); the state travels as one Context. Plain calls: as LangChain
    # RunnableLambdas the steps cost a ~1 s import on every cold `kbbot ask` and ~1 ms of callback
    # bookkeeping per answer, for a sequence with no branches.
    def _signal_steps(self, inputs: dict[str, Any]) -> Context:
        return self._retrieve(self._understand(inputs))

    def _draft_steps(self, inputs: dict[str, Any]) -> Context:
        return self._validate(self._compose(self._decide(self._signal_steps(inputs))))

    def ask(self, question: str, history: Sequence[Turn | dict[str, Any]] = ()) -> Answer:
        """Answer one question; `history` is the conversation so far, oldest first."""
        return self._phrase(self._draft_steps({"question": question, "history": _turns(history)})).answer

    def as_runnable(self) -> Runnable:
        """The same pipeline as a LangChain runnable, {"question", "history"} -> Answer, one RunnableLambda
        per step: to compose with other chains, batch, or trace with LangChain's callbacks. Built on
        request, so `ask` does not pay LangChain's import."""
        from langchain_core.runnables import RunnableLambda

        chain = RunnableLambda(lambda inputs: {**inputs, "history": _turns(inputs.get("history", ()))}, name="inputs")
        for step in (self._understand, self._retrieve, self._decide, self._compose, self._validate, self._phrase):
            chain = chain | RunnableLambda(step, name=step.__name__.strip("_"))
        return chain | RunnableLambda(lambda context: context.answer, name="answer")

    def stream(self, question: str, history: Sequence[Turn | dict[str, Any]] = ()) -> Iterator[StreamEvent]:
        """Text deltas, then one event carrying the validated Answer (which may differ from the deltas
        when a generated answer failed validation: the final Answer is the one to keep)."""
        context = self._draft_steps({"question": question, "history": _turns(history)})
        draft = context.draft
        if self.phraser is None:
            for line in draft.answer.splitlines(keepends=True):
                yield StreamEvent(delta=line)
            yield StreamEvent(final=draft)
            return
        u = context.understanding
        for part in self.phraser.stream(u.question, context.history, draft, u.lang):
            yield StreamEvent(final=part) if isinstance(part, Answer) else StreamEvent(delta=part)

    def signals(self, question: str, history: Sequence[Turn | dict[str, Any]] = (),
                exclude_writers: Sequence[str] = ()) -> Context:
        """Understanding and retrieval only, for fitting the decision module (bot.fit): `exclude_writers`
        keeps a writer's own examples out of the neighbours of their questions."""
        return self._signal_steps({"question": question, "history": _turns(history),
                                   "exclude_writers": tuple(exclude_writers)})

    def _asked(self, u: Understanding) -> str:
        """What the question asks about: the understood topic, else its scope topic, and the rest of the
        question when nothing that names a thing follows the asking verb ("升级那天你们的人管不管的？上线切换那一下
        是不是也在服务里面？", "二开功能老报错 定制开发维护管不管修")."""
        topic = u.topic or scope_topic(u.question, self._mentions(u.question), u.lang)[1]
        return topic if self.judge.concepts(topic) or not u.background_topic else u.background_topic

    def judged(self, context: Context, product: str) -> Judged:
        """The clause judge on the asked part of the question; a condition in the background may still
        meet an exclusion."""
        u = context.understanding
        entry = self._entries[product]
        topic = self._asked(u)
        verdict, match = self.judge.judge(topic, entry)
        if verdict != "excluded" and u.background_topic:
            in_background = self.judge.judge(u.background_topic, entry)
            if in_background[0] == "excluded":
                verdict, match = in_background
        concepts = self.judge.concepts(topic)
        count = max(1, len(concepts))
        closest = match if match is not None else (
            self.judge.best_clause(concepts, entry, {"description", "item", "note"}) if concepts else None)
        # "…add-on starts causing errors, would the service cover it?": "it" is in the background
        asked = concepts or (self.judge.concepts(u.background_topic) if u.background_topic else [])
        exclusion = self.judge.best_clause(asked, entry, {"exclusion"}) if asked else None
        return Judged(verdict, match.clause if match else None, match.coverage if match else 0.0,
                      literal=min(1.0, match.literal / count) if match else 0.0,
                      partial=closest.coverage if closest else 0.0,
                      partial_literal=min(1.0, closest.literal / count) if closest else 0.0,
                      concepts=len(concepts), closest_clause=closest.clause if closest else None,
                      own_coverage=closest.own_coverage if closest else 0.0,
                      own_concepts=closest.own_concepts if closest else 0,
                      closest_exclusion=exclusion.clause if exclusion else None,
                      exclusion_coverage=exclusion.own_coverage if exclusion else 0.0,
                      carved_out=bool(closest and concepts and carved_out(closest.clause, concepts)),
                      named_heading=self.judge.named_heading(concepts, entry) if concepts else None,
                      shared_work=self._shared_work(u, match or closest), asked=beyond_name(asked, product))

    @staticmethod
    def _shared_work(u: Understanding, match: ClauseMatch | None) -> str | None:
        """The closest clause, when the question asks Kingdee to do all of the work and the clause does it
        with the customer (联合开发, 协助客户, 共同完成)."""
        if match is None or not DELEGATED.search(u.question) or not SHARED_WORK.search(match.clause):
            return None
        return match.clause

    # -- steps -------------------------------------------------------------------------------------
    def _understand(self, inputs: dict[str, Any]) -> Context:
        if self.kb.catalog is not self.catalog:  # a new edition was ingested and activated
            self._use_catalog(self.kb.catalog)
        history = [Turn(role=t.role, content=clean_question(t.content, max_chars=10**6)) for t in inputs["history"]]
        try:
            question = clean_question(inputs["question"])
        except QuestionTooLong:
            return Context(Understanding(question="", lang="zh", kind="abstain", abstain_reason="too_long"), history)
        if not question.strip():
            return Context(Understanding(question="", lang="zh", kind="abstain", abstain_reason="empty"), history)
        understanding = understand(question, history, self._mentions)
        return Context(understanding, history, exclude_writers=tuple(inputs.get("exclude_writers", ())))

    def _mentions(self, text: str) -> list[ProductMatch]:
        """The knowledge base's product matches, plus two corrections for names that nest
        (现场服务 inside 现场服务包): "现场服务包括" names 现场服务, and every occurrence of a name counts.
        Remembered per edition: one answer reads the same texts' names about three times (~1 ms each)."""
        cached = self._mention_cache.get(text)
        if cached is None:
            if len(self._mention_cache) >= MENTION_CACHE:
                self._mention_cache.clear()
            cached = self._mention_cache[text] = tuple(self._find_mentions(text))
        return list(cached)

    def _find_mentions(self, text: str) -> list[ProductMatch]:
        matches = []
        found = self.kb.match_products(text)
        named_anywhere = {match.entry.id for match in found}
        for match in found:
            if NEGATED.search(text[max(0, match.start - NEGATION_WINDOW) : match.start]):
                continue  # "不打算升级": the customer is saying what they do not want
            if match.entry.id == NOTES_ENTRY and self._notes_as_word(text, match.start, match.end):
                continue
            shorter = self._entries.get(match.entry.product[:-1])
            if shorter and text[match.end - 1 : match.end + 1] in {"包括", "包含"}:
                match = match.model_copy(update={"entry": shorter, "end": match.end - 1, "text": match.text[:-1]})
            matches.append(self._sibling_with_quantity(match, text, named_anywhere))
        named = {match.entry.id for match in matches}
        for entry in self.catalog.entries:
            if entry.id in named:
                continue
            pattern = r"\s*".join(map(re.escape, entry.id)) + r"(?!包括|包含)"
            longer = [compact(other.id) for other in self.catalog.entries
                      if other.id != entry.id and other.id.startswith(entry.id)]
            for found in re.finditer(pattern, text):
                # "on-site service package (现场服务包)": 现场服务 inside the longer name is not named again
                inside_longer = any(compact(text[found.start() :]).startswith(name) for name in longer)
                as_word = entry.id == NOTES_ENTRY and self._notes_as_word(text, found.start(), found.end())
                if not inside_longer and not as_word and not any(found.start() < m.end and m.start < found.end() for m in matches):
                    matches.append(ProductMatch(entry=entry, start=found.start(), end=found.end(), text=found.group(),
                                                score=1.0, kind="exact"))
                    break
        return matches

    @staticmethod
    def _notes_as_word(text: str, start: int, end: int) -> bool:
        """"请逐项说明", "老板说明年…": 说明 as a verb or inside another word, not the general notes (19 of the 32
        occurrences of 说明 in dev and blind1-89 are such, all about another product)."""
        return bool(NOTES_AS_WORD.search(text[max(0, start - NOTES_WINDOW) : end + NOTES_WINDOW]))

    def _sibling_with_quantity(self, match: ProductMatch, text: str, named: set[str]) -> ProductMatch:
        """"现场服务一共给几天": a question about a quantity, naming a product whose longer sibling
        (现场服务包) is the one that states a number, is about the sibling - unless the question names the
        sibling too ("现场服务包跟现场服务比，哪个有人天上限")."""
        if not QUANTITY.search(text) or STATED_AMOUNT.search(match.entry.text):
            return match
        siblings = [entry for entry in self.catalog.entries
                    if entry.id != match.entry.id and compact(entry.id).startswith(compact(match.entry.id))
                    and STATED_AMOUNT.search(entry.text) and entry.id not in named]
        return match.model_copy(update={"entry": siblings[0]}) if len(siblings) == 1 else match

    def _without_negated(self, text: str) -> str:
        """The query without products the customer says they do not want ("不打算升级")."""
        for match in sorted(self.kb.match_products(text), key=lambda m: m.start, reverse=True):
            negation = NEGATED.search(text[max(0, match.start - NEGATION_WINDOW) : match.start])
            if negation:
                text = text[: match.start - len(negation.group())] + text[match.end :]
        return text

    def _retrieve(self, context: Context) -> Context:
        """Every signal the decision reads: the nearest examples and fused retrieval share one query
        vector (KnowledgeBase.embed_query caches it)."""
        understanding = context.understanding
        if understanding.abstain_reason in HARD_DECLINES:
            context.signals = Signals(understanding)
            return context
        context.entries = [self._entries[p] for p in understanding.products if p in self._entries]
        query = self._without_negated(understanding.search_query)
        matches = self.kb.match_products(understanding.question)
        masked_question = self._masked_question(understanding, matches) if self.decider.reads_masked else ""
        needs = _needs(query) if understanding.kind == "which" else []
        # a follow-up's or another-service question's query names what its words do not; any other question's
        # query only adds the full names of products it already names, so its own vector serves dense search
        # (one text fewer to embed; on dev and blind1-73 one first product more, nothing else changed)
        dense_query = query if understanding.followup or understanding.other_than \
            else self._without_negated(understanding.question)
        # every vector this answer reads, side by side on the cores there are; search and the memory
        # below then find them in the cache
        self.kb.embed_queries(text for text in (dense_query, understanding.question, masked_question, *needs)
                              if text.strip())
        context.hits = [hit for hit in self.kb.search(query, k=SEARCH_DEPTH, dense_query=dense_query)
                        if hit.entry.id != NOTES_ENTRY]
        if understanding.kind == "which":
            context.per_need = self._per_need(needs)
        memory = self.kb.example_memory()
        # "有别的服务吗" after 现场服务包: the examples nearest to it with the product it is not, as search sees it
        asked = query if understanding.other_than else understanding.question
        similarities = memory.similarities(self.kb.embed_query(asked), context.exclude_writers)
        neighbours = memory.nearest(similarities, NEIGHBOURS)
        said_not = [m.entry.product for m in matches
                    if NEGATED.search(understanding.question[max(0, m.start - NEGATION_WINDOW) : m.start])]
        # and "the other one" is not the one discussed
        negated = frozenset(compact(p) for p in [*said_not, *understanding.other_than])
        typed = frozenset(compact(m.entry.product) for m in self._mentions(understanding.question))
        masked = memory.similarities(self.kb.embed_query(masked_question), context.exclude_writers, masked=True) \
            if masked_question else None
        context.signals = Signals(understanding, neighbours, context.hits, negated, typed, memory, similarities, masked,
                                  *self._catalog_coverage(understanding, context.hits),
                                  amount_stated=self._amount_stated(understanding, context.hits),
                                  amount_beyond=self._amount_beyond(understanding),
                                  stage_not_reached=self._named_clause(understanding, context.hits, STAGE_NOT_REACHED,
                                                                       STAGE_REQUIRED),
                                  customer_supplies=self._named_clause(understanding, context.hits, VENDOR_SUPPLIES,
                                                                       CUSTOMER_SUPPLIES),
                                  per_engagement=self._named_clause(understanding, context.hits, STANDING_ACCESS,
                                                                    PER_ENGAGEMENT),
                                  exclude_writers=context.exclude_writers)
        return context

    def _amount_stated(self, understanding: Understanding, hits: Sequence[EntryHit]) -> float:
        """1 when the question asks for an amount and the product it names (else the top retrieved one)
        states a number, or asks how long and the entry states a time; never for a price ("How much is the
        24 person-day package?" asks what it costs, which no entry states: 5 such questions of 5 writers in
        blind1-73, all to decline)."""
        number, time = QUANTITY.search(understanding.question), DURATION.search(understanding.question)
        if not (number or time) or understanding.abstain_reason == "price":
            return 0.0
        about = understanding.products[0] if understanding.products else (hits[0].entry.product if hits else None)
        entry = self._entries.get(about) if about else None
        return float(bool(entry and ((number and STATED_AMOUNT.search(entry.text))
                                     or (time and STATED_TIME.search(entry.text)))))

    def _amount_beyond(self, understanding: Understanding) -> str | None:
        """The named product's clause stating its largest amount, when the question asks for more than that
        (a number above it, "超过/more than" that number, or no limit at all)."""
        entry = self._entries.get(understanding.products[0]) if understanding.products else None
        unlimited = bool(entry and UNLIMITED.search(understanding.question))
        asked = amounts(understanding.question) if entry else []
        stated = [(amount.value, clause) for _, clause in entry_clauses(entry) for amount in amounts(clause)] \
            if asked or unlimited else []
        if not stated:
            return None
        most, clause = max(stated)
        return clause if unlimited or any(a.value > most or (a.beyond and a.value >= most) for a in asked) else None

    def _named_clause(self, understanding: Understanding, hits: Sequence[EntryHit], asks: re.Pattern[str],
                      states: re.Pattern[str]) -> str | None:
        """The named product's (else the top retrieved one's) first clause matching `states`, when the
        question matches `asks`: a customer not yet in the stage an entry requires (STAGE_NOT_REACHED /
        STAGE_REQUIRED), asking Kingdee to supply what the entry has the customer supply (VENDOR_SUPPLIES /
        CUSTOMER_SUPPLIES), or asking for standing access to what the entry does per engagement
        (STANDING_ACCESS / PER_ENGAGEMENT)."""
        about = understanding.products[0] if understanding.products else (hits[0].entry.product if hits else None)
        entry = self._entries.get(about) if about else None
        if entry is None or not asks.search(understanding.question):
            return None
        return next((clause for _, clause in entry_clauses(entry) if states.search(clause)), None)

    def _catalog_coverage(self, understanding: Understanding, hits: Sequence[EntryHit]) -> tuple[float, float]:
        """The clause judge's closest clause of the top retrieved entry: (coverage, own_coverage)."""
        if not hits or hits[0].entry.product not in self._entries:
            return 0.0, 0.0
        concepts = self.judge.concepts(self._asked(understanding))
        match = self.judge.best_clause(concepts, self._entries[hits[0].entry.product], {"description", "item", "note"}) \
            if concepts else None
        return (match.coverage, match.own_coverage) if match else (0.0, 0.0)

    @staticmethod
    def _masked_question(understanding: Understanding, matches: Sequence[ProductMatch]) -> str:
        """The question with the product it is about masked (kb.examples.mask_names); a decline is about
        no product, so every name goes."""
        # a scope question is about its first product; a later one names what is asked about
        # ("升级服务包含数据迁移吗": masking 数据迁移服务 too would leave "…包含…吗", a question about nothing)
        about = understanding.products[:1] if understanding.kind == "scope" else understanding.products
        asked_about = {compact(p) for p in about}
        about_spans = [(m.start, m.end) for m in matches
                       if compact(m.entry.product) in asked_about or understanding.kind == "abstain"]
        return mask_names(understanding.question, about_spans)

    def _decide(self, context: Context) -> Context:
        assert context.signals is not None
        context.decision = self.decider.decide(
            context.signals, judge=lambda product: self.judged(context, product),
            entry_text=lambda product: self._entries[product].text if product in self._entries else None,
            exclusions=lambda product: self._entries[product].exclusions if product in self._entries else [])
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
        """The answer the decision calls for, in the shape its question type needs."""
        u, decision = context.understanding, context.decision
        assert decision is not None
        removed = (self.composer.removed_named(u.question)
                   if not u.products and decision.abstain_reason in (None, "unknown") else None)
        if removed:  # named as removed, never answered with another product
            return self.composer.removed(removed, u.lang)
        if decision.abstain:
            # Price questions about a named product may point to its entry (in the text, never cited).
            named = [self._entries[p] for p in u.products if p in self._entries and p != NOTES_ENTRY]
            suggestions = named if decision.abstain_reason in SUGGEST_ON else []
            return self.composer.abstain(decision.abstain_reason or "unknown", u.lang, suggestions)
        entries = [self._entries[p] for p in decision.products if p in self._entries]
        first = entries[0]
        if first.id == NOTES_ENTRY:
            return self.composer.entitlement(first, [e for e in entries[1:] if e.product in u.products], u.lang,
                                             decision.verdict)
        if context.per_need:
            return self.composer.recommend(self._reasons(context.per_need), u.lang, u.question)
        named = [self._entries[p] for p in u.products if p in self._entries and p != NOTES_ENTRY]
        if decision.compare:
            return self.composer.compare(entries[:2], u.lang)
        if u.kind == "compare" and len(named) >= 2:
            return self.composer.compare(named, u.lang)
        if decision.verdict is not None:
            if named or decision.verdict in ("included", "excluded"):  # a yes or a no opens the answer
                return self._scope(context, first)
            recommended = self.composer.recommend([self._reason(context, first)], u.lang, u.question)
            return recommended.model_copy(update={"verdict": decision.verdict})
        if first not in named:  # the decision chose another product than the name found ("来现场处理" is no 现场服务)
            named = []
        if named or u.kind == "describe":
            return self.composer.describe(named or [first], u.lang)
        return self.composer.recommend([self._reason(context, first)], u.lang, u.question)

    def _scope(self, context: Context, entry: Entry) -> Answer:
        u, decision = context.understanding, context.decision
        assert decision is not None
        verdict = decision.verdict or "not_listed"
        pointers: list[Quote] = []
        if verdict == "not_listed":
            pointer = self._entries.get(decision.pointer or "")
            pointers = ([Quote(pointer, self._closest_clause(context, pointer))] if pointer
                        else self._pointer(self._asked(u), entry))
        # not listed: the limit the decision found (「具体服务内容以实际约定为准」), else the nearest clause
        closest = (decision.clause or self._closest_clause(context, entry)) if verdict == "not_listed" else None
        return self.composer.scope(entry, verdict, decision.clause, pointers, u.lang, closest, u.question,
                                   notes=self._entries.get(NOTES_ENTRY))

    def _closest_clause(self, context: Context, entry: Entry) -> str:
        """The entry's clause nearest the question: the nearest example's, else retrieval evidence, else its
        first. Not a vote (decide.voted_clause): examples of every verdict count here, and the many asking who
        delivers 安全防护服务 outvoted the nearest ("What about antivirus?" then quoted 「其它服务内容由…第三方…
        负责交付」 instead of the list naming 病毒防护)."""
        signals = context.signals
        for neighbour in signals.neighbours if signals else []:
            clause = neighbour.example.clause
            if clause and clause in entry.text and _about(neighbour.example, entry):
                return clause
        return self._reason(context, entry).text

    def _reason(self, context: Context, entry: Entry) -> Quote:
        """Why this entry fits the need: the clause the near examples about it vote for, else the best
        retrieved clause, else its first clause."""
        voted = voted_clause(context.signals, entry.text,
                             lambda example: example.verdict != "excluded" and _about(example, entry)) \
            if context.signals else None
        if voted:
            return Quote(entry, voted)
        hit = next((h for h in context.hits if h.entry.id == entry.id), None)
        if hit:
            return self._reasons([hit])[0]
        return Quote(entry, (Composer.overview(entry) or [entry.text])[0])

    def _pointer(self, topic: str, asked: Entry) -> list[Quote]:
        """The product that does list what `asked` does not, when the decision named none (it prefers a
        product the question names): best clause match; ties go to the asked product's catalog neighbours
        (same category), then to retrieval rank (searched only for a tie)."""
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
