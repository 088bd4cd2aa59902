from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eval.questions import QuestionSetError, load_question_set
from ingest.models import entry_id
from tests.eval.conftest import write_jsonl

GOOD = {"id": "q1", "question": "数据库转换服务包括工具授权吗？", "history": [], "lang": "zh",
        "gold": ["数据库转换服务"], "gold_all": [], "facts": [["许可授权"]], "verdict": "included", "abstain": False}


def test_loads_a_well_formed_set(tmp_path: Path) -> None:
    questions = load_question_set(write_jsonl(tmp_path / "s.jsonl", [GOOD, {**GOOD, "id": "q2"}]))
    assert [q.id for q in questions] == ["q1", "q2"]
    assert questions[0].facts == [["许可授权"]]


@pytest.mark.parametrize(("bad_line", "reason"), [
    ('{"id": "q9", "question": "x", "lang": "zh"', "not valid JSON"),
    ('["a list"]', "JSON object"),
    ({**GOOD, "id": "q9", "lang": "fr"}, "lang"),
    ({**GOOD, "id": "q9", "verdict": "excluded"}, "verdict"),
    ({k: v for k, v in GOOD.items() if k != "question"} | {"id": "q9"}, "question"),
    ({**GOOD, "id": "q9", "facts": [[]]}, "fact"),
    ({**GOOD, "id": "q9", "history": [{"role": "system", "content": "hi"}]}, "history"),
    ({**GOOD, "id": "q9", "abstain": True}, "abstain"),
    ({**GOOD, "id": "q1"}, "duplicate id 'q1'"),
])
def test_a_malformed_line_is_reported_with_its_line_number(tmp_path: Path, bad_line: dict | str, reason: str) -> None:
    path = write_jsonl(tmp_path / "s.jsonl", [GOOD, {**GOOD, "id": "q2"}, bad_line, {**GOOD, "id": "q4"}])
    with pytest.raises(QuestionSetError) as error:
        load_question_set(path)
    message = str(error.value)
    assert message.startswith(f"{path}:3: ")
    assert reason in message
    assert "\n" not in message


def test_unknown_fields_are_ignored_and_defaults_filled(tmp_path: Path) -> None:
    line = {"id": "outside-7", "question": "What is the resident service?", "lang": "en", "gold": ["驻场服务"],
            "author": "QA team", "difficulty": 3, "tags": ["staffing"]}
    [question] = load_question_set(write_jsonl(tmp_path / "s.jsonl", [line]))
    assert question.history == [] and question.facts == [] and question.verdict is None
    assert question.abstain is False


def test_empty_or_unreadable_sets_are_errors(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="no questions"):
        load_question_set(write_jsonl(tmp_path / "empty.jsonl", [""]))
    with pytest.raises(QuestionSetError, match="cannot read"):
        load_question_set(tmp_path / "missing.jsonl")


def test_product_names_compare_without_whitespace() -> None:
    assert entry_id("苍穹 PaaS 实验室") == entry_id("苍穹PaaS\u3000实验室") == "苍穹PaaS实验室"


@pytest.mark.parametrize(("changes", "expected"), [
    ({"abstain": True, "gold": [], "verdict": None}, "abstain"),
    ({"gold_all": ["数据库转换服务", "信创服务"], "gold": ["数据库转换服务", "信创服务"]}, "comparison"),
    ({}, "scope"),
    ({"verdict": None, "history": [{"role": "user", "content": "x"}]}, "follow-up"),
    ({"verdict": None, "lang": "en"}, "english"),
    ({"verdict": None}, "other"),
])
def test_question_type_is_derived_from_the_fields(tmp_path: Path, changes: dict, expected: str) -> None:
    [question] = load_question_set(write_jsonl(tmp_path / "s.jsonl", [{**GOOD, **changes}]))
    assert question.type == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(line=st.one_of(
    st.text(max_size=80),
    st.dictionaries(st.sampled_from(list(GOOD) + ["extra"]),
                    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                              st.lists(st.text(max_size=5), max_size=2),
                              st.lists(st.lists(st.text(max_size=5), max_size=2), max_size=2)),
                    max_size=9).map(json.dumps),
))
def test_any_line_loads_or_fails_with_its_line_number(tmp_path: Path, line: str) -> None:
    """Whatever someone writes on line 2, the loader answers with questions or a `SET:2:` error."""
    path = tmp_path / "fuzz.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + line.replace("\n", " ").replace("\r", " ") + "\n", encoding="utf-8")
    try:
        questions = load_question_set(path)
    except QuestionSetError as error:
        assert str(error).startswith(f"{path}:2: ") and "\n" not in str(error)
    else:
        assert questions[0].id == "q1"


def test_a_set_saved_on_windows_loads(tmp_path: Path) -> None:
    """BOM and CRLF line ends, as Notepad or Excel exports write them."""
    path = tmp_path / "windows.jsonl"
    path.write_bytes(("\r\n".join(json.dumps({**GOOD, "id": f"w{i}"}, ensure_ascii=False) for i in range(3)) + "\r\n")
                     .encode("utf-8-sig"))
    assert [q.id for q in load_question_set(path)] == ["w0", "w1", "w2"]
