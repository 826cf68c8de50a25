"""The web console of ``eventmatch serve`` (see :mod:`.pages`)."""

from .pages import routes

__all__ = ["routes"]
