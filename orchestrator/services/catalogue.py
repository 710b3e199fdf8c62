"""The catalogue: printable parts and the products assembled from them.

The reference parts come from `models/catalogue.toml` and their STL files; each start
inserts the missing ones and brings the others' figures in line with their file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from orchestrator.api.schemas import BomLinePublic, ProductPublic
from orchestrator.database.tables import BomLine, Part, Product
from orchestrator.domain.errors import NotFound
from orchestrator.domain.vocabulary import Item
from orchestrator.parts.analysis import PartAnalysis, analyse
from orchestrator.parts.catalogue import CatalogueEntry, CatalogueError, load_catalogue

# The package is installed editable, so the repository's models/ sits two levels up.
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"

# visor = 1 headband + 1 film sheet + 1 elastic; the reinforced variant adds the bottom
# reinforcement; an AMICROCHE is one printed hook.
REFERENCE_PRODUCTS: dict[str, tuple[Item, str, str, dict[Item, int]]] = {
    "visor": (
        Item.VISOR,
        "Visière de protection",
        "Face-shield visor",
        {Item.HEADBAND: 1, Item.FILM_SHEET: 1, Item.ELASTIC: 1},
    ),
    "visor-reinforced": (
        Item.VISOR,
        "Visière de protection renforcée",
        "Reinforced face-shield visor",
        {Item.HEADBAND: 1, Item.FILM_SHEET: 1, Item.ELASTIC: 1, Item.REINFORCEMENT: 1},
    ),
    "amicroche": (
        Item.AMICROCHE,
        "AMICROCHE (crochet d'hygiène)",
        "AMICROCHE hygiene hook",
        {Item.AMICROCHE: 1},
    ),
}

# Seeding runs before every test and at every start: a file is analysed once per process
# for as long as its size and modification time stay the same.
_ANALYSES: dict[tuple[str, int, int], PartAnalysis] = {}


def analysed(path: Path) -> PartAnalysis:
    """`analyse(path)`, remembered per process while the file is unchanged."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _ANALYSES:
        _ANALYSES[key] = analyse(path)
    return _ANALYSES[key]


def reference_part_fields(entry: CatalogueEntry, models_dir: Path) -> dict[str, Any]:
    """The columns of a reference part's row, from its catalogue entry and its STL file."""
    path = (models_dir / entry.file).resolve()
    analysis = analysed(path)
    if analysis.sha256 != entry.sha256:
        raise CatalogueError(
            f"{path} does not match the sha256 in {models_dir / 'catalogue.toml'}; run "
            "`python -m orchestrator.parts.generate` to regenerate both."
        )
    x, y, z = analysis.size_mm
    return {
        "key": entry.key,
        "name_fr": entry.name_fr,
        "name_en": entry.name_en,
        "material": entry.material,
        "other_materials": ",".join(entry.other_materials),
        "bom_role": Item(entry.bom_role),
        "orientation": entry.orientation,
        "stl_path": str(path),
        "stl_sha256": analysis.sha256,
        "volume_mm3": analysis.volume_mm3,
        "grams": analysis.grams_by_material[entry.material],
        "size_x_mm": x,
        "size_y_mm": y,
        "size_z_mm": z,
    }


def seed_catalogue(*, session: Session, models_dir: Path = MODELS_DIR) -> None:
    """Insert the reference parts and products that are missing, and refresh the reference
    parts' rows from `models_dir`. Safe to run at every start.

    Raises CatalogueError when the catalogue or one of its STL files cannot be used.
    """
    entries = load_catalogue(models_dir)
    keys = [entry.key for entry in entries]
    existing = {p.key: p for p in session.exec(select(Part).where(col(Part.key).in_(keys)))}
    for entry in entries:
        fields = reference_part_fields(entry, models_dir)
        part = existing.get(entry.key)
        if part is None:
            session.add(Part(**fields))
        elif any(getattr(part, name) != value for name, value in fields.items()):
            # The generated file is the reference: a regenerated part updates its row.
            part.sqlmodel_update(fields)
            session.add(part)
    products = {p.key for p in session.exec(select(Product))}
    for key, (item, name_fr, name_en, bom) in REFERENCE_PRODUCTS.items():
        if key in products:
            continue
        product = Product(key=key, item=item, name_fr=name_fr, name_en=name_en)
        session.add(product)
        session.flush()
        assert product.id is not None
        for line_item, quantity in bom.items():
            session.add(BomLine(product_id=product.id, item=line_item, quantity=quantity))
    session.flush()


def product_by_key(*, session: Session, key: str) -> Product:
    product = session.exec(select(Product).where(Product.key == key)).first()
    if product is None:
        known = ", ".join(sorted(p.key for p in session.exec(select(Product))))
        raise NotFound(
            f"Product '{key}' does not exist. Known products: {known}.",
            code="product_not_found",
            product=key,
            known=known,
        )
    return product


def bom_of(*, session: Session, product: Product) -> list[tuple[Item, int]]:
    lines = session.exec(select(BomLine).where(BomLine.product_id == product.id))
    return [(Item(line.item), line.quantity) for line in lines]


def product_public(*, session: Session, product: Product) -> ProductPublic:
    bom = [
        BomLinePublic(item=item, quantity=qty)
        for item, qty in bom_of(session=session, product=product)
    ]
    return ProductPublic.model_validate(product, update={"bom": bom})


def list_products(*, session: Session) -> list[ProductPublic]:
    products = session.exec(select(Product).order_by(Product.id))  # type: ignore[arg-type]
    return [product_public(session=session, product=product) for product in products]


def list_parts(*, session: Session) -> list[Part]:
    return list(session.exec(select(Part).order_by(Part.id)))  # type: ignore[arg-type]


def part_by_key(*, session: Session, key: str) -> Part:
    part = session.exec(select(Part).where(Part.key == key)).first()
    if part is None:
        raise NotFound(f"Part '{key}' does not exist.", code="part_key_not_found", key=key)
    return part
