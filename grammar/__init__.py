"""The regate policy grammar (shipped as package data: regate.lark)."""
