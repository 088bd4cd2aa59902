"""Follow-up questions offered under an answer (the chat shows them as chips): up to three, built from
the catalog around what the answer cited - the cited entry's other items, the product it points to,
the product of the same category that shares most of its items - so each is a question the catalog
answers, about the product the answer is about or one the catalog relates to it (never merely the next
entry in the catalog). Templates only; nothing is generated."""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from ingest.models import Catalog, Entry
from kb.chunks import NOTES_ENTRY
from kb.names import compact, load_english_names
from bot.compose import bare, heading, shared_headings
from bot.models import Answer
from bot.understand import FOLLOWUP_CUE, detect_language

MAX_SUGGESTIONS = 3
MAX_TOPIC_CHARACTERS = 16  # an item named in a question: its heading, or the whole item when this short


@lru_cache(maxsize=1)
def _english_names() -> dict[str, list[str]]:
    return load_english_names()


def english_name(product: str) -> str:
    """The product's English display name, else its catalog name."""
    return (_english_names().get(compact(product)) or [product])[0]


def follow_ups(question: str, answer: Answer, catalog: Catalog,
               name_in_english: Callable[[str], str] = english_name) -> list[str]:
    """Up to three questions to ask next, in the question's language; none after an abstention. In
    order: the other products the answer cites, the cited entry's items it did not cite, the product of
    the same category sharing most of its items, what the entry covers (when the answer did not list
    it all). After an answer that brought its product up (a which-service answer: the question neither
    named it nor referred back to it), what that product covers comes first, and its items count as
    answered only when the answer quoted their words, not just their headings."""
    cited = [e for e in _cited_entries(answer, catalog) if e.id != NOTES_ENTRY]
    if answer.abstained or not cited:
        return []
    main, others = cited[0], cited[1:]
    related = _related(main, catalog, exclude=[e.id for e in cited])
    quotes = {c.quote for c in answer.citations}
    partly = any(item not in quotes for item in main.items)  # the answer did not list all it covers
    english = detect_language(question) == "en"
    # the answer brought the product up: the question neither names it nor refers back to one named before
    introduced = not _names(question, main, name_in_english) and not FOLLOWUP_CUE.search(question)
    if introduced:  # an item shown by its heading alone is still a question to ask
        quotes = {item for item in main.items if bare(item) in answer.answer}

    def contents(entry: Entry) -> str:
        return f"What does {name_in_english(entry.product)} include?" if english else f"{entry.product}包括哪些内容？"

    candidates = [contents(e) for e in others]
    if introduced:
        candidates.append(contents(main))
    if not english:  # item headings are Chinese: asked about in Chinese only
        candidates += [f"{main.product}包括{topic}吗？" for topic in _uncited_topics(main, quotes, catalog)][:2]
    if related:
        candidates.append(f"How is {name_in_english(main.product)} different from {name_in_english(related.product)}?"
                          if english else f"{main.product}和{related.product}有什么区别？")
        candidates.append(contents(related))
    if partly:
        candidates.append(contents(main))
    asked = _key(question)
    return [q for q in dict.fromkeys(candidates) if _key(q) != asked][:MAX_SUGGESTIONS]


def _names(question: str, entry: Entry, name_in_english: Callable[[str], str]) -> bool:
    """Whether the question names the product, in Chinese or by its English name."""
    text = compact(question)
    return compact(entry.product) in text or compact(name_in_english(entry.product)) in text


def _cited_entries(answer: Answer, catalog: Catalog) -> list[Entry]:
    entries: dict[str, Entry] = {}
    for citation in answer.citations:
        entry = catalog.entry(citation.product)
        if entry is not None:
            entries.setdefault(entry.id, entry)
    return list(entries.values())


def _uncited_topics(entry: Entry, quotes: set[str], catalog: Catalog) -> list[str]:
    """The entry's items the answer did not cite, by heading (or whole, when short); a heading many
    entries share (方案制定) names nothing to ask about."""
    shared = shared_headings(catalog)
    topics = []
    for item in entry.items:
        topic = heading(item) or item.strip().rstrip("；;。.，,")
        if item not in quotes and topic not in shared and len(topic) <= MAX_TOPIC_CHARACTERS:
            topics.append(topic)
    return topics


def _related(entry: Entry, catalog: Catalog, exclude: Sequence[str]) -> Entry | None:
    """The entry of the same category sharing most item headings with `entry` (the nearest in catalog
    order on a tie), when it shares any: the product a related need belongs to. Entries without items
    relate to their category's other entries without items (驻场服务, 现场服务)."""
    def headings(e: Entry) -> set[str]:
        return {heading(item) or item for item in e.items}

    order = {e.id: n for n, e in enumerate(catalog.entries)}
    same = [e for e in catalog.entries if e.category == entry.category and e.id not in {entry.id, *exclude}
            and e.id != NOTES_ENTRY and (headings(e) & headings(entry) or not (e.items or entry.items))]
    if not same:
        return None
    return max(same, key=lambda e: (len(headings(entry) & headings(e)), -abs(order[e.id] - order[entry.id])))


def _key(text: str) -> str:
    return re.sub(r"[\s?？!！。.,，]", "", text).lower()

