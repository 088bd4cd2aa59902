"""Questions generated from a catalog's own structure: eval's generated set, and the seed of the
example memory for a catalog nobody has written examples for.

Templates:
- each entry: "{product}是什么服务？" (notes: "清单的说明部分讲了什么？") -> gold the entry;
- each numbered item: "{product}包括{topic}吗？" -> verdict included, fact = the topic, where the
  topic is the item's heading before "：" or else its key phrase;
- each negated exclusion (不包含/不含/不包括…): "{product}包括{object}吗？" -> verdict not_included,
  fact = any key phrase of the excluded object;
- each other limiting clause (以实际约定为准, 由第三方交付…): "{product}有什么前提或限制？" (alternating
  with "{product}哪些内容另有约定或由别人负责？") -> no verdict, fact = the clause's key phrase;
- a need a sibling owns: "{product}包括{topic of the next entry's first item}吗？" when the entry does not
  mention that topic -> verdict not_included (the sibling names where it is);
- declines (data/generate_templates.yaml): prices of a product, other vendors, how-tos, chit-chat ->
  abstain.
Key phrases are the longest segment between punctuation, cut to their last whole words when long.
Each line carries an extra `clause` field ({kind, text}) that the runner ignores and tests use.
"""
from __future__ import annotations

import re
from pathlib import Path

from ingest.models import Catalog, Entry
from ingest.parse import NOTES_CATEGORY
from kb.language import read_yaml

_SEGMENT_BREAKS = re.compile(r"[，,；;。（）()、：:！？!?\s]+")
_LEADING_FUNCTION_WORDS = re.compile(r"^(?:对于|对|针对|在|基于|根据|提供|为|的|将|并|和|及)+")
_NEGATION = re.compile(r"^(?:注：)?(?:不包含|不包括|不含|不提供|不)")
_TRAILING_PUNCTUATION = "；;。，,、 "
MAX_TOPIC = 18
CUT_TOPIC = 12
_LIMIT_TEMPLATES = ("{product}有什么前提或限制？", "{product}哪些内容另有约定或由别人负责？")


def _segments(text: str) -> list[str]:
    parts = (_LEADING_FUNCTION_WORDS.sub("", part) for part in _SEGMENT_BREAKS.split(text))
    return [part for part in parts if len(part) >= 2 and part != "您"]


def _last_words(phrase: str, limit: int) -> str:
    """The trailing whole words (jieba) of a long phrase: Chinese puts the object last."""
    from kb.lexical import private_jieba

    kept = ""
    for word in reversed(private_jieba().lcut(phrase)):
        if len(word) + len(kept) > limit:
            break
        kept = word + kept
    return _LEADING_FUNCTION_WORDS.sub("", kept) or phrase[-limit:]


def key_phrase(text: str) -> str:
    """The longest segment of a clause, cut to its last words when long."""
    segments = _segments(text) or [text.strip(_TRAILING_PUNCTUATION)]
    phrase = max(segments, key=len)
    return _last_words(phrase, CUT_TOPIC) if len(phrase) > MAX_TOPIC else phrase


def item_topic(item: str) -> str:
    heading, colon, _ = item.partition("：")
    if colon and 2 <= len(heading) <= 10:
        return heading
    return key_phrase(item)


def _line(qid: str, question: str, entry: Entry, kind: str, clause: str,
          facts: list[list[str]], verdict: str | None) -> dict:
    return {"id": qid, "question": question, "history": [], "lang": "zh", "gold": [entry.product],
            "gold_all": [], "facts": facts, "verdict": verdict, "abstain": False,
            "clause": {"kind": kind, "text": clause}}


