"""Importers: other tools' policies translated into regate's language."""
