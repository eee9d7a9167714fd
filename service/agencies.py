"""International bodies named in an article as taking part: found deterministically.

Small models drop Europol or Eurojust from a list that also holds a national police force.
These bodies have fixed names, so a sentence that names one together with a verb of taking
part ("supervised", "coordinated", "supported") is enough to list it, with the role the verb
gives.
"""

from __future__ import annotations

import re

from service.schema import Agency, Role

__all__ = ["international_bodies"]

_BODIES = {
    "Europol": r"Europol",
    "Eurojust": r"Eurojust",
    "INTERPOL": r"INTERPOL|Interpol",
    "European Public Prosecutor's Office": r"European Public Prosecutor[’']s Office|EPPO",
    "Frontex": r"Frontex",
    "World Customs Organization": r"World Customs Organi[sz]ation",
    "UNODC": r"UNODC",
}
_ROLE_VERBS = [
    (Role.coordinator, r"coordinat|supervis|organi[sz]ed|orchestrat"),
    (Role.lead, r"\bled\b|\bleads\b|\bleading\b|spearhead"),
    (Role.supporter, r"support|assist|facilitat|help|provid|deploy|analys|funded"),
    (Role.participant, r"took part|taking part|participat|joined|involv|cooperat|collaborat|partner"),
]
_SENTENCES = re.compile(r"[^.!?\n]+[.!?]?")


def international_bodies(article: str) -> list[Agency]:
    """Each international body that a sentence names with a verb of taking part.

    Its role is the strongest any such sentence gives (coordinator, lead, supporter, participant).
    """
    rank = {role: i for i, (role, _) in enumerate(_ROLE_VERBS)}
    found: dict[str, Role] = {}
    for sentence in _SENTENCES.findall(article):
        for name, pattern in _BODIES.items():
            if not re.search(rf"\b(?:{pattern})\b", sentence):
                continue
            for role, verbs in _ROLE_VERBS:
                if re.search(verbs, sentence, re.IGNORECASE):
                    if name not in found or rank[role] < rank[found[name]]:
                        found[name] = role
                    break
    return [Agency(name=name, country=None, role=role) for name, role in found.items()]
