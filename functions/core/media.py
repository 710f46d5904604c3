"""What an upload may be, for the transcriber that reads it and the function that lets it in."""

from __future__ import annotations

from functions.core.catalog import catalog

# The smaller of the two modes' object limits (the catalog's `object_bytes`: Vertex reads gs://
# objects up to 2 GiB - 500 KiB, the Files API takes 2 GB), so an upload fits either mode.
MAX_MEDIA_BYTES = min(catalog().object_bytes.values())

# Uploader context accepted from object metadata, and the cap on each value (characters).
CONTEXT_LIMITS: dict[str, int] = {
    "title": 200,
    "description": 2000,
    "speakers": 1000,
    "glossary": 2000,
    "language": 40,
}
# Enrichments an uploader may ask for per upload, `true` or `false` (unset: the settings decide).
ENRICHMENT_FLAGS = ("events", "chapters")
FLAG_VALUES = ("true", "false")
# How an upload's requests go to the model: `batch` waits for Gemini's batch service at half the
# price (decision 0032); unset or `standard`: streamed at once.
PRIORITIES = ("standard", "batch")
# …and the languages to translate the transcript into: ISO 639 codes, comma-separated (`fr,de`).
TRANSLATE = "translate"
TRANSLATE_CHARS = 200


class UnknownLanguage(ValueError):
    """A `translate` code the catalog does not list as a language Gemini supports."""


def translate_codes(value: str) -> list[str]:
    """The distinct language codes of a `translate` value (`"fr, de"`), in order; raises
    `UnknownLanguage` naming the first code the catalog does not list."""
    codes = list(dict.fromkeys(code.strip().lower() for code in value.split(",")))
    codes = [code for code in codes if code]
    languages = catalog().languages
    for code in codes:
        if code not in languages:
            raise UnknownLanguage(
                f"translate: {code!r} is not a language code Gemini supports; use ISO 639 codes "
                f"of: {', '.join(sorted(languages))}"
            )
    return codes


def enrichment_names(languages: list[str], chapters: bool) -> list[str]:
    """The enrichments a run asks for (decision 0026), sorted: `chapters`, `translation_{code}`."""
    names = [f"translation_{code}" for code in languages] + (["chapters"] if chapters else [])
    return sorted(set(names))
