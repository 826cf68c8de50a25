"""The web console of ``eventmatch serve`` (see :mod:`.pages`)."""

from .backend import Backend, Consoles
from .pages import routes

__all__ = ["Backend", "Consoles", "routes"]
