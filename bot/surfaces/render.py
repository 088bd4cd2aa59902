"""Turn a bot Answer into what each surface shows: chat Markdown, a plain copyable text, API content.

All catalog and answer text passes through `safe_markdown` here, so the surfaces never render raw text.
"""
from __future__ import annotations

from bot.models import Answer, Citation
from bot.surfaces.sanitize import escape_markup, safe_markdown


def citation_label(citation: Citation) -> str:
    return f"{citation.product} · {citation.category} · 第 {citation.page} 页 (p. {citation.page})"


def support_note(contact: str) -> str:
    return f"如需进一步帮助，请联系 For further help, please contact: {contact}"


def answer_text(answer: Answer, contact: str) -> str:
    """The answer as the customer reads it: an abstention always says whom to ask instead."""
    if answer.abstained:
        return f"{answer.answer}\n\n{support_note(contact)}"
    return answer.answer


def chat_markdown(answer: Answer, contact: str) -> str:
    """Answer Markdown followed by one collapsible block per cited entry, quoting the clause."""
    parts = [safe_markdown(answer_text(answer, contact))]
    if answer.citations:
        parts.append("\n\n**来源 Sources**")
    for citation in answer.citations:
        parts.append(
            f"\n<details class=\"kb-citation\"><summary>出处 Source: {escape_markup(citation_label(citation))}</summary>"
            f"\n\n> {safe_markdown(citation.quote)}\n\n</details>"
        )
    return "".join(parts)


def copyable_answer(answer: Answer, contact: str) -> str:
    """Plain text a support agent pastes into an e-mail or ticket, sources included."""
    lines = [answer_text(answer, contact).strip()]
    if answer.citations:
        lines.append("")
        lines.append("来源 Sources:")
        for citation in answer.citations:
            lines.append(f"- {citation_label(citation)}：「{citation.quote}」")
        lines.append(f"（《专项服务产品清单》{answer.catalog_version} 版）")
    return "\n".join(lines)
