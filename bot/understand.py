"""Understanding a question: language, question type, the products it is about (resolving follow-ups
from the conversation), the topic of a scope question, and whether the catalog can answer it at all.

Everything here is pattern work over the question text and the product names the knowledge base
recognises; it never looks at answers, so it cannot leak or invent catalog content."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Literal

from pydantic import BaseModel

from bot.models import Turn
from kb.models import ProductMatch

Lang = Literal["zh", "en"]
Kind = Literal["scope", "which", "compare", "entitlement", "describe", "abstain"]
AbstainReason = Literal["empty", "injection", "price", "other_vendor", "chitchat", "howto", "unknown", "too_long"]


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

    @property
    def search_query(self) -> str:
        """What retrieval sees: the question plus the products a follow-up resolved to."""
        missing = [p for p in self.products if p not in self.question]
        return " ".join([self.question, *missing]) if missing else self.question


def _any(patterns: str) -> re.Pattern[str]:
    return re.compile(patterns, re.IGNORECASE)


INJECTION = _any(
    r"ignore\b.{0,30}\b(rules?|instructions?|prompts?|guidelines|above|previous)|system\s*prompt|"
    r"(reveal|print|show|repeat|output|display|leak)\b.{0,30}\b(instructions?|prompt|rules|configuration)|"
    r"developer mode|jailbreak|pretend (to be|you are)|you are now|from now on you|disregard|override|"
    r"(忽略|无视|忘掉|忘记).{0,12}(规则|指令|设定|提示|要求|限制|说明|以上|之前|前面|上面)|不要(理会|遵守)|(系统|初始|隐藏)?提示词|系统提示|你的(指令|规则|设定|提示)|"
    r"(输出|打印|显示|告诉我|泄露|重复).{0,12}(指令|规则|设定|prompt)|越狱|扮演|你现在是|从现在开始你"
)
PRICE = _any(
    r"价格|价钱|多少钱|几多钱|费用|收费|报价|折扣|打折|几折|打.折|优惠|便宜|贵不贵|贵吗|免费|花多少|预算|"
    r"\bprices?\b|\bpricing\b|\bcosts?\b|how much|discounts?|\bfees?\b|\bcheap|expensive|free of charge|\bfor free\b|"
    r"[$¥￥]\s*\d"
)
OTHER_VENDOR = _any(
    r"\bSAP\b|oracle(?!\s*(数据库|database|db\b))|甲骨文|用友|yonyou|\bU8\b|\bNC\b|浪潮|inspur|微软|microsoft|dynamics|salesforce|"
    r"workday|netsuite|\bsage\b|odoo|鼎捷|digiwin|速达|管家婆|\binfor\b|畅捷通"
)
MIGRATION = _any(r"迁移|迁到|迁至|切换|转到|换成|换到|换为|改成|改用|换型|替换|导入|转换|migrat|move|switch|replac|import|transfer|convert")
CHITCHAT = _any(
    r"^(你好|您好|hi|hello|hey|嗨|哈喽|谢谢|多谢|感谢|thanks?( you)?|再见|拜拜|bye|早上好|晚上好|good (morning|evening|night)|在吗|ok|好的)"
    r"[\s!！。.,，~?？]*$|"
    r"天气|笑话|\bjokes?\b|weather|你是谁|who are you|你叫什么|your name|几点|吃了吗|唱首歌|写一首|\bpoem\b|"
    r"讲个故事|tell me a story|你(喜欢|爱)|how are you|你好吗|心情|足球|football|股票|stock market"
)
HOWTO = _any(r"怎么(?!办)|如何|怎样|咋(?!办)|教我|步骤|\bhow (do|can|should|to)\b|\bhow i\b|\bsteps? to\b|\bwhere (do|can) i\b")
SOFTWARE_OPERATION = _any(
    r"凭证|过账|记账|报表|登录|登陆|密码|打印|录入|审核|结账|月结|单据|发票|菜单|按钮|快捷键|导出|excel|"
    r"新增|添加|删除|修改|编辑|账号|权限|角色|字段|审批|公式|核销|"
    r"voucher|\bpost\b|invoice|report|log ?in|password|print|menu|button|shortcut|export|spreadsheet|"
    r"permission|\brole\b|\bfield\b|approv"
)
WHICH = _any(
    r"(哪个|哪项|哪种|哪一个|什么|啥)服务|找谁|找哪个|买哪个|该买|选哪个|which service|what service|who (do|should) (i|we)"
)
COMPARE = _any(
    r"区别|不同|差别|差异|比较|对比|哪个(好|更)|有何不同|一样吗|相同|分别|和.{1,20}哪个|重叠|一回事|分不清|异同|区分|不一样|"
    r"\bvs\.?\b|versus|respectively|differ|compar|distinguish|which (one )?is better|same as|\bor\b.{0,40}\?$"
)
ENTITLEMENT = _any(
    r"都能用|都可以用|都能享受|都可以享受|都能获得|都有吗|都包含在|都包括在|能享受哪些|我(们)?的(合同|权益)|"
    r"(签|买|购买)(的|了)?(合同|服务)|合同里|合同中|合同约定|权益|有权|"
    r"我(们)?(买|购买|签)的|签了.{0,12}合同|合同.{0,12}(能用|享受|都有)|(清单|目录|文档|写的|列的).{0,12}(保证|承诺|担保)|(保证|承诺|担保).{0,8}(清单|目录|文档)|"
    r"(catalog|document|listed|written).{0,40}(guarantee|warrant|promise)|(guarantee|warrant|promise).{0,40}(catalog|document|listed)|"
    r"entitled|entitlement|(my|our) contract|(what|everything) (we|i) (bought|purchased|paid for|signed)|"
    r"our (purchase|order|subscription)|in (my|our) (plan|subscription|licen[cs]e|package)|"
    r"do (i|we) get (all|every)|can (i|we) use (all|every|everything)|(all|every) (of )?(these|this|the) services?.{0,20}(mine|available to (me|us))"
)
DESCRIBE = _any(
    r"是什么|是啥|干什么|干啥|做什么|什么意思|介绍|包括哪些|包含哪些|有哪些|哪些内容|什么内容|服务内容|具体内容|"
    r"内容是|讲讲|说说|是做|(包括|包含|含|有|管|做)(什么|啥|哪些)|\bwhat (is|'s|are)\b|\bwhat does .{0,60}\b(include|cover|do|offer|involve|contain)\b|"
    r"tell me (about|more)|describe|explain|overview|details|what do (i|we|you) get"
)
SCOPE = _any(
    r"包括|包含|含有?|涵盖|覆盖|有没有|有无|会不会|管不管|管吗|负责|能不能|可不可以|能否|是否|提供|支持|"
    r"帮(忙|我|我们)?|做不做|算不算|属于|范围|管.{0,8}吗|有.{1,20}(吗|么|嘛)|"
    r"\b(include[sd]?|including|cover(s|ed)?|contains?|part of|comes? with|provides?|offers?|handles?|"
    r"supports?|deal with|take care of|also do|do you do|will you)\b"
)
# After the scope verb, the product sits in a trailing "in/part of Y" (en) or "在/属于 Y" (zh) phrase.
TRAILING_PRODUCT = _any(r"\b(included|covered|part|available)\b.{0,20}\b(in|by|of|under|with)\b|属于|在.{0,40}(里|中|内|范围)")
FOLLOWUP_CUE = _any(
    r"^(那|那么|还有|另外|and|what about|how about|also)|它|这个|这项|该服务|此服务|那个|那项|上面|刚才|前面|"
    r"呢[?？]?$|\bit\b|\bthis\b|\bthat\b|\bthe other\b|\bthe same\b|\bthey\b|\bthem\b|\bthose\b|\bthese\b"
)
SERVICE_PRONOUN = _any(r"这个服务|这项服务|该服务|此服务|这个产品|它|\bthis (service|one|product)\b|\bit\b")
OTHER_ONE = _any(r"另一个|另外一个|另外那个|the other( one)?|other service")
ELLIPSIS = _any(r"^(那|那么|还有|and|what about|how about)?\s*(.+?)\s*(呢)?\s*[?？]?$")

# Words that frame a scope question rather than name what is asked about.
_SCAFFOLD = [
    "这个服务", "该服务", "此服务", "这项服务", "这个", "这项", "它", "那么", "那个",
    "服务范围", "服务内容", "里面", "之内",
    "包不包括", "包不包含", "含不含", "带不带", "有没有", "会不会", "管不管", "能不能", "可不可以", "做不做", "算不算", "是不是", "能否", "是否",
    "包括", "包含", "含有", "涵盖", "覆盖", "负责", "提供", "支持", "帮忙", "帮我们", "帮我", "属于", "有无",
    "也", "还", "吗", "么", "嘛", "呢", "请问", "一下", "我们", "我",
]
# words that start or end with a scaffold character but are content (管理员培训, 有效性, 数据中心)
_EDGE_WORDS = frozenset("管理 管控 带宽 含义 有效 中心 内容 内部 给付 做法 不足 没有".split())
_SCAFFOLD_EDGE = ["在", "里", "中", "内", "的", "有", "管", "帮", "做", "和", "与", "那", "含", "给", "带", "没", "不"]
_EN_SCAFFOLD = _any(
    r"\b(does|do|is|are|will|would|can|could|did|the|this|that|it|service|services|product|also|"
    r"include[sd]?|including|cover(s|ed)?|contains?|part|of|comes?|with|provides?|offers?|handles?|supports?|"
    r"deal|take|care|in|under|by|any|a|an|you|your|please|and|what|about|how|as|there|for|whether|"
    r"i|we|us|our|my|me|one|other|would|like|know|if|wonder|wondering|want|tell|let|check|ask|asking|just|to|be|"
    r"has|have|get|gets|need|needs|d|ll|m)\b"
)
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
    if PRICE.search(text):
        return "price"
    if OTHER_VENDOR.search(text) and not MIGRATION.search(text):
        return "other_vendor"
    if CHITCHAT.search(text):
        return "chitchat"
    return None


def classify(text: str, mentions: list[ProductMatch]) -> Kind | None:
    """The question type from its wording; None when the wording alone does not say (bare product name,
    an elliptic follow-up...)."""
    products = {m.entry.product for m in mentions}
    if ENTITLEMENT.search(text):
        return "entitlement"
    if COMPARE.search(text) and (len(products) >= 2 or FOLLOWUP_CUE.search(text)):
        return "compare"
    if WHICH.search(text) and not (products and _is_yes_no(text)):
        return "which"
    if DESCRIBE.search(text) and not _is_yes_no(text):
        return "describe"
    if _is_yes_no(text):
        return "scope"
    if DESCRIBE.search(text):
        return "describe"
    return None


_WH_ZH = re.compile(r"什么|啥|哪|多少|几|怎么|如何|为何|为什么")
_WH_EN = re.compile(r"\s*(what|which|how|who|where|when|why)\b", re.IGNORECASE)


def _is_yes_no(text: str) -> bool:
    """A yes/no question: 吗/么/嘛, an A-not-A verb, or an English question opening with an auxiliary
    (or asking "if/whether" it includes); a question word (什么, what…) makes it an open question."""
    if _WH_EN.match(text) or (_WH_ZH.search(text) and not re.search(r"吗\s*[?？]?\s*$", text)):
        return False
    return bool(
        re.search(r"\b(if|whether)\b.{0,80}\b(include|cover|contain|provide|offer|handle|support)", text, re.IGNORECASE)
        or
        re.search(r"(吗|(?<![什怎这那多])么|嘛|不|没)\s*[?？]?\s*$|([\u4e00-\u9fff])不\2|有没有|会不会|管不管|能不能|可不可以|做不做|算不算|是不是|是否|能否|包不包括|含不含|"
                  r"(包括|包含|含|带|涵盖|覆盖).{0,30}[?？]\s*$", text)
        or re.match(r"\s*(does|do|is|are|will|would|can|could|did|has|have)\b", text, re.IGNORECASE)
        or re.search(r"[.!]\s+(does|do|is|are|will|would|can|could)\b[^.!?]*\?\s*$", text, re.IGNORECASE)
        or re.search(r"\b(included|covered|part of)\b.{0,40}\?\s*$", text, re.IGNORECASE)
    )


def scope_topic(text: str, mentions: list[ProductMatch], lang: Lang) -> tuple[str | None, str]:
    """The product a scope question is about and the thing asked about ("数据备份", "data backup")."""
    if not mentions:
        return None, _strip_scaffold(text, lang)
    trailing = TRAILING_PRODUCT.search(text)
    after = [m for m in mentions if trailing and m.start >= trailing.end()]
    focus = after[-1] if after else mentions[0]
    return focus.entry.product, _strip_scaffold(_asked_part(text, focus), lang)


# Where a sentence ends; a customer's background story sits in the sentences before the question.
SENTENCE_END = re.compile(r"[。！!？?；;\n]+|\.(?:\s+|$)")
CLAUSE_END = re.compile(r"[，,。！!？?；;\n]+|\.(?:\s+|$)|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
# The verb after which a scope question names what it asks about ("…服务里包括方案吗").
ASKING_VERB = _any(
    r"包不包括|包不包含|含不含|带不带|有没有|管不管|包括|包含|涵盖|覆盖|负责|提供|含有?(?!义)|带(?![宽领头])|管(?![理控道])|"
    r"\b(include[sd]?|including|cover(s|ed)?|contains?|provides?|offers?|handles?|supports?)\b"
)


def _asked_part(text: str, focus: ProductMatch) -> str:
    """The thing asked about: the sentence that names the product, from the asking verb after the
    name on, so a long background story does not dilute the topic ("我们公司…。升级服务里包括方案吗")."""
    starts = [0, *(m.end() for m in SENTENCE_END.finditer(text) if m.end() <= focus.start)]
    ends = [m.start() for m in SENTENCE_END.finditer(text) if m.start() >= focus.end]
    sentence_start, sentence_end = starts[-1], (ends[0] if ends else len(text))
    if not text[focus.end : sentence_end].strip(" ?？"):
        sentence_end = len(text)  # "…，升级服务呢?" style: the product closes its sentence
    verb = ASKING_VERB.search(text, focus.end, sentence_end)
    if verb and text[verb.end() : sentence_end].strip(" ?？"):
        return text[verb.end() : sentence_end]
    return text[sentence_start : focus.start] + " " + text[focus.end : sentence_end]


def _remove_spans(text: str, mentions: list[ProductMatch]) -> str:
    for m in sorted(mentions, key=lambda m: m.start, reverse=True):
        text = text[: m.start] + " " + text[m.end :]
    return text


def _strip_scaffold(text: str, lang: Lang) -> str:
    if lang == "en":
        text = _EN_SCAFFOLD.sub(" ", text)
        return " ".join(_PUNCT.sub(" ", text).split())
    for word in _SCAFFOLD:
        text = text.replace(word, " ")
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


def understand(question: str, history: list[Turn], find_mentions: MentionFinder) -> Understanding:
    """Understand the question in the light of the conversation so far (oldest turn first)."""
    state = _State()
    for turn in history:
        if turn.role == "user":
            state.last = _understand_one(turn.content, state, find_mentions)
            state.mentioned = tuple(state.last.products)
        else:
            named = [m.entry.product for m in find_mentions(turn.content)]
            state.mentioned = tuple(dict.fromkeys([*state.mentioned, *named]))
    understanding = _understand_one(question, state, find_mentions)
    understanding.yes_no_part = understanding.kind != "scope" and asks_yes_no_in_part(understanding.question)
    return understanding


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
        return Understanding(question=text, lang=lang, kind="abstain", products=products, abstain_reason=reason)
    kind = classify(text, mentions)
    last = state.last if state.last and state.last.kind != "abstain" else None
    followup = False

    if last and last.products and kind == "scope" and products and SERVICE_PRONOUN.search(text):
        # "这个服务包括现场安装吗": the service is the one under discussion; 现场 is what is asked about.
        return Understanding(question=text, lang=lang, kind="scope", products=list(last.products),
                             topic=_strip_scaffold(text, lang), followup=True)
    if last and not products and kind != "which" and (FOLLOWUP_CUE.search(text) or kind is None or kind == "scope"):
        followup = True
        focus = list(last.products) or list(state.mentioned[:1])
        if OTHER_ONE.search(text):
            products = [p for p in state.mentioned if p not in focus][:1] or focus
        else:
            products = focus
        if kind == "compare":
            products = list(dict.fromkeys([*last.products, *state.mentioned]))
    elif last and kind == "compare" and len(products) == 1 and FOLLOWUP_CUE.search(text):
        followup = True
        products = list(dict.fromkeys([*last.products[:1], *products]))

    if kind is None and last and followup:
        # "那数据备份呢?" / "what about training?": the last question again, with a new topic.
        topic = _strip_scaffold(ELLIPSIS.match(text).group(2) if ELLIPSIS.match(text) else text, lang)
        if last.kind in {"scope", "describe"} and topic and products:
            return Understanding(question=text, lang=lang, kind="scope", products=products, topic=topic, followup=True)
        return last.model_copy(update={"question": text, "lang": lang, "products": products, "followup": True})
    if kind is None and last and products and re.search(r"呢\s*[?？]?$|^(and|what about|how about)\b", text, re.IGNORECASE):
        # "那私有云部署与运维支持服务呢?": the last question again, about another product.
        return last.model_copy(update={"question": text, "lang": lang, "products": products, "followup": True})

    if kind == "scope":
        focus, topic = scope_topic(text, mentions, lang)
        background = _strip_scaffold(_remove_spans(text, [m for m in mentions if m.entry.product == focus]), lang)
        if focus:
            products = [focus, *[p for p in products if p != focus]]
        return Understanding(question=text, lang=lang, kind="scope", products=products, topic=topic,
                             background_topic=background if background != topic else "", followup=followup)
    if kind == "compare" and len(products) < 2:
        kind = "describe" if products else "which"
    if kind is None:
        kind = "describe" if products else "which"
    return Understanding(question=text, lang=lang, kind=kind, products=products, followup=followup)
