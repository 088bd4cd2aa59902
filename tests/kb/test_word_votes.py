"""Word votes: per-product yes-rates of the customers' own words, with a writer left out when fitting."""
from __future__ import annotations

import numpy as np

from kb.examples import Example, ExampleMemory, question_key
from kb.word_votes import MAX_KNOWN, WordVotes


def _tokens(text: str) -> list[str]:
    return text.lower().split()


def _example(question: str, verdict: str | None, writer: str, product: str = "升级 服务") -> Example:
    return Example(question=question, products=[product], verdict=verdict, writer=writer)


EXAMPLES = [
    _example("升级 服务 包 装好 吗", "included", "a"),
    _example("装好 算 升级 吗", "included", "b"),
    _example("升级 服务 包 硬件 吗", "not_listed", "a"),
    _example("硬件 装好 吗", "excluded", "c"),
    _example("装好 吗", None, "d"),  # not a scope question: no vote
    _example("装好 吗", "not_listed", "e", product="迁移"),  # about another product
]


def test_a_word_votes_with_the_examples_that_used_it_about_that_product() -> None:
    votes = WordVotes(EXAMPLES, _tokens)
    rate, known = votes.vote("他们 装好 吗", "升级 服务")
    # 装好: 2 yes of 3 about 升级服务; 吗 the same 2 of 4; 他们 never seen; the product's own words are not counted
    assert known == 2
    assert np.isclose(rate, ((2 + 0.5) / (3 + 1) + (2 + 0.5) / (4 + 1)) / 2)


def test_a_left_out_writer_does_not_vote_on_its_own_question() -> None:
    votes = WordVotes(EXAMPLES, _tokens)
    rate, known = votes.vote("硬件", "升级服务", exclude_writers=["a", "c"])
    assert (rate, known) == (0.5, 0)
    rate, known = votes.vote("硬件", "升级服务", exclude_writers=["c"])
    assert known == 1 and np.isclose(rate, 0.5 / 2)


def test_no_known_word_is_no_evidence_and_many_are_capped() -> None:
    votes = WordVotes([_example(" ".join(f"w{i}" for i in range(9)), "included", "a")], _tokens)
    assert votes.vote("陌生 的 词", "升级服务") == (0.5, 0)
    assert votes.vote(" ".join(f"w{i}" for i in range(9)), "升级服务")[1] == MAX_KNOWN


def test_words_vote_for_the_products_of_the_examples_using_them() -> None:
    examples = [_example("装好 吗", "included", "a"), _example("装好 了 吗", None, "b"),
                _example("装好 吗", "not_listed", "c", product="迁移"),
                Example(question="装好 吗", products=["迁移"], abstain=True, writer="d")]  # declines say nothing
    votes = WordVotes(examples, _tokens)
    scores = votes.products("装好")
    assert scores == {"升级服务": 1.0, "迁移": 0.5}
    assert votes.products("装好", exclude_writers=["a", "b"]) == {"迁移": 1.0}
    assert votes.products("没见过") == {}


def test_the_memory_builds_its_word_votes_only_with_a_tokenizer() -> None:
    vectors = {question_key(e.question): np.ones(2) for e in EXAMPLES}
    assert ExampleMemory(EXAMPLES, vectors).word_votes is None
    assert ExampleMemory(EXAMPLES, vectors, tokens=_tokens).word_votes.vote("装好", "升级服务")[1] == 1


def test_words_vote_on_declining_with_the_examples_using_them() -> None:
    examples = [Example(question="股票 代码", abstain=True, writer="a"), Example(question="股票 怎么 买", abstain=True, writer="b"),
                _example("升级 包括 培训 吗", "included", "c")]
    votes = WordVotes(examples, _tokens)
    mean, highest = votes.declined("股票 培训")
    assert np.isclose(highest, 2.5 / 3) and np.isclose(mean, (2.5 / 3 + 0.5 / 2) / 2)
    assert votes.declined("股票", exclude_writers=["a", "b"]) == (0.5, 0.5)
