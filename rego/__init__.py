"""The Rego runtime library shipped inside every regate bundle (package data)."""
