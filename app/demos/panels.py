"""What the demos feature adds to another feature's page: the experiments linked to a question."""

from __future__ import annotations

from models import catalog


def demos_for_question(public_id: str, lang: str) -> list[dict[str, str]]:
    """The experiments that illustrate a question, for the question page's panel."""
    return [
        {
            "slug": exp.slug,
            "title": exp.title(lang),
            "summary": exp.summary(lang),
            "url": f"/demos/{exp.slug}",
            "look": exp.look(public_id, lang),
        }
        for exp in catalog.EXPERIMENTS.values()
        if public_id in exp.questions
    ]
