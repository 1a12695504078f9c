"""Revisions: 0001 baseline; 0002 the naive path; 0003–0008 the safe (expand/contract) path."""
