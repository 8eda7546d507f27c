from __future__ import annotations

from flask import render_template

from lms.glossary import bp, service


@bp.route("/")
def index():
    terms = service.all_terms()
    return render_template("glossary/index.html", terms=terms, letters=service.by_letter(terms))
