"""docs/model.md's generated tables match the data the code runs on."""

from mscabm.biology.celltypes import CELL_TYPES
from mscabm.biology.rules import DEFAULT_RULES
from mscabm.modeldoc import DOC, render, splice


def test_model_doc_is_up_to_date():
    text = DOC.read_text(encoding="utf-8")
    assert splice(text, render()) == text, "docs/model.md is stale: run `python -m mscabm.modeldoc --write`"


def test_every_rule_and_cell_type_is_documented_with_a_source():
    table = render()
    for name, rule in DEFAULT_RULES.items():
        assert f"| {name} |" in table
        assert rule["source"], f"rule {name} has no source"
    for t in CELL_TYPES.values():
        assert f"| {t.name} |" in table and t.source
