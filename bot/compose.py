"""The offline answerer: every answer is a fixed template plus verbatim catalog quotes plus the source
line, so it cannot state anything the catalog does not say."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ingest.models import Entry
from kb.chunks import split_sentences
from bot.models import Answer, Citation, Verdict
from bot.understand import AbstainReason, Lang

DEFAULT_SUPPORT_CONTACT = {
    "zh": "请联系金蝶客户服务或您的客户经理",
    "en": "please contact Kingdee customer service or your account manager",
}


def support_contact(lang: Lang) -> str:
    """Configurable with KB_SUPPORT_CONTACT, so each deployment points at its own support desk."""
    return os.environ.get("KB_SUPPORT_CONTACT") or DEFAULT_SUPPORT_CONTACT[lang]


def unique(entries: Iterable[Entry]) -> list[Entry]:
    """Entries in order, each once (pydantic models are not hashable)."""
    seen: dict[str, Entry] = {}
    for entry in entries:
        seen.setdefault(entry.id, entry)
    return list(seen.values())


@dataclass(frozen=True)
class Quote:
    """A clause to quote, from the entry it belongs to."""

    entry: Entry
    text: str


class Composer:
    """Writes answers in the question's language; `english_name` gives a product's English name."""

    def __init__(self, catalog_version: str, english_name: Callable[[str], str | None]) -> None:
        self.catalog_version = catalog_version
        self._english_name = english_name

    # -- building blocks ---------------------------------------------------------------------------
    def name(self, entry: Entry, lang: Lang) -> str:
        english = self._english_name(entry.id) if lang == "en" else None
        return f"{english} ({entry.product})" if english else entry.product

    def source_line(self, entry: Entry, lang: Lang) -> str:
        if lang == "en":
            return f"Source: {self.name(entry, lang)} · {entry.category} · page {entry.page}"
        return f"来源：{entry.product} · {entry.category} · 第 {entry.page} 页"

    @staticmethod
    def quoted(text: str) -> str:
        return f"「{text}」"

    def _answer(self, text: str, quotes: Sequence[Quote], verdict: Verdict | None = None) -> Answer:
        citations: list[Citation] = []
        seen: set[str] = set()
        for quote in quotes:
            if quote.entry.id in seen:
                continue
            seen.add(quote.entry.id)
            citations.append(Citation(product=quote.entry.product, category=quote.entry.category,
                                      page=quote.entry.page, quote=quote.text))
        return Answer(answer=text, citations=citations, verdict=verdict, catalog_version=self.catalog_version)

    def _sources(self, entries: Sequence[Entry], lang: Lang) -> str:
        return "\n".join(self.source_line(entry, lang) for entry in unique(entries))

    @staticmethod
    def overview(entry: Entry) -> list[str]:
        """The description's sentences and the numbered items: what an entry says it contains."""
        return [*split_sentences(entry.description), *entry.items]

    def _overview_block(self, entry: Entry, lang: Lang) -> str:
        lines = [f"{self.name(entry, lang)}：" if lang == "zh" else f"{self.name(entry, lang)}:"]
        lines += [f"- {self.quoted(clause)}" for clause in self.overview(entry)]
        return "\n".join(lines)

    # -- answers by question type ------------------------------------------------------------------
    def describe(self, entries: Sequence[Entry], lang: Lang) -> Answer:
        head = "根据服务目录：" if lang == "zh" else "According to the service catalog:"
        body = "\n\n".join(self._overview_block(entry, lang) for entry in entries)
        quotes = [Quote(entry, self.overview(entry)[0]) for entry in entries if self.overview(entry)]
        return self._answer(f"{head}\n\n{body}\n\n{self._sources(entries, lang)}", quotes)

    def compare(self, entries: Sequence[Entry], lang: Lang) -> Answer:
        names = "、".join(self.name(e, lang) for e in entries) if lang == "zh" else " and ".join(self.name(e, lang) for e in entries)
        head = (f"{names}是不同的服务产品，目录中各自的内容如下：" if lang == "zh"
                else f"{names} are different service products; the catalog describes each as follows:")
        body = "\n\n".join(self._overview_block(entry, lang) for entry in entries)
        contrast = self._contrast(entries, lang)
        quotes = [Quote(entry, self.overview(entry)[0]) for entry in entries if self.overview(entry)]
        parts = [head, body, *([contrast] if contrast else []), self._sources(entries, lang)]
        return self._answer("\n\n".join(parts), quotes)

    def _contrast(self, entries: Sequence[Entry], lang: Lang) -> str:
        """When the products share some numbered items (by heading, 部署方案：…), the ones only one lists:
        that is the difference. Products with nothing in common are contrasted by their blocks alone."""
        headings = [{_heading(item) for item in entry.items} for entry in entries]
        if not any(a & b for i, a in enumerate(headings) for b in headings[i + 1 :]):
            return ""
        lines = []
        for index, entry in enumerate(entries):
            others = set().union(*(h for j, h in enumerate(headings) if j != index))
            own = [item for item in entry.items if _heading(item) not in others]
            if own:
                label = f"只有{self.name(entry, lang)}列出：" if lang == "zh" else f"Only {self.name(entry, lang)} lists:"
                lines.append("\n".join([label, *(f"- {self.quoted(item)}" for item in own)]))
        return "\n".join(lines)

    def recommend(self, matches: Sequence[Quote], lang: Lang) -> Answer:
        """Which-service answers: the recommended products, each with the clause that fits the need."""
        entries = unique(quote.entry for quote in matches)
        names = "、".join(self.name(e, lang) for e in entries) if lang == "zh" else " or ".join(self.name(e, lang) for e in entries)
        head = f"建议了解{names}。" if lang == "zh" else f"The service that fits this is {names}."
        blocks = []
        for entry in entries:
            reasons = [q.text for q in matches if q.entry is entry]
            clauses = list(dict.fromkeys([*reasons, *self.overview(entry)]))
            label = "相关条款：" if lang == "zh" else "Relevant clauses:"
            blocks.append("\n".join([f"{self.name(entry, lang)} — {label}", *(f"- {self.quoted(c)}" for c in clauses)]))
        return self._answer(f"{head}\n\n" + "\n\n".join(blocks) + f"\n\n{self._sources(entries, lang)}", matches)

    def scope(self, entry: Entry, verdict: Verdict, clause: str | None, pointers: Sequence[Quote],
              lang: Lang, closest: str | None = None) -> Answer:
        """A yes/no answer from the deciding clause; when nothing decides it, the clause that comes
        closest (never the customer's own words as if the catalog had failed to mention them)."""
        name = self.name(entry, lang)
        if verdict == "included" and clause:
            head = (f"包括。{name}的服务内容中有这一项：{self.quoted(clause)}" if lang == "zh"
                    else f"Yes. {name} covers this; the catalog says: {self.quoted(clause)}")
        elif verdict == "excluded" and clause:
            head = (f"不包括。{name}明确排除了这一项：{self.quoted(clause)}" if lang == "zh"
                    else f"No. {name} explicitly excludes this; the catalog says: {self.quoted(clause)}")
        else:
            head = (f"无法确认包括。{name}的条目没有写明这一项，具体以合同约定为准。" if lang == "zh"
                    else f"Not confirmed. The catalog entry for {name} does not state this; the signed contract decides.")
            if closest:
                head += (f"最接近的条款是：{self.quoted(closest)}" if lang == "zh"
                         else f" The closest clause is: {self.quoted(closest)}")
        lines = [head]
        if verdict != "included":
            for quote in pointers:
                lines.append(f"该需求在{self.name(quote.entry, lang)}中列出：{self.quoted(quote.text)}" if lang == "zh"
                             else f"This is listed under {self.name(quote.entry, lang)}: {self.quoted(quote.text)}")
        own = "目录中该服务的内容：" if lang == "zh" else "What the catalog lists for this service:"
        lines.append("\n".join([own, *(f"- {self.quoted(c)}" for c in self.overview(entry))]))
        entries = [entry, *(q.entry for q in pointers if verdict != "included")]
        lines.append(self._sources(entries, lang))
        first = Quote(entry, clause or closest or (self.overview(entry) or [entry.product])[0])
        quotes = [first, *(pointers if verdict != "included" else [])]
        return self._answer("\n\n".join(lines), quotes, verdict)

    def entitlement(self, notes: Entry, products: Sequence[Entry], lang: Lang) -> Answer:
        clause = notes.items[0] if notes.items else notes.text
        head = ("不一定。您能享受哪些服务，以您与金蝶双方签署的销售合同约定为准：" if lang == "zh"
                else "Not automatically. Which services you are entitled to is set by the sales contract you signed "
                     "with Kingdee; the catalog's general notes say:")
        lines = [f"{head}{self.quoted(clause)}"]
        lines += [self._overview_block(entry, lang) for entry in products]
        lines.append(self._sources([notes, *products], lang))
        return self._answer("\n\n".join(lines), [Quote(notes, clause), *(Quote(e, self.overview(e)[0]) for e in products)])

    def abstain(self, reason: AbstainReason, lang: Lang, suggestions: Sequence[Entry] = ()) -> Answer:
        texts = ABSTAIN_TEXTS[lang]
        lines = [texts[reason], texts["contact"].format(contact=support_contact(lang))]
        if suggestions:
            names = "、".join(self.name(e, lang) for e in suggestions) if lang == "zh" else ", ".join(self.name(e, lang) for e in suggestions)
            lines.append(texts["suggest"].format(names=names))
        return Answer(answer="\n".join(lines), citations=[], verdict=None, abstained=True,
                      catalog_version=self.catalog_version)


def _heading(item: str) -> str:
    """An item's heading (方案制定 in 方案制定：…), or the whole item when it has none."""
    return item.split("：", 1)[0]


ABSTAIN_TEXTS: dict[Lang, dict[str, str]] = {
    "zh": {
        "empty": "您好！请告诉我您想了解的金蝶专项服务问题，例如“私有云部署与运维支持服务包括数据备份吗？”",
        "injection": "抱歉，我只能根据金蝶专项服务产品清单回答服务内容方面的问题，无法执行这类请求。",
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
