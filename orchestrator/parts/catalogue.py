"""The parts catalogue: `models/catalogue.toml` and the typed entries read from it.

The catalogue is written by `python -m orchestrator.parts.generate`; this module only reads
and checks it, so the service never trusts a hand-edited file it cannot use.
"""

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from orchestrator.parts.materials import Material

CATALOGUE_FILE_NAME = "catalogue.toml"

BomRole = Literal["headband", "reinforcement", "amicroche"]
Orientation = Literal["flat"]


class CatalogueError(Exception):
    """The catalogue cannot be read; the message says which file or entry and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CatalogueEntry(BaseModel):
    """One printable part: what it is called, how to print it and what it adds to the ledger."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_fr: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    material: Material  # the preferred one
    other_materials: tuple[Material, ...] = ()  # it may also be printed in these, by preference
    bom_role: BomRole
    orientation: Orientation
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    parameters: dict[str, float]

    @field_validator("other_materials")
    @classmethod
    def _each_material_once(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("names a material twice")
        return value

    @model_validator(mode="after")
    def _preferred_not_repeated(self) -> "CatalogueEntry":
        if self.material in self.other_materials:
            raise ValueError(f"other_materials repeats the preferred material {self.material}")
        return self

    @field_validator("file")
    @classmethod
    def _plain_stl_file_name(cls, value: str) -> str:
        # A bare name keeps every part inside models/, whatever the catalogue says.
        if Path(value).name != value or not value.endswith(".stl") or value.startswith("."):
            raise ValueError("must be a plain file name ending in .stl")
        return value


def load_catalogue(models_dir: Path) -> list[CatalogueEntry]:
    """Read and check `models_dir/catalogue.toml`, in file order.

    Raises CatalogueError when the file is missing or malformed, an entry is invalid, two
    entries share a key, or an entry names an STL file that is not in `models_dir`.
    """
    path = models_dir / CATALOGUE_FILE_NAME
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise CatalogueError(
            f"{path} does not exist; run `python -m orchestrator.parts.generate` to create it."
        ) from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CatalogueError(f"{path} is not valid TOML ({error}); regenerate it.") from error

    raw_parts = document.get("part", [])
    if not isinstance(raw_parts, list) or not raw_parts:
        raise CatalogueError(f"{path} lists no [[part]] entries; regenerate it.")

    entries: list[CatalogueEntry] = []
    for position, raw in enumerate(raw_parts, start=1):
        try:
            entry = CatalogueEntry.model_validate(raw)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
            )
            raise CatalogueError(f"{path}, part {position} is invalid: {problems}.") from error
        if any(existing.key == entry.key for existing in entries):
            raise CatalogueError(f"{path} lists the part key {entry.key!r} twice.")
        if not (models_dir / entry.file).is_file():
            raise CatalogueError(
                f"{path} names {entry.file!r} for {entry.key!r}, but that file is missing."
            )
        entries.append(entry)
    return entries
