"""Batch labels and the public page their QR code opens.

A label is stuck on each box of a batch. A carer holding a visor can scan it to see what
the batch is, when it was disinfected and whether it is still safe to use (a batch on hold
says so), and report a defect. The page is public, so it shows the goods and never a
person: no maker, no centre, no address.

The sheet is an A4 PDF drawn with fpdf2's core fonts (no font file to ship) and the QR
code drawn as filled squares from segno's matrix, so it prints sharp at any size.
"""

from __future__ import annotations

from datetime import datetime

import segno
from fpdf import FPDF
from sqlalchemy import func
from sqlmodel import Session, col, select

from orchestrator.api.schemas import BatchStatus, PublicBatch
from orchestrator.database.tables import Batch, Movement, Product
from orchestrator.domain.errors import NotFound
from orchestrator.domain.vocabulary import DisinfectionMethod, Item, Stage
from orchestrator.services import defects
from orchestrator.services.local_days import local_timezone

# A4 in millimetres, ten labels of 100 x 55 mm (two columns, five rows): the size of
# common A4 label sheets, and large enough for a QR code a phone reads at arm's length.
PAGE_MM = (210.0, 297.0)
COLUMNS, ROWS = 2, 5
LABEL_MM = (100.0, 55.0)
QR_MM = 42.0
LABELS_PER_SHEET = COLUMNS * ROWS

METHOD_NAMES = {
    "fr": {
        DisinfectionMethod.ALCOHOL_70: "alcool à 70 %",
        DisinfectionMethod.BLEACH: "eau de Javel",
        DisinfectionMethod.QUATERNARY_AMMONIUM: "ammonium quaternaire",
        DisinfectionMethod.UV: "ultraviolets",
        DisinfectionMethod.HEAT: "chaleur",
    },
    "en": {
        DisinfectionMethod.ALCOHOL_70: "70% alcohol",
        DisinfectionMethod.BLEACH: "bleach",
        DisinfectionMethod.QUATERNARY_AMMONIUM: "quaternary ammonium",
        DisinfectionMethod.UV: "ultraviolet",
        DisinfectionMethod.HEAT: "heat",
    },
}


def local_date(moment: datetime | None) -> str:
    """20/04/2020, the way French labels write a date."""
    return moment.astimezone(local_timezone()).strftime("%d/%m/%Y") if moment else ""


def public_url_of(batch: Batch, public_url: str) -> str:
    """The address the label's QR code names."""
    return f"{public_url.rstrip('/')}/b/{batch.public_token}"


# --- the public page's facts ----------------------------------------------------------


def batch_by_token(*, session: Session, token: str) -> Batch:
    batch = session.exec(select(Batch).where(Batch.public_token == token)).first()
    if batch is None:
        raise NotFound("No batch has this label.", code="label_unknown")
    return batch


def goods_by_stage(session: Session, batch: Batch, item: Item) -> dict[Stage, int]:
    rows = session.exec(
        select(Movement.stage, func.sum(Movement.delta))
        .where(Movement.batch_id == batch.id, Movement.item == item)
        .group_by(col(Movement.stage))
    )
    return {Stage(stage): int(total) for stage, total in rows}


def batch_status(session: Session, batch: Batch, item: Item) -> BatchStatus:
    """On hold when any of its goods are in quarantine or an active hold reaches it (a
    recall: its goods were delivered before), whatever the rest; else where its goods are."""
    stages = goods_by_stage(session, batch, item)
    if stages.get(Stage.QUARANTINED, 0) > 0 or batch.id in defects.held_batches(
        session, active_only=True
    ):
        return BatchStatus.ON_HOLD
    delivered = stages.get(Stage.DELIVERED, 0)
    if delivered >= batch.quantity:
        return BatchStatus.DELIVERED
    if delivered > 0:
        return BatchStatus.PARTLY_DELIVERED
    if batch.disinfected_at is None:
        return BatchStatus.IN_PROGRESS
    return BatchStatus.IN_STOCK


def public_batch(*, session: Session, batch: Batch) -> PublicBatch:
    product = session.get(Product, batch.product_id)
    assert product is not None
    assert batch.id is not None
    return PublicBatch(
        batch_id=batch.id,
        product_key=product.key,
        product_name_fr=product.name_fr or product.key,
        product_name_en=product.name_en or product.key,
        quantity=batch.quantity,
        assembled_at=batch.assembled_at,
        disinfected_at=batch.disinfected_at,
        disinfection_method=batch.disinfection_method,
        status=batch_status(session, batch, Item(product.item)),
    )


# --- the label sheet ------------------------------------------------------------------


def latin1(text: str) -> str:
    """fpdf2's core fonts cover Latin-1, which French needs; anything else prints as '?'
    rather than failing the whole sheet."""
    return text.encode("latin-1", "replace").decode("latin-1")


def label_lines(facts: PublicBatch) -> list[tuple[str, float, str]]:
    """The label's text, top to bottom, in French: (style, size, text)."""
    method = (
        METHOD_NAMES["fr"].get(facts.disinfection_method, facts.disinfection_method)
        if facts.disinfection_method
        else None
    )
    disinfected = (
        [("", 9, f"Désinfecté le {local_date(facts.disinfected_at)}"), ("", 9, f"({method})")]
        if facts.disinfected_at
        else [("B", 9, "Pas encore désinfecté")]
    )
    return [
        ("B", 15, f"Lot n° {facts.batch_id}"),
        ("B", 10, facts.product_name_fr),
        ("", 9, f"Quantité du lot : {facts.quantity}"),
        ("", 9, f"Assemblé le {local_date(facts.assembled_at)}"),
        *disinfected,
    ]


def draw_qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code as filled squares, one run of dark modules per rectangle, with the
    quiet zone of four modules that readers need."""
    qr = segno.make(url, error="m", micro=False)
    rows = [list(row) for row in qr.matrix]
    modules = len(rows) + 8
    step = size / modules
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + (start + 4) * step, y + (r + 4) * step, (c - start) * step, step, "F")


def draw_label(pdf: FPDF, facts: PublicBatch, url: str, x: float, y: float) -> None:
    width, height = LABEL_MM
    pdf.set_draw_color(190, 190, 190)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, width, height)  # where to cut
    draw_qr(pdf, url, x + 2, y + (height - QR_MM) / 2, QR_MM)
    text_x = x + QR_MM + 4
    text_width = width - QR_MM - 6
    pdf.set_xy(text_x, y + 5)
    for style, size, text in label_lines(facts):
        pdf.set_font("Helvetica", style, size)
        pdf.set_x(text_x)
        pdf.multi_cell(text_width, size * 0.45, latin1(text))
    pdf.set_font("Helvetica", "", 7)
    pdf.set_xy(text_x, y + height - 9)
    pdf.multi_cell(text_width, 3.2, latin1("Scannez : état du lot, signaler un défaut"))


def label_sheet_pdf(*, session: Session, batch: Batch, public_url: str) -> bytes:
    """One A4 sheet of identical labels for the batch's boxes."""
    facts = public_batch(session=session, batch=batch)
    url = public_url_of(batch, public_url)
    pdf = FPDF(unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_title(latin1(f"Étiquettes du lot n° {facts.batch_id}"))
    pdf.set_creator("makerline")
    pdf.add_page()
    left = (PAGE_MM[0] - COLUMNS * LABEL_MM[0]) / 2
    top = (PAGE_MM[1] - ROWS * LABEL_MM[1]) / 2
    for row in range(ROWS):
        for column in range(COLUMNS):
            draw_label(pdf, facts, url, left + column * LABEL_MM[0], top + row * LABEL_MM[1])
    return bytes(pdf.output())
