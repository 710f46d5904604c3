"""docs/configuration.md is generated from `Settings`: it fails here when the two differ."""

from __future__ import annotations

from functions.core.settings import Settings
from tests.core.test_cli import run as run_cli
from tests.paths import ROOT

DOC = ROOT / "docs" / "configuration.md"


def generated() -> str:
    done = run_cli("settings-doc")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_committed_configuration_doc_is_the_generated_one() -> None:
    assert DOC.read_text("utf-8") == generated(), (
        "docs/configuration.md differs from Settings: run "
        "`.venv/bin/python -m functions settings-doc > docs/configuration.md`"
    )


def test_every_setting_is_described_and_listed_by_its_variables() -> None:
    text = DOC.read_text("utf-8")
    for name, field in Settings.model_fields.items():
        assert field.description, f"Settings.{name} has no description"
    assert "| `TABSCRIBE_CLIP_S` | `600` | number, ≥ 60 |" in text
    assert "| `GEMINI_API_KEY` or `TABSCRIBE_GEMINI_API_KEY` | empty |" in text
    assert "| `TABSCRIBE_GEMINI_MODE` | `vertex` | `vertex` \\| `developer` |" in text
    assert text.count("\n| `") == len(Settings.model_fields)
