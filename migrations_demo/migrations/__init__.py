"""The Alembic project: env.py and the revisions (a package only so that wheels ship it)."""
