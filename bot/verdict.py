"""Scope verdicts: does a catalog entry cover the thing asked about?

A wrong "yes" is a contractual promise, so `included` needs one clause of the entry that mentions at
least two thirds of the topic's concepts (a concept is a content word of the question, or a term with
its synonyms, which is how English topics reach the Chinese clauses); an exclusion clause that mentions
it wins over any inclusion; anything else is `not_listed`."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz

from ingest.models import Entry
from kb.chunks import entry_clauses, heading
from kb.language import cue, read_yaml, words
from bot.models import Verdict

# Two of three concepts: customers pad questions with words no clause has ("平时", "OA"). Measured:
# requiring all of them drops dev verdict accuracy from 0.96 to 0.91; half of them gives 8 wrong
# verdicts on 37 scope questions of our own (0 at two thirds).
INCLUDED_COVERAGE = 0.66
# Part-of-speech tags (jieba) of words that can name what is asked about; the rest (pronouns, adverbs,
# particles, measure words, time words) is conversation.
_CONTENT_TAGS = ("n", "v", "a", "eng", "x", "l", "i", "j", "m")
_SKIP_TAGS = ("nr", "ad", "an")
# Modal and helper characters, and verbs and nouns that frame a need rather than name it
# (data/language.yaml, like every cue below).
_MODALS = frozenset(words("modals"))
_GENERIC = frozenset(words("generic"))
_EN_STOPWORDS = frozenset(words("en_stopwords"))  # "before", "within", "or": never what is asked
# "根据客户业务需求…", "按财务审计要求…": the need a clause starts from is not what it delivers, so a
# question about that need ("包含财务审计本身吗", "会帮我们确定业务需求吗") must not read it as a yes.
PURPOSE = cue("purpose", ignore_case=False)
# "提供标准产品之外的定制开发…": what a clause names as outside its work it does not deliver.
OUTSIDE_SCOPE = cue("outside_scope", ignore_case=False)
# "…形成新的数据中心并支持继续进行业务操作": what the customer can go on doing once the work is done. It
# answers "还能继续做业务吗", but is no yes to work done `for_us` ("会替我们做日常业务操作吗").
ENABLED = cue("enabled", ignore_case=False)
FOR_US = cue("for_us", ignore_case=False)
# "云审计服务包含财务审计本身吗": the activity itself, not the product's work for it
ITSELF = cue("itself", ignore_case=False)
EXCLUSION_MARKER = cue("exclusion_markers", ignore_case=False)
# characters that can follow the thing a clause delivers; any other Chinese character after it makes it a
# modifier of something else ("财务审计数据抽取" delivers extraction, not an audit)
_HEAD_END = frozenset(words("head_end"))
CATALOG_TERMS_PATH = Path(__file__).resolve().parents[1] / "data" / "catalog_terms.yaml"
_LATIN_TERM = re.compile(r"^[a-z0-9&+\-. ]+$")


def load_catalog_terms(path: Path = CATALOG_TERMS_PATH) -> list[list[str]]:
    """English words and close Chinese equivalents of catalog terms, as groups like the kb's glossary."""
    groups = read_yaml(path)["groups"]
    return [[str(term) for term in group] for group in groups]


def _norm(text: str) -> str:
    return "".join(text.lower().split())


@dataclass(frozen=True)
class Concept:
    """One thing the topic asks about, with the surface forms that count as mentioning it."""

    label: str
    variants: frozenset[str]

    def mentioned_in(self, clause: str) -> bool:
        return self.mentioned(clause.lower(), _norm(clause))

    def mentioned(self, lowered: str, normalised: str) -> bool:
        """`mentioned_in` for a text already lower-cased and normalised (one text, several concepts)."""
        for variant in self.variants:
            if _LATIN_TERM.match(variant):
                if _latin_pattern(variant).search(lowered):
                    return True
            elif len(variant) >= 2 and variant in normalised:
                return True
        return False


    def delivered_in(self, clause: str) -> bool:
        """Mentioned as the thing delivered: some Chinese occurrence ends a phrase rather than modifying
        the next word (English variants count as mentions)."""
        normalised = _norm(clause)
        for variant in self.variants:
            if _LATIN_TERM.match(variant):
                if _latin_pattern(variant).search(clause.lower()):
                    return True
                continue
            start = normalised.find(variant) if len(variant) >= 2 else -1
            while start >= 0:
                after = normalised[start + len(variant) : start + len(variant) + 1]
                if not after or after in _HEAD_END or not "\u4e00" <= after <= "\u9fff":
                    return True
                start = normalised.find(variant, start + 1)
        return False


