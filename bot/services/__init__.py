"""Use cases: each function checks who may act, then moves state and money in one transaction."""

from bot.services.base import Clock, Services

__all__ = ["Clock", "Services"]
