"""Turn a bot Answer into what each surface shows: chat Markdown and a plain copyable text.

Answer text passes through `safe_markdown` and quoted catalog text through `escape_markdown` here, so the
surfaces never render raw text.
The bot's own answer already names the source and, when it abstains, the support contact; the surfaces
add the verbatim quoted clauses.
"""
from __future__ import annotations

from bot.models import Answer, Citation
from bot.surfaces.sanitize import escape_markdown, escape_markup, safe_markdown


def citation_label(citation: Citation) -> str:
    return f"{citation.product} · {citation.category} · 第 {citation.page} 页 (p. {citation.page})"


def chat_markdown(answer: Answer) -> str:
    """Answer Markdown followed by one collapsible block per cited entry, quoting the clause."""
    parts = [safe_markdown(answer.answer)]
    if answer.citations:
        parts.append("\n\n**引用原文 Quoted from the catalog**")
    for citation in answer.citations:
        parts.append(
            f"\n<details class=\"kb-citation\"><summary>{escape_markup(citation_label(citation))}</summary>"
            f"\n\n> {escape_markdown(citation.quote)}\n\n</details>"
        )
    return "".join(parts)


def copyable_answer(answer: Answer) -> str:
    """Plain text a support agent pastes into an e-mail or ticket, quotes and edition included."""
    lines = [answer.answer.strip()]
    if answer.citations:
        lines += ["", "引用原文 Quoted from the catalog:"]
        lines += [f"- {citation_label(c)}：「{c.quote}」" for c in answer.citations]
        lines.append(f"（《专项服务产品清单》{answer.catalog_version} 版）")
    return "\n".join(lines)
