"""The printable PDF of a data management plan (fpdf2), with the same sections as the HTML export.

Text goes through the caller's gettext, so the PDF is in the language the page is rendered in.
DejaVu Sans (Debian ``fonts-dejavu-core``) is used when installed, for every character; without
it the built-in Helvetica is used and characters outside Latin-1 are replaced by close ones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fpdf import FPDF

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_LATIN1 = str.maketrans(
    {"—": "-", "–": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "\u202f": " "}
)


def _font(pdf: FPDF) -> tuple[str, bool]:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu", True
    return "Helvetica", False


def plan_pdf(
    plan: dict[str, Any],
    datasets: list[dict[str, Any]],
    gettext: Callable[[str], str],
    bytesize: Callable[[Any], str],
) -> bytes:
    """The plan as PDF bytes."""
    _ = gettext
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    family, unicode_ok = _font(pdf)

    def text(value: Any) -> str:
        out = "" if value is None else str(value)
        return out if unicode_ok else out.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")

    def heading(value: str, size: int = 14) -> None:
        pdf.set_font(family, "B", size)
        pdf.multi_cell(0, 8, text(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def para(value: Any) -> None:
        pdf.set_font(family, "", 10)
        pdf.multi_cell(0, 5, text(value), new_x="LMARGIN", new_y="NEXT")

    def field(label: str, value: Any) -> None:
        if value in (None, "", []):
            return
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        pdf.set_font(family, "B", 10)
        pdf.multi_cell(0, 5, text(label), new_x="LMARGIN", new_y="NEXT")
        para(value)

    def ident(obj: Any) -> str:
        if isinstance(obj, list):
            return ", ".join(ident(o) for o in obj)
        if isinstance(obj, dict):
            return f"{obj.get('identifier', '')} ({obj.get('type', '')})"
        return ""

    yes_no = {"yes": _("yes"), "no": _("no"), "unknown": _("unknown")}
    access = {"open": _("open"), "shared": _("shared on request"), "closed": _("closed")}

    heading(plan.get("title", ""), 18)
    para(
        _("Data management plan (RDA DMP Common Standard)")
        + " · "
        + _("state of %(date)s") % {"date": plan.get("modified", "")}
    )
    pdf.ln(3)
    heading(_("General information"))
    field(_("Description"), plan.get("description"))
    field(_("Language"), plan.get("language"))
    field(_("Identifier"), ident(plan.get("dmp_id")))
    field(_("Created"), plan.get("created"))
    field(_("Last modified"), plan.get("modified"))
    contact = plan.get("contact") or {}
    field(
        _("Contact"),
        f"{contact.get('name', '')} <{contact.get('mbox', '')}> {ident(contact.get('contact_id'))}",
    )
    if plan.get("contributor"):
        heading(_("Contributors"))
        for c in plan["contributor"]:
            roles = ", ".join(c.get("role") or [])
            para(f"• {c.get('name', '')} — {roles} {ident(c.get('contributor_id'))}")
    if plan.get("project"):
        heading(_("Projects and funding"))
        for p in plan["project"]:
            field(p.get("title", ""), f"{p.get('start', '…')} – {p.get('end', '…')}")
            if p.get("description"):
                para(p["description"])
            for f in p.get("funding") or []:
                grant = ident(f.get("grant_id"))
                para(
                    f"{_('Funder')}: {f.get('funder_name', '')} {ident(f.get('funder_id'))}"
                    + (f" · {_('Grant')}: {grant}" if grant else "")
                )
    heading(_("Ethical issues"))
    para(_("Ethical issues exist:") + " " + yes_no.get(plan.get("ethical_issues_exist"), ""))
    if plan.get("ethical_issues_description"):
        para(plan["ethical_issues_description"])
    heading(_("Datasets"))
    for index, d in enumerate(plan.get("dataset") or []):
        heading(d.get("title", ""), 12)
        if d.get("description"):
            para(d["description"])
        field(_("Identifier"), ident(d.get("dataset_id")))
        field(_("Type"), d.get("type"))
        field(_("Issued"), d.get("issued"))
        field(_("Personal data"), yes_no.get(d.get("personal_data"), ""))
        field(_("Sensitive data"), yes_no.get(d.get("sensitive_data"), ""))
        field(_("Keywords"), d.get("keyword"))
        field(_("Data quality assurance"), " ".join(d.get("data_quality_assurance") or []))
        field(_("Preservation"), d.get("preservation_statement"))
        for dist in d.get("distribution") or []:
            field(_("Distribution:"), dist.get("title"))
            field(_("Access"), access.get(dist.get("data_access"), ""))
            host = dist.get("host") or {}
            if host:
                field(_("Repository"), f"{host.get('title', '')} ({host.get('url', '')})")
            for lic in dist.get("license") or []:
                field(
                    _("Licence"),
                    f"{lic.get('license_ref', '')} "
                    + _("from %(date)s") % {"date": lic.get("start_date", "")},
                )
            if "byte_size" in dist:
                field(_("Size"), bytesize(dist["byte_size"]))
            field(_("Formats"), dist.get("format"))
        deposit = (datasets[index] if index < len(datasets) else {}).get("deposit")
        if deposit:
            state = deposit.get("state", "")
            field(_("Deposit:"), state + (f" · DOI {deposit['doi']}" if deposit.get("doi") else ""))
        pdf.ln(2)
    return bytes(pdf.output())
