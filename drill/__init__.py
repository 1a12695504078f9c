"""Rehearse the answer READMEs out loud, prove their claims live, export them to Anki."""
