"""The catalogue: printable parts and the products assembled from them."""

from __future__ import annotations

from sqlmodel import Session, select

from orchestrator.errors import NotFound
from orchestrator.tables import BomLine, BomLinePublic, Item, Part, Product, ProductPublic

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

REFERENCE_PARTS: dict[str, tuple[str, str, Item]] = {
    "headband": (
        "Serre-tête de visière (type Prusa RC3)",
        "Visor headband (Prusa RC3 style)",
        Item.HEADBAND,
    ),
    "reinforcement": (
        "Renfort inférieur de visière",
        "Visor bottom reinforcement",
        Item.REINFORCEMENT,
    ),
    "amicroche": ("Crochet AMICROCHE", "AMICROCHE hook", Item.AMICROCHE),
}


def seed_catalogue(*, session: Session) -> None:
    """Insert the reference parts and products that are missing. Safe to run every start."""
    for key, (name_fr, name_en, role) in REFERENCE_PARTS.items():
        if session.exec(select(Part).where(Part.key == key)).first() is None:
            session.add(Part(key=key, name_fr=name_fr, name_en=name_en, bom_role=role))
    for key, (item, name_fr, name_en, bom) in REFERENCE_PRODUCTS.items():
        if session.exec(select(Product).where(Product.key == key)).first() is not None:
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
        raise NotFound(f"Product '{key}' does not exist. Known products: {known}.")
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
        raise NotFound(f"Part '{key}' does not exist.")
    return part
