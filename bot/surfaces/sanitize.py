"""Make question and answer text safe to render as Markdown in a browser.

Markup typed by a customer (or echoed back by a model) must show as text and run nothing, and no
text may make the page fetch a remote image (a tracking pixel or a data leak through the URL).
"""
from __future__ import annotations

import re

# ![alt](http://…) / ![alt](//…) / ![alt](<http://…>): inline images pointing off-site.
_REMOTE_INLINE_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)[^)]*\)")
# ![alt][ref] and ![alt][]: reference-style images, whose URL is defined elsewhere in the text.
_REFERENCE_IMAGE = re.compile(r"!\[([^\]]*)\]\[[^\]]*\]")


def escape_markup(text: str) -> str:
    """Escape &, < and > so any HTML in the text is displayed, not interpreted."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def strip_remote_images(text: str) -> str:
    """Replace image syntax that would load a URL with its alt text."""
    text = _REMOTE_INLINE_IMAGE.sub(lambda m: f"[图片已移除 image removed: {m.group(1)}]", text)
    return _REFERENCE_IMAGE.sub(lambda m: f"[图片已移除 image removed: {m.group(1)}]", text)


def safe_markdown(text: str) -> str:
    """Text that may be rendered as Markdown without markup or remote fetches."""
    return strip_remote_images(escape_markup(text))
