"""The records: the pydantic models that are the single source of truth, the label sets, gold files, spans ↔ BIO."""
