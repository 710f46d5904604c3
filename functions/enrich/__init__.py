"""The enrichment room (decision 0026): a completed transcript's translations, chapters and
summary, each a task of its own on the clips topic (`handler.handle_enrichment`)."""