@dataclass(frozen=True)
class ClauseMatch:
    entry: Entry
    kind: str
    clause: str
    coverage: float
    literal: int = 0  # concepts named in the clause in the question's own words, not a synonym
    # the same share over the concepts that are not words of the product's own name: "实验室包不包苍穹平台
    # license" covers 实验室/苍穹/平台 everywhere in 苍穹 PaaS 实验室, and says nothing about the licence
    own_coverage: float = 0.0
    own_concepts: int = 0

    @property
    def rank(self) -> tuple[float, int, bool]:
        """Coverage first, then the question's own words, then a numbered item over the description."""
        return (self.coverage, self.literal, self.kind == "item")


class ScopeJudge:
    """Matches topics to clauses, with glossary synonyms; built once at start-up."""

    def __init__(self, groups: Sequence[Sequence[str]], user_words: Sequence[str], corpus: str = "",
                 exact_groups: Sequence[Sequence[str]] = ()) -> None:
        """`groups` are retrieval synonyms (loose: filtered per term by `_variants`); `exact_groups` are
        curated equivalents (data/catalog_terms.yaml) whose words all count."""
        self._corpus = _norm(corpus)
        # Every term with the words of all the groups it belongs to ("guarantee" is a contract word in the
        # glossary and 确保/保障 in the catalog terms), longest first so "data backup" beats "backup".
        variants: dict[str, set[str]] = {}
        for group in groups:
            lowered = [term.lower() for term in group]
            for term in lowered:
                variants.setdefault(term, set()).update(_variants(term, lowered))
        for group in exact_groups:
            lowered = [term.lower() for term in group]
            for term in lowered:
                variants.setdefault(term, set()).update(t if _LATIN_TERM.match(t) else _norm(t) for t in lowered)
        self._terms = sorted(((term, frozenset(forms)) for term, forms in variants.items()),
                             key=lambda pair: len(pair[0]), reverse=True)
        # a term can only be mentioned where its first character is: an index on it spares checking
        # every glossary term on every question
        self._terms_by_first_char: dict[str, list[int]] = {}
        for index, (term, _) in enumerate(self._terms):
            if _norm(term):
                self._terms_by_first_char.setdefault(_norm(term)[0], []).append(index)
        self._pos_words = frozenset(_norm(w) for w in user_words if not _LATIN_TERM.match(w.lower()))
        # an answer reads one topic's concepts up to three times (the decline model's coverage, the verdict,
        # the included model's features): split it once
        self.concepts = lru_cache(maxsize=1024)(self._concepts)

    def glossary_terms(self, text: str) -> list[str]:
        """The glossary and English-term words the text uses (single characters too: 慢, 卡)."""
        lowered, normalised = text.lower(), _norm(text)
        return [term for term, _ in self._candidate_terms(normalised)
                if _mentioned(lowered, normalised, term) or (len(term) == 1 and term in text)]

    def _candidate_terms(self, normalised: str) -> list[tuple[str, frozenset[str]]]:
        """The terms whose first character the text has, longest first (as in `_terms`)."""
        indices = {i for char in set(normalised) for i in self._terms_by_first_char.get(char, ())}
        return [self._terms[i] for i in sorted(indices)]

    def content_words(self, text: str) -> list[str]:
        """Words that can name a thing asked about: content parts of speech, no single Chinese characters."""
        words = []
        # part-of-speech tables load on the first scope question, not at start-up
        for pair in _pos_tokenizer(self._pos_words).cut(text):
            word, flag = pair.word.strip().lower(), pair.flag
            if not word or word in _GENERIC or flag.startswith(_SKIP_TAGS) or not flag.startswith(_CONTENT_TAGS):
                continue
            if flag.startswith("m") and not re.search(r"\d", word):
                continue  # quantities matter ("50 人天"), counting words (一些, 两个) do not
            if len(word) == 2 and word[0] in _MODALS and word not in self._corpus:
                continue  # 能出, 会给: a modal glued to a verb by the tokenizer (会计 is in the catalog, kept)
            if _LATIN_TERM.match(word):
                if len(word) >= 2 and word not in _EN_STOPWORDS:  # "e.g." and "O&M" leave single letters
                    words.append(word)
            elif len(word) >= 2:
                words.append(word)
        return list(dict.fromkeys(words))

    def _concepts(self, topic: str) -> tuple[Concept, ...]:
        """Glossary groups the topic mentions, then its remaining content words, each as a concept (the
        customer's own "按审计要求" is the purpose, not the thing asked about); `concepts` is its cache."""
        rest = ITSELF.sub(" ", PURPOSE.sub(" ", topic)).lower()
        found: list[Concept] = []
        normalised = _norm(rest)
        for term, forms in self._candidate_terms(normalised):
            if _mentioned(rest, normalised, term):
                found.append(Concept(term, forms))
                rest = _remove(rest, term)
                normalised = _norm(rest)
        merged: dict[frozenset[str], Concept] = {}
        for concept in found:
            merged.setdefault(concept.variants, concept)
        for word in self.content_words(rest):
            merged.setdefault(frozenset([word]), Concept(word, frozenset([word])))
        return tuple(merged.values())

    def best_clause(self, concepts: Sequence[Concept], entry: Entry, kinds: set[str], itself: bool = False,
                    for_us: bool = False) -> ClauseMatch | None:
        """The clause covering most concepts; a concept in the product's own name is covered everywhere,
        except when the question asks about the activity `itself` (then a concept must be what a clause
        delivers, not a modifier of it)."""
        best: ClauseMatch | None = None
        name = _norm(entry.product)
        named = [c for c in concepts if fuzz.ratio(c.label, entry.product) >= 75
                 or any(len(v) >= 2 and not _LATIN_TERM.match(v) and v in name for v in c.variants)]
        if itself and kinds != {"exclusion"}:
            named = []
        for kind, clause in entry_clauses(entry):
            if kind not in kinds:
                continue
            if kind == "exclusion" and not any(c.mentioned_in(_without_name_words(clause, entry)) for c in concepts if c not in named):
                continue  # an exclusion must itself mention what is asked about, beyond the product's own name
            # what a clause delivers, not the customer's need it starts from ("根据财务审计需求")
            delivered = clause if kind == "exclusion" else OUTSIDE_SCOPE.sub(" ", PURPOSE.sub(" ", clause))
            if for_us:
                delivered = ENABLED.sub(" ", delivered)
            if itself and kind != "exclusion":
                covered = sum(c.delivered_in(delivered) for c in concepts) / len(concepts)
            else:
                covered = sum(c in named or c.mentioned_in(delivered) for c in concepts) / len(concepts)
            literal = sum(_mentions(clause, c.label) for c in concepts)
            own = [c for c in concepts if c not in named]
            own_covered = sum(c.mentioned_in(delivered) for c in own) / len(own) if own else 0.0
            match = ClauseMatch(entry, kind, clause, covered, literal, own_covered, len(own))
            if covered and (best is None or match.rank > best.rank):
                best = match
        return best

    def named_heading(self, concepts: Sequence[Concept], entry: Entry) -> str | None:
        """The item whose heading names, in the customer's own words, everything asked beyond the product's
        name ("环境部署服务包括安装部署吗": 「安装部署：…」)."""
        own = beyond_name(concepts, entry.product)
        if not own:
            return None
        return next((item for item in entry.items
                     if (label := heading(item)) and all(_mentions(label, c.label) for c in own)), None)

    def judge(self, topic: str, entry: Entry) -> tuple[Verdict, ClauseMatch | None]:
        """The verdict for `topic` in `entry`, with the clause that decides it (None for not_listed)."""
        concepts = self.concepts(topic)
        if not concepts:
            return "not_listed", None
        exclusion = self.best_clause(concepts, entry, {"exclusion"})
        if exclusion and exclusion.coverage >= INCLUDED_COVERAGE:
            return "excluded", exclusion
        itself = bool(ITSELF.search(topic))
        inclusion = self.best_clause(concepts, entry, {"description", "item", "note"}, itself,
                                     for_us=bool(FOR_US.search(topic)))
        if (inclusion and inclusion.coverage >= INCLUDED_COVERAGE and not _negated(inclusion.clause, concepts)
                and self._action_covered(topic, concepts, inclusion)):
            return "included", inclusion
        return "not_listed", None

    def _action_covered(self, topic: str, concepts: Sequence[Concept], match: ClauseMatch) -> bool:
        """The action asked for ("招聘技术人才": 招聘) must be in the clause: its objects alone (技术, 人才)
        can appear in a clause about a different action."""
        action = self.asked_action(topic)
        if action is None or set(action) & set(match.entry.product):
            return True  # no action asked, or the product's own one (拆完 in 组织拆分服务)
        concept = next((c for c in concepts if c.label == action or action in c.variants), None)
        return concept is None or concept.mentioned_in(match.clause)

    def asked_action(self, topic: str) -> str | None:
        """The first Chinese verb of the topic that is not conversation (帮, 做, 提供...)."""
        for pair in _pos_tokenizer(self._pos_words).cut(topic):
            word = pair.word.strip().lower()
            if (pair.flag == "v" and len(word) >= 2 and word not in _GENERIC and not _LATIN_TERM.match(word)
                    and word[0] not in _MODALS):
                return word
        return None

    def covering_entries(self, topic: str, entries: Sequence[Entry]) -> list[ClauseMatch]:
        """Entries with a clause that includes the topic, best first (a stable sort: callers order ties)."""
        concepts = self.concepts(topic)
        if not concepts:
            return []
        matches = []
        for entry in entries:
            exclusion = self.best_clause(concepts, entry, {"exclusion"})
            if exclusion and exclusion.coverage >= INCLUDED_COVERAGE:
                continue
            match = self.best_clause(concepts, entry, {"description", "item"})
            if match and match.coverage >= INCLUDED_COVERAGE and not _negated(match.clause, concepts):
                matches.append(match)
        return sorted(matches, key=lambda m: m.rank, reverse=True)


