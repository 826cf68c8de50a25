"""Transports that carry one bus beyond one process.

:mod:`.base` says what a transport is (:class:`Transport`, :class:`Consumer`), :mod:`.rules` holds
the rules document every transport shares, and :mod:`eventmatch.transport.redis` implements them on
Redis Streams (it needs the ``redis`` package: ``pip install 'eventmatch[redis]'``).
"""

from .base import Consumer, Transport
from .rules import RulesDocument, build_bridge, validate_rules

__all__ = ["Consumer", "RulesDocument", "Transport", "build_bridge", "validate_rules"]