def entry_questions(entry: Entry, number: int) -> list[dict]:
    notes = entry.category == NOTES_CATEGORY
    product = entry.product
    prefix = f"gen-{number:02d}"
    lines = [_line(f"{prefix}-entry", "清单的说明部分讲了什么？" if notes else f"{product}是什么服务？",
                   entry, "entry", entry.description or entry.text, [], None)]
    for index, item in enumerate(entry.items, start=1):
        topic = item_topic(item)
        question = f"关于{topic}，清单的说明怎么规定？" if notes else f"{product}包括{topic}吗？"
        lines.append(_line(f"{prefix}-item{index}", question, entry, "item", item, [[topic]],
                           None if notes else "included"))
    limits = 0
    for index, clause in enumerate(entry.exclusions, start=1):
        qid = f"{prefix}-excl{index}"
        obj = _NEGATION.sub("", clause).strip(_TRAILING_PUNCTUATION)
        if obj != clause.strip(_TRAILING_PUNCTUATION) and not notes:
            phrases = sorted(set(_segments(obj)), key=len, reverse=True) or [obj]
            lines.append(_line(qid, f"{product}包括{obj}吗？", entry, "exclusion", clause,
                               [phrases], "not_included"))
        else:
            template = _LIMIT_TEMPLATES[limits % len(_LIMIT_TEMPLATES)]
            limits += 1
            question = "清单的说明里有什么前提或限制？" if notes else template.format(product=product)
            lines.append(_line(qid, question, entry, "exclusion", clause, [[key_phrase(clause)]], None))
    return lines


TEMPLATES_PATH = Path(__file__).resolve().parents[1] / "data" / "generate_templates.yaml"


def _decline_templates(path: Path = TEMPLATES_PATH) -> list[str]:
    return [str(line) for line in read_yaml(path)["declines"]]


def sibling_questions(catalog: Catalog) -> list[dict]:
    """"{product}包括{topic}吗？" where the topic is the next entry's first item and the product's own
    entry does not mention it: the need belongs to a sibling, so the answer is not_included."""
    entries = [entry for entry in catalog.entries if entry.category != NOTES_CATEGORY]
    lines = []
    for number, (entry, sibling) in enumerate(zip(entries, [*entries[1:], *entries[:1]], strict=True), start=1):
        if not sibling.items or sibling.id == entry.id:
            continue
        topic = item_topic(sibling.items[0])
        if "".join(topic.split()) in "".join(entry.text.split()):
            continue
        line = _line(f"gen-{number:02d}-sibling", f"{entry.product}包括{topic}吗？", entry, "sibling",
                     sibling.items[0], [], "not_included")
        lines.append(line)
    return lines


def decline_questions(catalog: Catalog, path: Path = TEMPLATES_PATH) -> list[dict]:
    """Questions to decline: every template once, product templates with one product each (in turn)."""
    products = [entry.product for entry in catalog.entries if entry.category != NOTES_CATEGORY]
    lines = []
    for number, template in enumerate(_decline_templates(path), start=1):
        question = template.format(product=products[number % len(products)]) if "{product}" in template else template
        lines.append({"id": f"gen-decline-{number:02d}", "question": question, "history": [],
                      "lang": "en" if question.isascii() else "zh", "gold": [], "gold_all": [], "facts": [],
                      "verdict": None, "abstain": True, "clause": {"kind": "decline", "text": ""}})
    return lines


def generate_questions(catalog: Catalog) -> list[dict]:
    return [*(line for number, entry in enumerate(catalog.entries, start=1) for line in entry_questions(entry, number)),
            *sibling_questions(catalog), *decline_questions(catalog)]


def seed_examples(catalog: Catalog) -> list:
    """The generated questions as examples (writer "seed"), for a catalog nobody wrote examples for."""
    from kb.examples import SEED_WRITER, Example

    seeded = []
    for line in generate_questions(catalog):
        verdict = {"included": "included", "not_included": ("excluded" if line["clause"]["kind"] == "exclusion"
                                                             else "not_listed")}.get(line["verdict"])
        clause = line["clause"]["text"] if line["clause"]["kind"] in {"item", "exclusion"} else None
        seeded.append(Example(question=line["question"], lang=line["lang"], products=line["gold"], clause=clause,
                              verdict=verdict, abstain=line["abstain"], writer=SEED_WRITER))
    return seeded
