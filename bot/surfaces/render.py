"""Turn a bot Answer into what each surface shows: chat Markdown and a plain copyable text.

Answer text passes through `safe_markdown` and quoted catalog text through `escape_markdown` (or, inside an
HTML summary line, `escape_markup`) here, so the surfaces never render raw text. The answer's [n] markers
refer to its citations in order: under the answer, one collapsed card per [n] with product · category ·
page and the quote (a one-line preview while collapsed, the whole clause when opened).
"""
from __future__ import annotations

from bot.models import Answer, Citation
from bot.surfaces.sanitize import escape_markdown, escape_markup, safe_markdown


def citation_label(citation: Citation) -> str:
    return f"{citation.product} · {citation.category} · 第 {citation.page} 页 (p. {citation.page})"


def citation_card(number: int, citation: Citation) -> str:
    """One collapsed card: "[n] product · category · page" and the quote's opening; opened, the quote."""
    preview = escape_markup(" ".join(citation.quote.split()))
    return (f"\n<details class=\"kb-citation\"><summary><span class=\"kb-cite-number\">[{number}]</span> "
            f"<span class=\"kb-cite-source\">{escape_markup(citation_label(citation))}</span>"
            f"<span class=\"kb-cite-preview\">{preview}</span></summary>"
            f"\n\n> {escape_markdown(citation.quote)}\n\n</details>")


def chat_markdown(answer: Answer) -> str:
    """Answer Markdown followed by its citation cards, one per [n], in [n] order."""
    parts = [safe_markdown(answer.answer)]
    if answer.citations:
        parts.append("\n\n<div class=\"kb-cite-heading\">引用原文 Sources</div>\n")
    parts += [citation_card(number, citation) for number, citation in enumerate(answer.citations, 1)]
    return "".join(parts)


def copyable_answer(answer: Answer) -> str:
    """Plain text a support agent pastes into an e-mail or ticket, quotes and edition included."""
    lines = [answer.answer.strip()]
    if answer.citations:
        lines += ["", "引用原文 Quoted from the catalog:"]
        lines += [f"[{n}] {citation_label(c)}：「{c.quote}」" for n, c in enumerate(answer.citations, 1)]
        lines.append(f"（《专项服务产品清单》{answer.catalog_version} 版）")
    return "\n".join(lines)
