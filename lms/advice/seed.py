"""The programme's queues, created by `flask lms seed-queues` (idempotent:
a rerun adds what is missing and changes nothing an admin edited)."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.advice.models import AdviceQueue
from lms.extensions import db

# slug, {language: name}, {language: description}, first response hours, resolution hours
QUEUES = (
    ("cross-border-governance",
     {"es": "Gobernanza transfronteriza", "en": "Cross-border governance"},
     {"es": "Comités de frontera, acuerdos binacionales y gobernanza multinivel.",
      "en": "Border committees, binational agreements and multi-level governance."}, 48, 240),
    ("smart-specialisation",
     {"es": "Especialización inteligente (RIS3)", "en": "Smart specialisation (S3)"},
     {"es": "Análisis, priorización y descubrimiento emprendedor en regiones de frontera.",
      "en": "Analysis, priority setting and entrepreneurial discovery in border regions."}, 48, 240),
    ("value-chain-cocoa",
     {"es": "Cadena de valor: cacao fino de aroma", "en": "Value chain: fine flavour cocoa"},
     {"es": "Producción, calidad, comercio y promoción binacional del cacao.",
      "en": "Production, quality, trade and binational promotion of cocoa."}, 48, 240),
    ("value-chain-tourism",
     {"es": "Cadena de valor: turismo", "en": "Value chain: tourism"},
     {"es": "Productos turísticos binacionales, turismo de aventura y naturaleza.",
      "en": "Binational tourism products, adventure and nature tourism."}, 48, 240),
    ("value-chain-smart-agriculture",
     {"es": "Cadena de valor: agricultura inteligente", "en": "Value chain: smart agriculture"},
     {"es": "Agricultura inteligente y servicios de tecnologías de la información relacionados.",
      "en": "Smart agriculture and related IT services."}, 48, 240),
    ("value-chain-fish-farming",
     {"es": "Cadena de valor: piscicultura", "en": "Value chain: fish farming"},
     {"es": "Acuicultura y piscicultura en las regiones de frontera.",
      "en": "Aquaculture and fish farming in the border regions."}, 48, 240),
    ("value-chain-energy",
     {"es": "Cadena de valor: energía", "en": "Value chain: energy"},
     {"es": "Energía sostenible y servicios energéticos.",
      "en": "Sustainable energy and energy services."}, 48, 240),
    ("funding-projects",
     {"es": "Financiación y prospecto de proyectos", "en": "Funding and project prospectus"},
     {"es": "Planes de acción, proyectos piloto y prospectos para atraer financiación.",
      "en": "Action plans, pilot projects and prospectuses that attract funding."}, 72, 336),
)


def seed_queues() -> tuple[int, int]:
    """Create the missing queues; returns (created, already there)."""
    existing = set(db.session.scalars(select(AdviceQueue.slug)))
    position = db.session.scalar(select(func.max(AdviceQueue.position))) or 0
    created = 0
    for slug, names, descriptions, first, resolution in QUEUES:
        if slug in existing:
            continue
        position += 1
        db.session.add(AdviceQueue(
            slug=slug, names=dict(names), descriptions=dict(descriptions), first_response_hours=first,
            resolution_hours=resolution, position=position))
        created += 1
    db.session.commit()
    return created, len(QUEUES) - created
