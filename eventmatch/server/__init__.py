"""``eventmatch serve``: the engine behind EventBridge's own wire protocol, for AWS's SDKs and CLI.

Needs the ``server`` extra (``pip install 'eventmatch[server]'``: Starlette and uvicorn).
"""

from .app import Server, create_app
from .state import State

__all__ = ["Server", "State", "create_app"]
