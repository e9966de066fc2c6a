"""Shared models and helpers for the order backend."""

from .models import Order

__all__ = ["Order"]
