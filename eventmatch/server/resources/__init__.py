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
:mod:`.registries`     EventBridge Schemas: CreateRegistry ... ListSchemas, SearchSchemas, ExportSchema
:mod:`.codebindings`   PutCodeBinding, DescribeCodeBinding, GetCodeBindingSource
:mod:`.discoverers`    CreateDiscoverer ... StopDiscoverer, GetDiscoveredSchema, and discovery
:mod:`.schema_policy`  Schemas' Put/Get/DeleteResourcePolicy and tags
=====================  ==============================================================================

Each handler takes the :class:`~..service.Service` of the request's account and region and the request's
JSON object, and returns the answer's; errors are the library's own (each carries AWS's code and message),
which :mod:`..wire` puts on the wire. A kind's models are kept in its :class:`~.common.Store` (a service's:
``svc.store(Connections)``), which gives them as JSON for a snapshot of the state and takes them back.
"""

from __future__ import annotations

from . import (
    archives,
    buses,
    codebindings,
    connections,
    destinations,
    discoverers,
    endpoints,
    events,
    partner_sources,
    registries,
    rules,
    schema_policy,
    tags,
)
from .codebindings import CodeBindings
from .common import Answer, Handler, Params, Store
from .connections import Connections
from .destinations import ApiDestinations
from .discoverers import Discoverers
from .endpoints import Endpoints
from .partner_sources import EventSources
from .registries import Registries, Schemas
from .rules import Targets, TargetSpec
from .schema_policy import Policies

#: the kinds of models a snapshot of the state holds as they are (a service's rules and targets, archives and
#: schedules are rebuilt by their commands: see :mod:`..commands`)
STORES: tuple[type[Store[object]], ...] = (  # type: ignore[assignment]
    Connections, ApiDestinations, Endpoints, EventSources, Registries, Schemas, Discoverers, CodeBindings, Policies)

#: action name (the part of X-Amz-Target after ``AWSEvents.``) -> handler: every action of botocore's model
ACTIONS: dict[str, Handler] = {
    **buses.ACTIONS, **rules.ACTIONS, **events.ACTIONS, **archives.ACTIONS, **connections.ACTIONS,
    **destinations.ACTIONS, **endpoints.ACTIONS, **partner_sources.ACTIONS, **tags.ACTIONS,
}

#: EventBridge Schemas' actions (its REST routes: :mod:`..schemas_api`), and discovery's own in the command log
SCHEMAS_ACTIONS: dict[str, Handler] = {
    **registries.ACTIONS, **codebindings.ACTIONS, **discoverers.ACTIONS, **schema_policy.ACTIONS,
}

__all__ = ["ACTIONS", "SCHEMAS_ACTIONS", "STORES", "Answer", "Handler", "Params", "Store", "TargetSpec", "Targets"]
