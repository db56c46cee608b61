"""Backups: every table read in one snapshot (reading), dumps and SQLite copies (files), restoring.
May use: no other package."""
