"""What the decision module (bot.decide) reads about one question: the rule-based understanding, the
nearest labelled examples, fused retrieval and the products the customer said they do not want."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bot.understand import Understanding
from kb.examples import ExampleMemory, Neighbour
from kb.models import EntryHit


@dataclass
class Signals:
    understanding: Understanding
    neighbours: list[Neighbour] = field(default_factory=list)
    hits: list[EntryHit] = field(default_factory=list)
    negated: frozenset[str] = frozenset()  # compact ids of products the customer does not want ("不打算升级")
    typed: frozenset[str] = frozenset()  # compact ids of the products named in the question's own words
    memory: ExampleMemory | None = None
    similarities: np.ndarray | None = None  # the question's cosine to every example of `memory`
    masked_similarities: np.ndarray | None = None  # the same with product names masked on both sides
    # how much of what is asked the top retrieved entry's closest clause names (bot.verdict), all concepts
    # and those beyond the product's own name: "现场服务包含多少人天" finds 人天 in 「…12 人天或 24 人天…」,
    # "戴尔服务器硬盘怎么换" finds nothing it asks about
    catalog_coverage: float = 0.0
    catalog_own_coverage: float = 0.0
    # the question asks for an amount (几天, 多少人天, how many) and the product it is about states a number:
    # "现场服务包最多多少人天" is answered by 「不超过 12 人天或 24 人天」, "组织拆分要多少人天" by no entry
    amount_stated: float = 0.0

    def best(self, mask: np.ndarray, masked: bool = False) -> float:
        """The highest similarity among the examples in `mask` (0 when none)."""
        similarities = self.masked_similarities if masked else self.similarities
        if similarities is None or not len(similarities) or not mask.any():
            return 0.0
        value = float(np.max(np.where(mask, similarities, -np.inf)))
        return value if np.isfinite(value) else 0.0
    # the clause stating the largest amount of the named product's entry, when the question asks for more
    # ("现场服务包能不能给到30人天" against 「不超过 12 人天或 24 人天」)
    amount_beyond: str | None = None
    # the named product's clause that requires a stage the customer says they have not reached ("还在实施期没上线"
    # against 「客户进入维护期阶段，金蝶提供…」)
    stage_not_reached: str | None = None
    # the named product's clause that has it run on what the customer supplies, when the question asks
    # Kingdee to supply that ("服务器是你们出吗" against 「在客户（您）提供的基础设施上…」)
    customer_supplies: str | None = None
    # the named product's clause that has it done per engagement, when the question asks for standing access
    # ("诊断服务是包年的吗，随时想诊断就诊断" against 「…按次对应用系统进行…诊断」)
    per_engagement: str | None = None
    exclude_writers: tuple[str, ...] = ()  # when fitting: the writer whose examples must not vote (bot.fit)