def beyond_name(concepts: Sequence[Concept], product: str) -> tuple[Concept, ...]:
    """The concepts that are not words of the product's own name: what is asked of it."""
    name = _norm(product)
    return tuple(c for c in concepts if not any(len(v) >= 2 and v in name for v in c.variants))


def mentioned_share(concepts: Sequence[Concept], text: str) -> float:
    """The share of `concepts` that `text` mentions (0 without concepts)."""
    if not concepts:
        return 0.0
    lowered, normalised = text.lower(), _norm(text)
    return sum(c.mentioned(lowered, normalised) for c in concepts) / len(concepts)


def _variants(term: str, group: Sequence[str]) -> list[str]:
    """Surface forms that count as the term. Glossary groups are built for retrieval recall (运维 sits
    with 维护 and 故障), too loose for a yes: a Chinese term keeps only the group's words that share a
    two-character word with it (数据备份 ~ 备份 ~ 云备份); an English term reaches all of the group's
    Chinese words, its only way into the clauses."""
    if _LATIN_TERM.match(term):
        return [t if _LATIN_TERM.match(t) else _norm(t) for t in group]
    pairs = {term[i : i + 2] for i in range(len(term) - 1)}
    return [_norm(t) for t in group
            if not _LATIN_TERM.match(t) and (t == term or any(t[i : i + 2] in pairs for i in range(len(t) - 1)))]


