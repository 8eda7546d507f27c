"""The fixed vocabulary of tags, with names in every language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

REGION_NAMES = {
    "mx-gt": _l("Mexico–Guatemala"),
    "ec-co": _l("Ecuador–Colombia"),
    "pe-co": _l("Peru–Colombia (Putumayo and Amazon)"),
    "pe-cl": _l("Peru–Chile (Tacna–Arica)"),
}
VALUE_CHAIN_NAMES = {
    "smart-agriculture": _l("Smart agriculture and IT services"),
    "tourism": _l("Tourism"),
    "cocoa": _l("Fine flavour cocoa"),
    "fish-farming": _l("Fish farming"),
    "energy": _l("Energy"),
}
TOPIC_NAMES = {
    "cross-border-cooperation": _l("Cross-border cooperation"),
    "smart-specialisation": _l("Smart specialisation"),
    "value-chains": _l("Value chains"),
    "governance": _l("Governance"),
    "strategy": _l("Strategy"),
    "funding": _l("Funding and projects"),
    "innovation": _l("Innovation"),
}
SDG_RANGE = range(1, 18)

TAG_KINDS = {
    "topics": TOPIC_NAMES,
    "regions": REGION_NAMES,
    "value_chains": VALUE_CHAIN_NAMES,
}


def sdg_name(number: int) -> str:
    return str(_l("SDG %(number)d", number=number))


def tag_label(kind: str, code: str) -> str:
    if kind == "sdgs":
        return sdg_name(int(code))
    return str(TAG_KINDS.get(kind, {}).get(code, code))
