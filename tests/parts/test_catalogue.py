"""The parts catalogue names the three reference parts, in French and English."""

from pathlib import Path

import pytest

from orchestrator.parts.catalogue import CatalogueError, load_catalogue


def test_catalogue_lists_the_three_parts_in_both_languages(models_dir: Path):
    entries = load_catalogue(models_dir)

    assert [e.key for e in entries] == ["headband", "reinforcement", "amicroche"]
    assert [e.bom_role for e in entries] == ["headband", "reinforcement", "amicroche"]
    assert all(e.name_fr and e.name_en and e.name_fr != e.name_en for e in entries)
    assert {e.key: e.material for e in entries}["headband"] == "PETG"
    assert all(e.orientation == "flat" and (models_dir / e.file).is_file() for e in entries)
    assert entries[0].parameters["height_mm"] == 20.0


def test_missing_catalogue_says_how_to_make_it(tmp_path: Path):
    with pytest.raises(CatalogueError, match=r"orchestrator\.parts\.generate"):
        load_catalogue(tmp_path)


def test_entry_pointing_outside_models_is_refused(models_dir: Path, tmp_path: Path):
    text = (models_dir / "catalogue.toml").read_text(encoding="utf-8")
    (tmp_path / "catalogue.toml").write_text(
        text.replace('file = "headband.stl"', 'file = "../headband.stl"'), encoding="utf-8"
    )

    with pytest.raises(CatalogueError, match="part 1 is invalid: file"):
        load_catalogue(tmp_path)
