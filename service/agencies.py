"""International bodies named in an article as taking part: found deterministically.

Small models drop Europol or Eurojust from a list that also holds a national police force.
These bodies have fixed names (service/lexicon/bodies.toml), so a sentence that names one
together with a verb of taking part ("supervised", "coordinated", "supported") is enough to
list it, with the role the verb gives.
"""

from __future__ import annotations

import re
from functools import cache

from service import lexicon
from service.article import Article
from service.schema import Agency, Role

__all__ = ["international_bodies"]


@cache
def _role_verbs() -> tuple[tuple[Role, re.Pattern[str]], ...]:
    """(role, verbs) from the strongest role to the weakest."""
    verbs = lexicon.mapping("bodies", "role_verbs")
    return tuple(
        (Role(role), re.compile(lexicon.alternation(verbs[role].split("|")), re.IGNORECASE))
        for role in ("coordinator", "lead", "supporter", "participant")
    )


def international_bodies(article: Article | str) -> list[Agency]:
    """Each international body that a sentence names with a verb of taking part.

    Its role is the strongest any such sentence gives (coordinator, lead, supporter, participant).
    """
    if isinstance(article, str):
        article = Article.from_text(article)
    roles = _role_verbs()
    rank = {role: i for i, (role, _) in enumerate(roles)}
    found: dict[str, Role] = {}
    for cand in article.entities.agencies:
        if cand.kind != "international" or article.in_injection(cand.start, cand.end):
            continue
        s, e = article.sentence_of(cand.start, cand.end)
        sentence = article.text[s:e]
        for role, verbs in roles:
            if verbs.search(sentence):
                if cand.name not in found or rank[role] < rank[found[cand.name]]:
                    found[cand.name] = role
                break
    return [Agency(name=name, country=None, role=role) for name, role in found.items()]
