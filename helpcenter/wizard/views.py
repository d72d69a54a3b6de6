"""Seat workflow (placeholder)."""


def register(app) -> None:
    pass
