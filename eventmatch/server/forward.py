"""Targets that are AWS services, forwarded with botocore to an endpoint the user configures per service.

``eventmatch serve --forward sqs=http://127.0.0.1:9324`` (an SQS emulator, say) makes every target
whose ARN is an SQS queue a ``SendMessage`` to that endpoint, in the request shape EventBridge uses:

=========== =====================================================================================
service     call
=========== =====================================================================================
sqs         ``SendMessage`` (the queue's URL from ``GetQueueUrl``; FIFO queues get
            ``SqsParameters.MessageGroupId`` and the event's id as the deduplication id)
sns         ``Publish`` to the topic
lambda      ``Invoke`` with ``InvocationType=Event`` (asynchronous, as EventBridge invokes)
states      ``StartExecution`` of the state machine, the payload as input
kinesis     ``PutRecord``; the partition key from ``KinesisParameters.PartitionKeyPath`` (a rule's) or
            ``KinesisParameters.PartitionKey`` (a schedule's), else the event's id
firehose    ``PutRecord`` to the delivery stream
logs        ``CreateLogStream`` named after the event's id (once), then ``PutLogEvents`` with the
            event as the message at the event's time; a payload shaped ``{"timestamp": ...,
            "message": ...}`` (what AWS requires of input transformers for log groups) gives both
=========== =====================================================================================

EventBridge Scheduler's universal targets (``arn:aws:scheduler:::aws-sdk:<service>:<apiAction>``) call
that action of a service given with ``--forward`` (any service botocore knows), the Input as its
parameters.

A service with no endpoint configured is not called: its deliveries are recorded, not lost and not an
error. A throttled or unavailable service (or no answer) is retried by the target's RetryPolicy; any
other error goes to the dead-letter queue.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..bus import PermanentDeliveryError, RetriableDeliveryError
from ..bus.transform import MISSING, parse_json_path, resolve

SERVICES = ("sqs", "sns", "lambda", "states", "kinesis", "firehose", "logs")
RETRIED = ("Throttling", "ThrottlingException", "TooManyRequestsException", "ServiceUnavailable",
           "ServiceUnavailableException", "InternalFailure", "InternalError", "ProvisionedThroughputExceededException")


#: EventBridge Scheduler's universal targets: ``arn:aws:scheduler:::aws-sdk:<service>:<apiAction>``
UNIVERSAL = "arn:aws:scheduler:::aws-sdk:"


def parse_forward(items: list[str]) -> dict[str, str]:
    """``SERVICE=URL`` items (the CLI's ``--forward``) as a mapping; ValueError naming a bad one. SERVICE is
    one of SERVICES (targets of rules and templated Scheduler targets), or any other service botocore knows
    (for Scheduler's universal targets, which call any API action)."""
    out = {}
    for item in items:
        service, sep, url = item.partition("=")
        if not sep or not url.startswith(("http://", "https://")) or service not in SERVICES + _known_services():
            raise ValueError(f"--forward {item!r}: expected SERVICE=URL, SERVICE one of {', '.join(SERVICES)} "
                             "(or another AWS service botocore knows, for Scheduler's universal targets)")
        out[service] = url
    return out


def _known_services() -> tuple[str, ...]:
    try:
        import botocore.session
    except ImportError:  # pragma: no cover - the server extra installs botocore
        return ()
    return tuple(botocore.session.get_session().get_available_services())


class Forwarder:
    """botocore clients for the configured endpoints, made once each (per service and region)."""

    def __init__(self, endpoints: Mapping[str, str]) -> None:
        self.endpoints = dict(endpoints)
        self._clients: dict[tuple[str, str], Any] = {}
        self._queue_urls: dict[str, str] = {}
        self._lock = threading.Lock()

    def service(self, arn: str) -> str | None:
        """The configured service an ARN names (a target's, or a universal target's), or None."""
        if arn.startswith(UNIVERSAL):
            service = arn[len(UNIVERSAL):].split(":", 1)[0]
            return service if service in self.endpoints else None
        parts = arn.split(":")
        if len(parts) < 6 or parts[0] != "arn":
            return None
        return parts[2] if parts[2] in self.endpoints and parts[2] in SERVICES else None

    def universal(self, arn: str) -> Callable[[Any], None]:
        """A Scheduler universal target: its API action called with the Input as the request's parameters."""
        from botocore import xform_name

        service, _, action = arn[len(UNIVERSAL):].partition(":")
        method = xform_name(action[:1].upper() + action[1:])

        def call(payload: Any) -> None:
            params = json.loads(payload) if isinstance(payload, str) else payload
            if not isinstance(params, dict):
                raise PermanentDeliveryError(f"{service}:{action}: the Input must be a JSON object of the "
                                             "action's parameters", "NO_RESOURCE")
            client = self._client(service, "us-east-1")
            try:
                getattr(client, method)(**params)
            except AttributeError:
                raise PermanentDeliveryError(f"{service} has no action {action}", "NO_RESOURCE") from None
            except Exception as exc:
                _raise_for(service, exc)

        return call

    def _client(self, service: str, region: str) -> Any:
        with self._lock:
            client = self._clients.get((service, region))
            if client is None:
                import botocore.config
                import botocore.session

                session = botocore.session.get_session()
                client = session.create_client(
                    service, region_name=region or "us-east-1", endpoint_url=self.endpoints[service],
                    aws_access_key_id="test", aws_secret_access_key="test",
                    config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10),
                )
                self._clients[(service, region)] = client
            return client

    def target(self, spec: Mapping[str, Any]) -> Callable[[Any], None]:
        arn = str(spec.get("Arn"))
        if arn.startswith(UNIVERSAL):
            return self.universal(arn)
        service = self.service(arn)
        assert service is not None
        region, account, resource = arn.split(":")[3], arn.split(":")[4], arn.split(":", 5)[5]
        sqs = dict(spec.get("SqsParameters") or {})
        kinesis = dict(spec.get("KinesisParameters") or {})
        key_path = parse_json_path(str(kinesis["PartitionKeyPath"])) if kinesis.get("PartitionKeyPath") else None

        def forward(payload: Any) -> None:
            body = payload if isinstance(payload, str) else json.dumps(payload)
            client = self._client(service, region)
            event_id = str(payload.get("id")) if isinstance(payload, dict) and payload.get("id") else "eventmatch"
            try:
                if service == "sqs":
                    params: dict[str, Any] = {"QueueUrl": self._queue_url(client, resource, account),
                                              "MessageBody": body}
                    if resource.endswith(".fifo"):
                        params["MessageGroupId"] = sqs.get("MessageGroupId") or "eventmatch"
                        params["MessageDeduplicationId"] = event_id
                    client.send_message(**params)
                elif service == "sns":
                    client.publish(TopicArn=arn, Message=body)
                elif service == "lambda":
                    client.invoke(FunctionName=arn, InvocationType="Event", Payload=body.encode())
                elif service == "states":
                    client.start_execution(stateMachineArn=arn, input=body)
                elif service == "kinesis":
                    key = resolve(payload, key_path) if key_path is not None else MISSING
                    if kinesis.get("PartitionKey"):  # Scheduler's KinesisParameters: a fixed key
                        key = kinesis["PartitionKey"]
                    partition = event_id if key is MISSING or key is None else str(key)
                    client.put_record(StreamName=resource.split("/", 1)[-1], Data=body.encode(), PartitionKey=partition)
                elif service == "logs":
                    group = resource.split(":", 1)[1].removesuffix(":*") if ":" in resource else resource
                    stream, timestamp, message = _log_event(payload, body, event_id)
                    with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
                        client.create_log_stream(logGroupName=group, logStreamName=stream)
                    client.put_log_events(logGroupName=group, logStreamName=stream,
                                          logEvents=[{"timestamp": timestamp, "message": message}])
                else:  # firehose
                    client.put_record(DeliveryStreamName=resource.split("/", 1)[-1], Record={"Data": body.encode()})
            except Exception as exc:
                _raise_for(service, exc)

        return forward

    def _queue_url(self, client: Any, resource: str, account: str) -> str:
        with self._lock:
            url = self._queue_urls.get(resource)
        if url is None:
            url = str(client.get_queue_url(QueueName=resource, QueueOwnerAWSAccountId=account)["QueueUrl"])
            with self._lock:
                self._queue_urls[resource] = url
        return url


def _log_event(payload: Any, body: str, event_id: str) -> tuple[str, int, str]:
    """(log stream, timestamp in ms, message) of a delivery to a log group: the stream is named after the
    event's id, the time is the event's (now, for a payload without one)."""
    if isinstance(payload, dict) and set(payload) == {"timestamp", "message"}:
        message = payload["message"]
        when = payload["timestamp"]
        return event_id, _millis(when), message if isinstance(message, str) else json.dumps(message)
    when = payload.get("time") if isinstance(payload, dict) else None
    return event_id, _millis(when), body


def _millis(when: Any) -> int:
    if isinstance(when, (int, float)) and not isinstance(when, bool):
        return int(when)
    if isinstance(when, str):
        try:
            return int(datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            pass
    return int(time.time() * 1000)


def _raise_for(service: str, exc: Exception) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400) or 400)
        if code in RETRIED or status >= 500 or status == 429:
            raise RetriableDeliveryError(f"{service}: {exc}", "THROTTLING" if "hrottl" in code else
                                         "SERVICE_UNAVAILABLE") from None
        raise PermanentDeliveryError(f"{service}: {exc}", "NO_PERMISSIONS" if status in (401, 403) else
                                     "NO_RESOURCE") from None
    if isinstance(exc, BotoCoreError):  # no answer: the endpoint is down or slow
        raise RetriableDeliveryError(f"{service}: {exc}", "SERVICE_UNAVAILABLE") from None
    raise exc


__all__ = ["SERVICES", "Forwarder", "parse_forward"]
