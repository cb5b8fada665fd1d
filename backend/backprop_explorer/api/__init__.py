"""FastAPI layer: thin routes, strict schemas, one settings object."""
