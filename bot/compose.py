"""The offline answerer: short answers whose first sentence answers the question, built from fixed
templates around verbatim catalog quotes, each quote followed by its [n] and one Citation per [n]. It
cannot state anything the catalog does not say: every 「…」 is a substring of a catalog clause, and the
card for [n] holds that whole clause.

What a clause says that matters is found from the catalog's own layout, not from a word list: the
description segments that most entries share ("金蝶为客户（您）提供…服务", "服务内容包括") are filler, and
an item heading that many entries share ("方案执行", "服务保障") needs the item's own words after it."""
from __future__ import annotations

import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from rapidfuzz import fuzz

from ingest.layout import ITEM_MARKER
from ingest.models import Catalog, Entry
from kb.chunks import heading, split_sentences
from kb.errors import KBError
from kb.language import compact, cue
from kb.models import VersionInfo
from bot.models import Answer, Citation, Verdict
from bot.understand import WHICH, AbstainReason, Lang
from bot.verdict import EXCLUSION_MARKER

DEFAULT_SUPPORT_CONTACT = {
    "zh": "请联系金蝶客户服务或您的客户经理",
    "en": "please contact Kingdee customer service or your account manager",
}
# A description segment is filler when, with the product's name taken out, it reads like a segment of
# at least FILLER_ENTRIES other entries (rapidfuzz ratio >= FILLER_SIMILARITY).
FILLER_SIMILARITY = 80
INTRODUCES = cue("introduces")  # a shared segment that introduces the service or its contents (see _filler)
FILLER_ENTRIES = 2
# An item heading that at least this many entries use ("方案制定") does not tell what the item does.
SHARED_HEADING_ENTRIES = 3
# The most characters of an item shown in a list of headings, cut at a comma; the card has the clause.
GIST_CHARACTERS = 50
# A list of what a service covers shows an item whole when it is this short: the heading alone ("运维支持",
# "迁移保障") hides what the item does ("产品补丁更新、数据备份", "在双方约定的时间内完成"). 56 shows 45 of the
# bundled catalog's 49 items whole; the four longer ones keep their heading where the list is an aside (the
# rest of a which-service answer).
WHOLE_ITEM_CHARACTERS = 56
# A "what does it include" answer is that list and nothing else: it shows 48 of the 49 whole. The two 部署方案
# (69 and 71) hold the 软硬件资源配置清单 that customers ask of them; the longest (91, 历史版本基础运维服务's,
# whose exclusions the answer states apart) keeps its heading.
DESCRIBED_ITEM_CHARACTERS = 72
MAX_SCOPE_QUOTES = 3  # a yes quotes its deciding clause and at most two more of the entry
LEAD_CHARACTERS = 60  # the description's gist before a list of items
# A product's name restated with a word inside it: at most NAME_GAP characters between two of its
# characters, for names of at least NAME_GAP_MIN characters (shorter ones would match unrelated text).
NAME_GAP = 2
NAME_GAP_MIN = 4
COMMON_SHARE = 1 / 3  # a word pair in more entries than this says nothing about which clause fits
PROBLEM_CHARACTERS = 20  # the most characters of the customer's own words a which-service answer repeats
_SEGMENT_END = re.compile(r"[，。；：,;:]")
_GIST_END = re.compile(r"[，。；,;（(]")
_TRAILING = "；;。.：:，, \n\t"
# Where a question's clauses end: punctuation, or a space between two Chinese characters ("老系统数据导到
# 新系统 用哪个服务"); a space inside Latin text ("SQL Server") is not one.
# A point, comma or colon between two Latin letters or digits is part of a version or a number ("7.6", "8.x",
# "1,000", "K/3"), not a clause break, and an echo keeps it.
_CLAUSE_BREAK = re.compile(r"[，。？！；?!;：\n]+|(?<![A-Za-z0-9])[,.:]+|[,.:]+(?![A-Za-z0-9])"
                           r"|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
# What a customer's words keep when an answer repeats them: letters, digits, spaces, hyphens, apostrophes,
# the Chinese enumeration comma and the point, comma or slash inside a version or number. No Markdown,
# markup, link or 「」 (catalog quotes) is carried into the answer.
_NOT_ECHOED = re.compile(r"[^\w\s、'’.,/-]|_|(?<![A-Za-z0-9])[.,/]|[.,/](?![A-Za-z0-9])")
_CJK = re.compile(r"[\u4e00-\u9fff]")
logger = logging.getLogger(__name__)


def support_contact(lang: Lang) -> str:
    """Configurable with KB_SUPPORT_CONTACT, so each deployment points at its own support desk."""
    return os.environ.get("KB_SUPPORT_CONTACT") or DEFAULT_SUPPORT_CONTACT[lang]


def unique(entries: Iterable[Entry]) -> list[Entry]:
    """Entries in order, each once (pydantic models are not hashable)."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        seen.setdefault(entry.id, entry)
    return list(seen.values())


def _core(clause: str) -> str:
    """A clause without its list number (ingest's ITEM_MARKER) and closing punctuation: "1、对客户…方案" and the
    item "对客户…方案；" are one clause."""
    marker = ITEM_MARKER.match(clause)
    return clause[marker.end() if marker else 0 :].strip().rstrip("；;。.，, ")


@dataclass(frozen=True)
class Quote:
    """A clause to quote, from the entry it belongs to."""

    entry: Entry
    text: str


@dataclass(frozen=True)
class Removed:
    """A product an older edition lists and the active one does not."""

    product: str
    listed_in: str  # the newest older edition that lists it
    removed_in: str  # the active edition


def bare(text: str) -> str:
    """A clause without its closing punctuation, to quote inside a sentence."""
    return text.strip().rstrip(_TRAILING)


def shared_headings(catalog: Catalog) -> set[str]:
    """Item headings at least SHARED_HEADING_ENTRIES entries use (方案制定, 服务保障): they do not tell
    what an item does."""
    counts = Counter(h for e in catalog.entries for h in {heading(item) for item in e.items} if h)
    return {h for h, n in counts.items() if n >= SHARED_HEADING_ENTRIES}


def _segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of the runs between commas, full stops and colons."""
    spans, start = [], 0
    for match in _SEGMENT_END.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def problem_words(question: str, limit: int = PROBLEM_CHARACTERS) -> str | None:
    """The customer's own words for their problem, to repeat before naming a service: the question's
    clauses before its which-service cue ("月底结账特别慢" of "月底结账特别慢，找哪个服务？"), from the
    first on while they fit `limit` Chinese characters (two Latin letters count as one; a longer first
    clause is cut and marked with …), reduced to letters, digits and spaces. None without a cue (what
    part of the question is the problem is then unknown) or when too little precedes it."""
    cue = WHICH.search(question)
    if cue is None:
        return None
    end = cue.start()
    spans, start = [], 0
    for match in _CLAUSE_BREAK.finditer(question):
        if match.start() >= end:
            break
        spans.append((start, match.start()))
        start = min(match.end(), end)
    spans.append((start, end))  # the clause the cue sits in, up to the cue ("有" of "有什么服务")
    clauses = [_echoable(question[a:b]) for a, b in spans]
    if len(clauses) > 1 and clauses[-1]:
        clauses.pop()  # a clause the cue cuts short ("有", "这种需要买") when whole clauses precede it
    clauses = [c for c in clauses if len(_CJK.findall(c)) >= 2 or re.search(r"[A-Za-z]{3}", c)]
    if not clauses:
        return None
    words = clauses[0]
    for clause in clauses[1:]:
        joined = words + ("，" if _CJK.match(clause) or _CJK.search(words[-1]) else ", ") + clause
        if _width(joined) > limit:
            break
        words = joined
    if _width(words) <= limit:
        return words
    cut = ""
    for char in words:
        if _width(cut + char) > limit:
            break
        cut += char
    if re.match(r"[A-Za-z]", words[len(cut)]) and " " in cut:  # an English word is not cut in two
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" 、-") + "…"


def _echoable(text: str) -> str:
    return " ".join(_NOT_ECHOED.sub(" ", text).split()).strip(" 、-'’")


def _width(text: str) -> float:
    """Length in Chinese characters: a Latin letter, digit or space is half of one."""
    return sum(1 if ord(char) > 0x2E80 else 0.5 for char in text)


def gist(text: str, limit: int = GIST_CHARACTERS) -> str:
    """The clause's opening, cut after the last comma segment that fits `limit` (at least one segment;
    a parenthesis starts a segment, so a gist never stops inside one). An aside the clause goes on after
    belongs to its segment: "针对…应用问题（不包含…）提供本地化服务" is cut after 提供本地化服务, not before the
    aside, which would drop what is provided."""
    end = 0
    for match in _GIST_END.finditer(text + "。"):
        if match.group() in "（(" and _aside(text, match.start()):
            continue
        if end and match.start() > limit:
            break
        end = match.start()
    return bare(text[:end] if end else text)


def _aside(text: str, start: int) -> bool:
    """The parenthesis at `start` closes before another opens and the clause goes on in Chinese after it:
    an aside inside the clause ("客户（您）提供", "问题（不包含…）提供")."""
    closing = min((i for i in (text.find("）", start), text.find(")", start)) if i > start), default=-1)
    return closing > 0 and not set(text[start + 1 : closing]) & set("（(") and bool(_CJK.match(text, closing + 1))


class Cited:
    """Numbers clauses as the text quotes them: the first quoted is [1]; quoting a clause again reuses
    its number. The citations come out in [n] order, one per number."""

    def __init__(self) -> None:
        self.quotes: list[Quote] = []

    def mark(self, entry: Entry, clause: str) -> str:
        for number, quote in enumerate(self.quotes, 1):
            if quote.entry.id == entry.id and quote.text == clause:
                return f"[{number}]"
        self.quotes.append(Quote(entry, clause))
        return f"[{len(self.quotes)}]"

    def citations(self) -> list[Citation]:
        return [Citation(product=q.entry.product, category=q.entry.category, page=q.entry.page, quote=q.text)
                for q in self.quotes]


class Composer:
    """Writes answers in the question's language; `english_name` gives a product's English name and
    `catalog` (the active edition) tells filler and shared headings apart; `removed` lists the products
    older editions had and this one does not."""

    def __init__(self, catalog_version: str, english_name: Callable[[str], str | None],
                 catalog: Catalog | None = None, removed: Callable[[], list[Removed]] | None = None) -> None:
        self.catalog_version = catalog_version
        self._english_name = english_name
        self._catalog = catalog
        self._removed = removed

    # -- what the catalog's layout says ------------------------------------------------------------
    @cached_property
    def _filler(self) -> dict[str, set[str]]:
        """Entry id -> its description segments that are filler (shared with other entries)."""
        entries = self._catalog.entries if self._catalog else []
        templates = {e.id: [(e.description[a:b], _template(e.description[a:b], e)) for a, b in _segments(e.description)]
                     for e in entries}
        filler: dict[str, set[str]] = {}
        for entry in entries:
            shared = {segment for segment, template in templates[entry.id]
                      if sum(1 for other in entries if other.id != entry.id
                             and any(fuzz.ratio(template, t) >= FILLER_SIMILARITY for _, t in templates[other.id]))
                      >= FILLER_ENTRIES}
            # the need a service follows ("根据客户（您）的培训需求") is content before what the service does, and
            # filler where the description says nothing else (数据库转换服务's only restates its name)
            says_more = any(segment not in shared for segment, _ in templates[entry.id])
            kept = {segment for segment in shared if says_more and not INTRODUCES.search(segment)}
            if shared - kept:
                filler[entry.id] = shared - kept
        return filler

    @cached_property
    def _shared_headings(self) -> set[str]:
        return shared_headings(self._catalog) if self._catalog else set()

    @cached_property
    def _common_bigrams(self) -> set[str]:
        """Word pairs more than COMMON_SHARE of the entries use."""
        entries = self._catalog.entries if self._catalog else []
        counts = Counter(pair for e in entries for pair in _bigrams(e.text))
        return {pair for pair, n in counts.items() if n > COMMON_SHARE * len(entries)}

    def substance(self, entry: Entry, clause: str) -> str:
        """The part of a clause worth quoting: without its filler segments (a clause that is all filler
        stays whole), without closing punctuation. Always a substring of the clause."""
        filler = self._filler.get(entry.id, set())
        spans = [(a, b) for a, b in _segments(clause) if clause[a:b] not in filler]
        if not spans or len(spans) == len(_segments(clause)):
            return bare(clause)
        return bare(clause[spans[0][0] : spans[-1][1]])

    def is_filler(self, entry: Entry, clause: str) -> bool:
        filler = self._filler.get(entry.id, set())
        return bool(_segments(clause)) and all(clause[a:b] in filler for a, b in _segments(clause))

    def lead(self, entry: Entry) -> str | None:
        """The description's first sentence that says something, as a whole clause (for the card)."""
        return next((s for s in split_sentences(entry.description) if not self.is_filler(entry, s)), None)

    def label(self, item: str) -> str:
        """How a list names an item: its heading, the heading with its words when many entries share that
        heading, or the item's opening when it has none."""
        head = heading(item)
        if head and head not in self._shared_headings:
            return head
        return gist(item)

    # -- building blocks ---------------------------------------------------------------------------
    def name(self, entry: Entry, lang: Lang) -> str:
        english = self._english_name(entry.id) if lang == "en" else None
        return f"{english} ({entry.product})" if english else entry.product

    @staticmethod
    def quoted(text: str) -> str:
        return f"「{text}」"

    def _quote(self, cited: Cited, entry: Entry, clause: str, shown: str | None = None) -> str:
        """「what is shown」[n], the card n holding the whole clause."""
        return f"{self.quoted(shown if shown is not None else self.substance(entry, clause))}{cited.mark(entry, clause)}"

    def _items(self, cited: Cited, entry: Entry, lang: Lang, skip: Sequence[str] = (), whole: int = 0) -> str:
        """The entry's items by their labels, each cited: 「方案制定」[1]、「升级测试」[2]…; items of at most
        `whole` characters are shown in full."""
        # an item already quoted, with or without its number ("1、对客户…方案"), is not quoted again
        shown = {_core(text) for text in skip if text}
        parts = [self._quote(cited, entry, item, self._shown_item(entry, item, whole))
                 for item in entry.items if _core(item) not in shown]
        return ("、" if lang == "zh" else ", ").join(parts)

    def _shown_item(self, entry: Entry, item: str, most: int) -> str:
        substance = self.substance(entry, item)
        return substance if len(substance) <= most else self.label(item)

    def _contents(self, cited: Cited, entry: Entry, lang: Lang, limit: int = 3) -> str:
        """What an entry covers, for a line about it: its items, else its description's sentences."""
        if entry.items:
            return self._items(cited, entry, lang, whole=DESCRIBED_ITEM_CHARACTERS)
        sentences = [s for s in split_sentences(entry.description) if not self.is_filler(entry, s)][:limit]
        return ("，" if lang == "zh" else "; ").join(self._quote(cited, entry, s) for s in sentences)

    def _answer(self, lines: Sequence[str], cited: Cited, verdict: Verdict | None = None) -> Answer:
        return Answer(answer="\n".join(line for line in lines if line), citations=cited.citations(), verdict=verdict,
                      catalog_version=self.catalog_version)

    @staticmethod
    def overview(entry: Entry) -> list[str]:
        """The description's sentences and the numbered items: what an entry says it contains."""
        return [*split_sentences(entry.description), *entry.items]

    def _why(self, cited: Cited, entry: Entry, clause: str, lang: Lang, subject: str = "它") -> str:
        """The clause that answers, introduced by what kind of clause it is."""
        quote = self._quote(cited, entry, clause)
        if lang == "en":
            return f"the catalog says {quote}"
        if clause in entry.items:
            return f"{subject}的服务内容有{quote}"
        return f"目录写明{quote}" if subject == "它" else f"目录中{subject}写明{quote}"

    def _purpose(self, cited: Cited, entry: Entry, clause: str) -> str | None:
        """The description's gist, when `clause` is an item whose heading many entries share: 「方案执行：…」
        alone does not say what the service is ("保障将原系统数据迁移至目标系统" does)."""
        lead = self.lead(entry)
        if not lead or clause not in entry.items or heading(clause) not in self._shared_headings:
            return None
        return self._lead_quote(cited, entry, lead)

    def _lead_quote(self, cited: Cited, entry: Entry, lead: str) -> str:
        """The description's lead sentence, quoted by its gist (the card holds the whole sentence)."""
        return self._quote(cited, entry, lead, gist(self.substance(entry, lead), LEAD_CHARACTERS))

    def _best_clause(self, entry: Entry, clause: str | None) -> str:
        """The given clause unless it is filler; then the entry's lead, else its first item."""
        if clause and not self.is_filler(entry, clause):
            return clause
        return self.lead(entry) or next(iter(entry.items), None) or clause or entry.product

    # -- answers by question type ------------------------------------------------------------------
    def describe(self, entries: Sequence[Entry], lang: Lang) -> Answer:
        """"What does P include": the purpose in a few words, then the items by their headings."""
        cited = Cited()
        lines = [self._description_line(cited, entry, lang) for entry in entries]
        return self._answer(lines, cited)

    def _description_line(self, cited: Cited, entry: Entry, lang: Lang) -> str:
        name = self.name(entry, lang)
        lead = self.lead(entry)
        if not entry.items:
            contents = self._contents(cited, entry, lang)
            return f"{name}：{contents}。" if lang == "zh" else f"{name}: {contents}."
        opening = ""
        if lead:
            quote = self._lead_quote(cited, entry, lead)
            opening = f"：{quote}。" if lang == "zh" else f": {quote}."
        items = self._items(cited, entry, lang, whole=DESCRIBED_ITEM_CHARACTERS)
        limits = self._hidden_exclusions(cited, entry, items, lang)
        if lang == "en":
            line = f"{name}{opening} It covers {len(entry.items)} items: {items}." if lead else \
                f"{name} covers {len(entry.items)} items: {items}."
            return f"{line} It also states {limits}." if limits else line
        line = f"{name}{opening}服务内容有 {len(entry.items)} 项：{items}。" if lead else \
            f"{name}的服务内容有 {len(entry.items)} 项：{items}。"
        return f"{line}另写明{limits}。" if limits else line

    def _hidden_exclusions(self, cited: Cited, entry: Entry, shown: str, lang: Lang) -> str:
        """What the entry says it does not include, when the items as `shown` hide it (历史版本基础运维服务's
        「不包含二次开发及第三方产品导致的问题」 sits inside its second item): scope and exclusions."""
        excluded = [x for x in entry.exclusions if EXCLUSION_MARKER.search(x) and self.quoted(x) not in shown]
        return ("、" if lang == "zh" else ", ").join(self._quote(cited, entry, x) for x in excluded)

    def compare(self, entries: Sequence[Entry], lang: Lang) -> Answer:
        """Each product in a line (its purpose, else what it lists); when they share item headings, what
        they share in one line and the items only one lists: that is the difference."""
        cited = Cited()
        names = ("和" if lang == "zh" else " and ").join(self.name(e, lang) for e in entries)
        lines = [f"{names}是不同的服务：" if lang == "zh" else f"{names} are different services:"]
        headings = [{heading(item) or item for item in entry.items} for entry in entries]
        shared = set.intersection(*headings) if headings and all(headings) else set()
        for entry in entries:
            lead = self.lead(entry)
            parts = [self._lead_quote(cited, entry, lead)] if lead else []
            if not shared and (entry.items or not lead):
                parts.append(self._contents(cited, entry, lang))
                limits = self._hidden_exclusions(cited, entry, parts[-1], lang)
                if limits:  # what it does not include is the difference customers compare for
                    parts.append(f"另写明{limits}" if lang == "zh" else f"it also states {limits}")
            lines.append(f"- {self.name(entry, lang)}：{'；'.join(parts)}" if lang == "zh"
                         else f"- {self.name(entry, lang)}: {'; '.join(parts)}")
        if shared:
            sep = "、" if lang == "zh" else ", "
            common = sep.join(self.quoted(h) + "".join(cited.mark(e, i) for e in entries for i in e.items
                                                       if (heading(i) or i) == h)
                              for h in [heading(i) or i for i in entries[0].items] if h in shared)
            lines.append(f"都列有{common}。" if lang == "zh" else f"Both list {common}.")
            for entry in entries:
                own = [item for item in entry.items if (heading(item) or item) not in shared]
                if own:  # the difference: in full when it is one or two items, else by their labels
                    quotes = sep.join(self._quote(cited, entry, item, None if len(own) <= 2 else self.label(item))
                                      for item in own)
                    lines.append(f"只有{self.name(entry, lang)}列出{quotes}。" if lang == "zh"
                                 else f"Only {self.name(entry, lang)} lists {quotes}.")
        return self._answer(lines, cited)

    def recommend(self, matches: Sequence[Quote], lang: Lang, question: str = "") -> Answer:
        """Which-service answers: the customer's problem in their own words (`problem_words`, in “”, not
        「」: it is theirs, not the catalog's), the service, and why in the catalog's words: the clause
        that fits the need, and the clause sharing most words with the question when that is another one
        (the link between problem and service is catalog text, never ours); one service also gets the
        rest of what it covers (short items in full), and the purpose of a service whose fitting clause is
        boilerplate ("方案制定：…")."""
        cited = Cited()
        entries = unique(quote.entry for quote in matches)
        reasons = [(entry, self._best_clause(entry, next(q.text for q in matches if q.entry.id == entry.id)))
                   for entry in entries]
        if len(reasons) > 1:
            parts = [f"{self.name(entry, lang)}（{self._quote(cited, entry, clause)}）" if lang == "zh"
                     else f"{self.name(entry, lang)} ({self._quote(cited, entry, clause)})" for entry, clause in reasons]
            joined = "；".join(parts) if lang == "zh" else "; ".join(parts)
            return self._answer([f"建议分别了解{joined}。" if lang == "zh" else f"The services that fit are {joined}."], cited)
        entry, clause = reasons[0]
        echo = self._echo(entry, question, clause)
        purpose = self._purpose(cited, entry, echo or clause)
        name = self.name(entry, lang) + ((f"（{purpose}）" if lang == "zh" else f" ({purpose})") if purpose else "")
        why = self._why(cited, entry, clause, lang)
        if echo:
            why += f"，还有{self._quote(cited, entry, echo)}" if lang == "zh" else f" and {self._quote(cited, entry, echo)}"
        problem = problem_words(question)
        if lang == "zh":
            lines = [f"{f'您提到“{problem}”，' if problem else ''}建议了解{name}：{why}。"]
        else:
            lines = [f"{f'You mentioned “{problem}”; t' if problem else 'T'}he service that fits this is {name}: {why}."]
        rest = [item for item in entry.items if _core(item) not in {_core(clause), _core(echo or "")}]
        if rest:
            items = self._items(cited, entry, lang, skip=[clause, echo or ""], whole=WHOLE_ITEM_CHARACTERS)
            lines.append(f"它还包括{items}。" if lang == "zh" else f"It also covers {items}.")
        return self._answer(lines, cited)

    def _echo(self, entry: Entry, question: str, reason: str) -> str | None:
        """The entry's clause (description sentence or item) sharing the most words with the question,
        when it shares more than `reason` does: the customer's problem in the catalog's words."""
        # the product's own name and the catalog's everyday words (服务, 客户, 方案…) say nothing here
        asked = _bigrams(question.replace(entry.product, " ")) - self._common_bigrams
        if not asked:
            return None
        clauses = [c for c in self.overview(entry) if not self.is_filler(entry, c)]
        scored = [(len(asked & _bigrams(self.substance(entry, c))), c) for c in clauses]
        best = max(scored, default=(0, None), key=lambda pair: pair[0])
        return best[1] if best[0] > len(asked & _bigrams(reason)) and best[1] != reason else None

    def _related_items(self, entry: Entry, question: str, skip: Sequence[str], limit: int) -> list[str]:
        """The entry's other items sharing words with the question, most shared first: a yes names the
        deciding clause, and these show what else of the entry touches the customer's need."""
        asked = _bigrams(question.replace(entry.product, " ")) - self._common_bigrams
        scored = [(len(asked & _bigrams(self.substance(entry, item))), index, item)
                  for index, item in enumerate(entry.items) if item not in skip]
        return [item for shared, _, item in sorted(scored, key=lambda t: (-t[0], t[1])) if shared][:limit]

    def scope(self, entry: Entry, verdict: Verdict, clause: str | None, pointers: Sequence[Quote],
              lang: Lang, closest: str | None = None, question: str = "", notes: Entry | None = None) -> Answer:
        """A yes/no answer that opens with the verdict and the deciding clause. When nothing decides it,
        the clause that comes closest (the one sharing most words with the question, else `closest`) and
        what else the entry lists, then the product that does list it, then the general notes' sentence
        that the contract decides (`notes`), cited like any other claim; never the customer's own words as
        if the catalog had failed to mention them."""
        cited = Cited()
        name = self.name(entry, lang)
        pointers = [p for p in pointers if p.entry.id != entry.id]
        if verdict == "included":
            deciding = self._best_clause(entry, clause)
            why = self._why(cited, entry, deciding, lang, subject=name)
            purpose = self._purpose(cited, entry, deciding)
            if purpose:
                why += f"；这项服务{purpose}" if lang == "zh" else f"; the service: {purpose}"
            related = self._related_items(entry, question, skip=[deciding],
                                          limit=MAX_SCOPE_QUOTES - len(cited.citations()))
            if related:
                listed = ("、" if lang == "zh" else ", ").join(self._quote(cited, entry, i, self.label(i)) for i in related)
                why += f"，它还列出{listed}" if lang == "zh" else f"; it also lists {listed}"
            lines = [f"包括。{why}。" if lang == "zh" else f"Yes. {name} covers this: {why}."]
        elif verdict == "excluded" and clause:
            quote = self._quote(cited, entry, clause)
            lines = [f"不包括。{name}写明{quote}。" if lang == "zh" else f"No. {name} excludes it: the catalog says {quote}."]
            if not pointers and entry.items:  # what it does list (an item holding the exclusion aside)
                items = self._items(cited, entry, lang, skip=[i for i in entry.items if clause in i])
                if items:
                    lines.append(f"{name}列出的服务内容：{items}。" if lang == "zh" else f"{name} lists: {items}.")
        else:
            near = self._best_clause(entry, closest)
            if not clause:  # the decision's own limit (「在客户（您）提供的基础设施上…」, 「不超过 24 人天」) stays
                near = self._echo(entry, question, near) or near
            quote = self._quote(cited, entry, near)
            contract = "" if notes else ("，以合同约定为准" if lang == "zh" else "; the signed contract decides")
            head = (f"{'不包括。' if verdict == 'excluded' else ''}{name}的条目没有提到这一项{contract}；"
                    f"最接近的是{quote}" if lang == "zh"
                    else f"{'No' if verdict == 'excluded' else 'Not stated'}. The catalog entry for {name} does not "
                         f"mention this{contract}. The closest clause is {quote}")
            others = self._items(cited, entry, lang, skip=[near])
            if others:
                head += f"，它还列出{others}" if lang == "zh" else f"; it also lists {others}"
            lines = [head + ("。" if lang == "zh" else ".")]
        if verdict != "included":
            for pointer in pointers:
                other = self.name(pointer.entry, lang)
                quote = self._quote(cited, pointer.entry, self._best_clause(pointer.entry, pointer.text))
                lines.append(f"这一项列在{other}中：{quote}，建议了解{other}。" if lang == "zh"
                             else f"This is listed under {other}: {quote}; {other} is the one to look at.")
            if notes and not (verdict == "excluded" and clause):  # what no clause states, the contract settles
                lines.append(self._contract_line(cited, notes, lang))
        return self._answer(lines, cited, verdict)

    def _contract_line(self, cited: Cited, notes: Entry, lang: Lang) -> str:
        """What is not stated is settled by the contract: the general notes' first sentence says so."""
        clause = notes.items[0] if notes.items else notes.text
        sentence = bare(clause.split("：", 1)[1] if heading(clause) else clause).split("。")[0]
        quote = self._quote(cited, notes, clause, sentence)
        return (f"以您签署的合同为准：{quote}。" if lang == "zh"
                else f"Whether you have it is set by the contract you signed: the catalog's general notes say {quote}.")

    def entitlement(self, notes: Entry, products: Sequence[Entry], lang: Lang, verdict: Verdict | None = None) -> Answer:
        """What the general notes say about entitlements; a yes/no question about them (`verdict`
        excluded) is answered "not automatically" first."""
        cited = Cited()
        clause = notes.items[0] if notes.items else notes.text
        shown = bare(clause.split("：", 1)[1]) if heading(clause) else bare(clause)
        quote = self._quote(cited, notes, clause, shown)
        no = verdict == "excluded"
        lines = [f"{'不一定。' if no else ''}您能享受哪些服务，以您与金蝶签署的销售合同为准：{quote}。" if lang == "zh"
                 else f"{'Not automatically. ' if no else ''}Which services you are entitled to is set by the sales "
                      f"contract you signed with Kingdee; the catalog's general notes say {quote}."]
        for entry in products:
            contents = self._contents(cited, entry, lang)
            lines.append(f"{self.name(entry, lang)}的服务内容：{contents}。" if lang == "zh"
                         else f"{self.name(entry, lang)} covers: {contents}.")
        return self._answer(lines, cited, verdict)

    # -- products an older edition had -------------------------------------------------------------
    @cached_property
    def _removed_products(self) -> list[Removed]:
        return self._removed() if self._removed else []

    def removed_named(self, question: str) -> Removed | None:
        """A product the question names that a newer edition removed (names of current products, which
        may contain it, are taken out first: a removed 现场服务 is not found inside 现场服务包)."""
        if not self._removed_products or self._catalog is None:
            return None
        text = compact(question)
        for product in sorted((e.product for e in self._catalog.entries), key=len, reverse=True):
            text = text.replace(compact(product), " ")
        return next((r for r in self._removed_products if compact(r.product) in text), None)

    def removed(self, removed: Removed, lang: Lang) -> Answer:
        """Named as removed, with the editions: never answered with another product."""
        contact = support_contact(lang)
        text = (f"{removed.product}已不在现行的服务目录中：{removed.removed_in} 版已移除这项服务"
                f"（{removed.listed_in} 版仍列出）。如需帮助，{contact}。" if lang == "zh"
                else f"{removed.product} is no longer in the service catalog: the {removed.removed_in} edition removed "
                     f"it (the {removed.listed_in} edition still lists it). For help, {contact}.")
        return Answer(answer=text, citations=[], verdict=None, abstained=True, catalog_version=self.catalog_version)

    def abstain(self, reason: AbstainReason, lang: Lang, suggestions: Sequence[Entry] = ()) -> Answer:
        texts = ABSTAIN_TEXTS[lang]
        lines = [texts[reason], texts["contact"].format(contact=support_contact(lang))]
        if suggestions:
            names = "、".join(self.name(e, lang) for e in suggestions) if lang == "zh" else ", ".join(self.name(e, lang) for e in suggestions)
            lines.append(texts["suggest"].format(names=names))
        return Answer(answer="\n".join(lines), citations=[], verdict=None, abstained=True,
                      catalog_version=self.catalog_version)


class Editions(Protocol):
    """What kb.KnowledgeBase offers about the editions it holds."""

    def versions(self) -> Sequence[VersionInfo]: ...
    def version_catalog(self, version: str) -> Catalog: ...


def removed_from(kb: Editions, active: Catalog) -> list[Removed]:
    """The products older editions in `kb` list and `active` does not; none when an edition cannot be
    read (answers go on from the active one)."""
    try:
        editions = [kb.version_catalog(v.version) for v in kb.versions() if v.version < active.catalog_version]
    except KBError as error:
        logger.warning("older editions unreadable, removed products not named: %s", error)
        return []
    return removed_products(editions, active)


def removed_products(editions: Sequence[Catalog], active: Catalog) -> list[Removed]:
    """Products of editions older than the active one that the active one no longer lists, each with
    the newest older edition that still does."""
    current = {compact(e.product) for e in active.entries}
    found: dict[str, Removed] = {}
    for edition in sorted(editions, key=lambda c: c.catalog_version, reverse=True):
        if edition.catalog_version >= active.catalog_version:
            continue
        for entry in edition.entries:
            if compact(entry.product) not in current:
                found.setdefault(compact(entry.product), Removed(entry.product, edition.catalog_version,
                                                                  active.catalog_version))
    return list(found.values())


def _bigrams(text: str) -> set[str]:
    """Adjacent Chinese character pairs and lower-cased Latin words: what two texts share."""
    pairs = {a + b for run in re.findall(r"[\u4e00-\u9fff]+", text) for a, b in zip(run, run[1:])}
    return pairs | {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}


def _template(segment: str, entry: Entry) -> str:
    """A description segment with the product's own name taken out, to compare across entries; the name
    is also found with a word inside it (数据库类型转换 for 数据库转换, NAME_GAP characters at most between
    two of its characters), as a description restates the product in its own words."""
    core = entry.product.removesuffix("服务")
    text = segment.replace(entry.product, "P")
    if len(core) >= 2:
        text = text.replace(core, "P")
        if len(core) >= NAME_GAP_MIN:
            spread = f".{{0,{NAME_GAP}}}".join(re.escape(char) for char in core)
            text = re.sub(spread, "P", text)
    return re.sub(r"\s+", "", text)


ABSTAIN_TEXTS: dict[Lang, dict[str, str]] = {
    "zh": {
        "empty": "您好！请告诉我您想了解的金蝶专项服务问题，例如“私有云部署与运维支持服务包括数据备份吗？”",
        "injection": "抱歉，我只能根据金蝶专项服务产品清单回答服务内容方面的问题，无法执行这类请求。",
        "other_customers": "抱歉，其他客户的合同、名单、方案和数据不能提供；服务目录只说明各项服务的内容。",
        "price": "抱歉，服务目录不包含价格、费用或折扣信息，我无法回答这个问题。",
        "other_vendor": "抱歉，我只能回答金蝶专项服务产品清单中的服务，无法回答其他厂商产品的问题。",
        "chitchat": "您好！我是金蝶专项服务目录助手，只能回答服务目录相关的问题。",
        "howto": "抱歉，服务目录只介绍专项服务的内容，不包含软件操作方法，我无法回答这个问题。",
        "unknown": "抱歉，服务目录中没有能回答这个问题的内容。",
        "too_long": "抱歉，问题太长了，请精简后再问。",
        "contact": "如需帮助，{contact}。",
        "suggest": "您也可以了解相关的服务：{names}。",
    },
    "en": {
        "empty": "Hello! Please ask me about Kingdee's special services, e.g. “Does the private cloud deployment service include data backup?”",
        "injection": "Sorry, I can only answer questions about the services in Kingdee's service catalog, and cannot do that.",
        "other_customers": "Sorry, I cannot share other customers' contracts, names, plans or data; the catalog only describes the services.",
        "price": "Sorry, the service catalog does not contain prices, fees or discounts, so I cannot answer this.",
        "other_vendor": "Sorry, I can only answer about the services in Kingdee's service catalog, not other vendors' products.",
        "chitchat": "Hello! I am the Kingdee service catalog assistant and can only answer questions about the catalog.",
        "howto": "Sorry, the service catalog describes service products, not how to operate the software, so I cannot answer this.",
        "unknown": "Sorry, the service catalog has nothing that answers this question.",
        "too_long": "Sorry, the question is too long; please shorten it.",
        "contact": "For help, {contact}.",
        "suggest": "You may also want to look at: {names}.",
    },
}
