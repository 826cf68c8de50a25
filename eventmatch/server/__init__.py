"""``eventmatch serve``: the engine behind EventBridge's own wire protocol, for AWS's SDKs and CLI.

Needs the ``server`` extra (``pip install 'eventmatch[server]'``: Starlette and uvicorn).
"""

from .app import DeliveryLog, Server, create_app

__all__ = ["DeliveryLog", "Server", "create_app"]
