from __future__ import annotations

from bot.models import Answer, Citation
from bot.surfaces.render import chat_markdown, copyable_answer

CITED = Answer(
    answer="**数据迁移服务** 不包含 <b>数据清洗</b>。",
    citations=[Citation(product="数据迁移服务", category="升级服务", page=1, quote="不包含数据清洗<script>x</script>")],
    verdict="excluded",
    catalog_version="2025-07-01",
)
ABSTAINED = Answer(answer="抱歉，目录中没有相关信息。", abstained=True, catalog_version="2025-07-01")


def test_chat_markdown_has_one_collapsible_citation_per_source_and_no_raw_markup() -> None:
    rendered = chat_markdown(CITED)
    assert rendered.count('<details class="kb-citation">') == 1
    assert "数据迁移服务 · 升级服务 · 第 1 页" in rendered
    assert "<b>" not in rendered and "<script>" not in rendered
    assert "&lt;script&gt;" in rendered


def test_abstention_shows_no_quote_block() -> None:
    assert chat_markdown(ABSTAINED) == ABSTAINED.answer


def test_copyable_answer_is_plain_text_with_its_source() -> None:
    text = copyable_answer(CITED)
    assert "数据迁移服务 · 升级服务 · 第 1 页" in text and "2025-07-01" in text
    assert "<details" not in text


def test_quoted_catalog_clauses_load_no_remote_image() -> None:
    from markdown_it import MarkdownIt

    poisoned = Answer(answer="包括。", catalog_version="2025-07-01", citations=[
        Citation(product="升级服务", category="升级服务", page=1, quote="上线切换。![x](http://evil.example/x.png)"),
        Citation(product="升级服务", category="升级服务", page=1, quote="![t] 与 ![y](//evil.example/y.png)"),
        Citation(product="升级服务", category="升级服务", page=1, quote="[t]: http://evil.example/r.png"),
    ])
    html = MarkdownIt("commonmark").render(chat_markdown(poisoned))
    assert "<img" not in html and "evil.example/x.png" in html
