"""EventBridge's API, one module per resource kind: each holds the kind's typed model (with its describe and
list shapes) and its handlers.

=====================  ==============================================================================
module                 actions
=====================  ==============================================================================
:mod:`.buses`          CreateEventBus ... ListEventBuses, UpdateEventBus, PutPermission, RemovePermission
:mod:`.rules`          PutRule ... ListRules, PutTargets, RemoveTargets, ListTargetsByRule
:mod:`.events`         PutEvents, PutPartnerEvents, TestEventPattern
:mod:`.archives`       CreateArchive ... ListArchives, StartReplay ... CancelReplay
:mod:`.connections`    CreateConnection ... ListConnections
:mod:`.destinations`   CreateApiDestination ... ListApiDestinations
:mod:`.endpoints`      CreateEndpoint ... ListEndpoints
:mod:`.partner_sources` the partner event sources, both sides
:mod:`.tags`           TagResource, UntagResource, ListTagsForResource
=====================  ==============================================================================

Each handler takes the :class:`~..service.Service` of the request's account and region and the request's
JSON object, and returns the answer's; errors are the library's own (each carries AWS's code and message),
which :mod:`..wire` puts on the wire. A kind's models are kept in its :class:`~.common.Store` (a service's:
``svc.store(Connections)``), which gives them as JSON for a snapshot of the state and takes them back.
"""

from __future__ import annotations

from . import archives, buses, connections, destinations, endpoints, events, partner_sources, rules, tags
from .common import Answer, Handler, Params, Store
from .connections import Connections
from .destinations import ApiDestinations
from .endpoints import Endpoints
from .partner_sources import EventSources
from .rules import Targets, TargetSpec

#: the kinds of models a snapshot of the state holds as they are (a service's rules and targets, archives and
#: schedules are rebuilt by their commands: see :mod:`..commands`)
STORES: tuple[type[Store[object]], ...] = (Connections, ApiDestinations, Endpoints, EventSources)  # type: ignore[assignment]

#: action name (the part of X-Amz-Target after ``AWSEvents.``) -> handler: every action of botocore's model
ACTIONS: dict[str, Handler] = {
    **buses.ACTIONS, **rules.ACTIONS, **events.ACTIONS, **archives.ACTIONS, **connections.ACTIONS,
    **destinations.ACTIONS, **endpoints.ACTIONS, **partner_sources.ACTIONS, **tags.ACTIONS,
}

__all__ = ["ACTIONS", "STORES", "Answer", "Handler", "Params", "Store", "TargetSpec", "Targets"]
