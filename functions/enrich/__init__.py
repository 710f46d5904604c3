"""The enrichment room (decision 0026): translations, chapters and a summary of a completed
transcript, each a text-only request of its own, claimed, called and recorded here."""
