"""Live events: what changed, pushed to every open page (Server-Sent Events)."""
from .hub import Event, EventHub

__all__ = ["Event", "EventHub"]