@lru_cache(maxsize=None)
def _latin_pattern(term: str) -> re.Pattern[str]:
    """A whole-word, plural-tolerant pattern; compiled once (re's own cache is too small for the glossary)."""
    return re.compile(rf"(?<![a-z]){re.escape(term)}(?:s|es)?(?![a-z])")


@lru_cache(maxsize=4)
def _pos_tokenizer(user_words: frozenset[str]):  # noqa: ANN202 - jieba has no type hints
    """A private jieba instance with our words (loading jieba's dictionaries takes seconds: once per
    word set per process)."""
    import jieba.posseg

    from kb.lexical import private_jieba

    # importing jieba.posseg already loaded the part-of-speech table into its default instance: share it
    # (read-only here) instead of reading the dictionary file again (~0.6 s) or copying it (~7 MB)
    tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    tagger.tokenizer = private_jieba(sorted(user_words))
    tagger.word_tag_tab = jieba.posseg.dt.word_tag_tab
    return tagger


def _mentions(text: str, term: str) -> bool:
    return _mentioned(text.lower(), _norm(text), term)


def _mentioned(lowered: str, normalised: str, term: str) -> bool:
    """`_mentions` on a text lowered and normalised once, for loops over the whole glossary."""
    latin, normalised_term = _term_form(term)
    if latin:
        return _latin_pattern(term).search(lowered) is not None
    return len(normalised_term) >= 2 and normalised_term in normalised


@lru_cache(maxsize=None)
def _term_form(term: str) -> tuple[bool, str]:
    """(is it a Latin term, its normalised form): asked for every glossary term on every question."""
    return _LATIN_TERM.match(term) is not None, _norm(term)


def _remove(text: str, term: str) -> str:
    if _LATIN_TERM.match(term):
        return _latin_pattern(term).sub(" ", text)
    return text.replace(term, " ")


def _without_name_words(clause: str, entry: Entry) -> str:
    """The clause without the two-character words of the product's name (安全 in 安全防护服务)."""
    name = _norm(entry.product)
    for start in range(len(name) - 1):
        clause = clause.replace(name[start : start + 2], " ")
    return clause


def carved_out(clause: str, concepts: Sequence[Concept]) -> bool:
    """Something asked is named only after the clause's exclusion marker: 「…如安全补丁…（注：不含已退出产品
    生命周期的金蝶产品）」 grants patches and carves out end-of-life products."""
    match = EXCLUSION_MARKER.search(clause)
    if not match:
        return False
    head, tail = clause[: match.start()], clause[match.end() :]
    return any(c.mentioned_in(tail) and not c.mentioned_in(head) for c in concepts)


def _negated(clause: str, concepts: Sequence[Concept]) -> bool:
    """A concept that appears only after 不包含/不含 inside an item is excluded there, not included."""
    match = EXCLUSION_MARKER.search(clause)
    if not match:
        return False
    head = clause[: match.start()]
    return not all(concept.mentioned_in(head) for concept in concepts)
