"""Appeal letters: templates/appeal_letter.html (jinja2, autoescaped) -> PDF with fpdf2
(pure Python, no system libraries). The PDF holds PHI and is stored sealed."""

from __future__ import annotations

from pathlib import Path

import jinja2
from fpdf import FPDF

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
_env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                          undefined=jinja2.StrictUndefined)


def _latin1(value: object) -> object:
    """The core PDF fonts are Latin-1: transliterate the rest rather than fail."""
    if isinstance(value, str):
        return value.encode("latin-1", "replace").decode("latin-1")
    if isinstance(value, list):
        return [_latin1(v) for v in value]
    return value


def render_html(context: dict) -> str:
    return _env.get_template("appeal_letter.html").render(**{k: _latin1(v) for k, v in context.items()})


def render_pdf(context: dict) -> bytes:
    pdf = FPDF(format="Letter")
    pdf.set_creator("agency")
    pdf.set_title("Appeal")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.write_html(render_html(context))
    return bytes(pdf.output())
