"""The composed app: every answer mounted into one FastAPI application."""
