"""Targets: what a rule delivers to, and the one description format every part of eventmatch shares.

A target is described as AWS's PutTargets describes it (``Id``, ``Arn``, ``Input``,
``InputPath``, ``InputTransformer``, ``RetryPolicy``) plus how to reach it here:
``Fn`` (a Python callable, sync or async), ``DeadLetter`` (a callable taking the
payload and AWS's attributes) and ``Timeout`` (seconds). The bus
(``put_targets``), templates (:meth:`eventmatch.template.TemplateTarget.spec`)
and transports (the Redis rules document names a ``Handler`` that a worker
turns into ``Fn``) all write that mapping, and :func:`build_target` alone reads
and validates it.

:class:`Target` is the interface the delivery code calls: ``invoke(payload)``
(or ``invoke_async``), with what the target receives worked out by
:meth:`Target.payload`. :class:`CallableTarget` is the implementation for
Python callables; a new kind of target (an HTTP endpoint, a forwarder) is a new
subclass plus a line in :func:`build_target`.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from .transform import MISSING, InputTransformer, parse_json_path, payload_of, resolve

NAME = re.compile(r"^[\.\-_A-Za-z0-9]+$")


class PermanentDeliveryError(Exception):
    """Raise from a target to fail a delivery without retrying (it goes to the dead-letter target)."""

    def __init__(self, message: str, code: str = "NO_RESOURCE") -> None:
        super().__init__(message)
        self.code = code


class RetriableDeliveryError(Exception):
    """Raise from a target for a failure worth retrying, with AWS's error code (``THROTTLING``,
    ``SERVICE_UNAVAILABLE``...) for the dead letter if the retries run out."""

    def __init__(self, message: str, code: str = "TARGET_ERROR") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RetryPolicy:
    """AWS's RetryPolicy: MaximumRetryAttempts 0-185, MaximumEventAgeInSeconds 60-86400."""

    maximum_retry_attempts: int = 185
    maximum_event_age_seconds: int = 86400

    def __post_init__(self) -> None:
        if type(self.maximum_retry_attempts) is not int or not 0 <= self.maximum_retry_attempts <= 185:
            raise ValidationError(
                f"1 validation error detected: Value '{self.maximum_retry_attempts}' at "
                "'retryPolicy.maximumRetryAttempts' failed to satisfy constraint: Member must have value "
                "between 0 and 185"
            )
        if type(self.maximum_event_age_seconds) is not int or not 60 <= self.maximum_event_age_seconds <= 86400:
            raise ValidationError(
                f"1 validation error detected: Value '{self.maximum_event_age_seconds}' at "
                "'retryPolicy.maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value "
                "between 60 and 86400"
            )


@dataclass(frozen=True)
class Target:
    """One target of a rule: what it receives (``payload``) and how it is reached (``invoke``).

    Subclasses set ``invoke`` (and, for coroutines, ``is_async`` and ``invoke_async``). ``plain``
    says the target takes the whole event synchronously with no timeout: routing then calls it
    inline, without the delivery machinery.
    """

    id: str
    arn: str
    input: Any = None  # parsed constant Input
    has_input: bool = False
    input_path: tuple[str | int, ...] | None = None
    transformer: InputTransformer | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    dead_letter: Callable[[Any, dict[str, Any]], Any] | None = None
    timeout: float | None = None
    is_async: bool = False
    #: a target that may be slow (an HTTP call): its deliveries run on a worker of their own lane, one at a
    #: time, never on the routing thread, so that it delays only itself (None: delivered where routed)
    lane: str | None = None
    #: receives the whole event, synchronously, with no timeout: delivered inline (set from the above)
    plain: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        plain = not (
            self.has_input
            or self.input_path is not None
            or self.transformer is not None
            or self.timeout is not None
            or self.is_async
            or self.lane is not None
        )
        object.__setattr__(self, "plain", plain)  # an attribute, not a property: read per event

    def invoke(self, payload: Any) -> Any:  # pragma: no cover - every implementation sets its own
        raise NotImplementedError

    async def invoke_async(self, payload: Any) -> Any:  # pragma: no cover - as above
        raise NotImplementedError

    def payload(self, event: Mapping[str, Any], rule_name: str, rule_arn: str, ingestion_time: str) -> Any:
        """What the target receives for ``event``; raises NotDelivered where AWS drops the delivery."""
        if self.has_input:
            return self.input
        if self.input_path is not None:
            value = resolve(event, self.input_path)
            return None if value is MISSING else value
        if self.transformer is not None:
            return payload_of(self.transformer.render(event, rule_name, rule_arn, ingestion_time))
        return event

    def describe(self) -> dict[str, Any]:
        """The target as ListTargetsByRule describes it."""
        out: dict[str, Any] = {"Id": self.id, "Arn": self.arn}
        if self.has_input:
            out["Input"] = json.dumps(self.input)
        if self.input_path is not None:
            out["InputPath"] = "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in self.input_path)
        if self.transformer is not None:
            out["InputTransformer"] = {"InputTemplate": self.transformer.template}
        out["RetryPolicy"] = {
            "MaximumRetryAttempts": self.retry.maximum_retry_attempts,
            "MaximumEventAgeInSeconds": self.retry.maximum_event_age_seconds,
        }
        return out


@dataclass(frozen=True)
class CallableTarget(Target):
    """A Python callable (a function, a bound method, a coroutine function) as a target."""

    fn: Callable[..., Any] = print

    def __post_init__(self) -> None:
        super().__post_init__()
        # the callable itself, not a method wrapping it: the inline routing path calls it per event
        object.__setattr__(self, "invoke", self.fn)
        if self.is_async:
            object.__setattr__(self, "invoke_async", self.fn)


#: given a target's description without ``Fn`` (a target addressed by its ``Arn`` alone), the callable that
#: reaches it; an EventBridge with one accepts such targets (``eventmatch serve`` records or forwards them).
#: A callable with a ``lane`` attribute (text) is delivered on that lane (see ``Target.lane``).
Resolver = Callable[[Mapping[str, Any]], Callable[..., Any]]


def build_target(spec: Mapping[str, Any], position: int, resolve: Resolver | None = None) -> Target:
    """Read and validate one target description (see the module's docstring), with AWS's messages.

    ``resolve`` reaches a target given by its ``Arn`` alone (no ``Fn``)."""
    if not isinstance(spec, Mapping):
        raise ValidationError(f"Target {position} must be a mapping with Id and Fn.")
    target_id = spec.get("Id")
    if not isinstance(target_id, str) or not NAME.match(target_id):
        raise ValidationError(
            f"1 validation error detected: Value '{target_id}' at 'targets.{position}.member.id' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+"
        )
    if len(target_id) > 64:
        raise ValidationError(
            f"1 validation error detected: Value '{target_id}' at 'targets.{position}.member.id' failed to "
            "satisfy constraint: Member must have length less than or equal to 64"
        )
    fn = spec.get("Fn")
    if fn is None and resolve is not None and isinstance(spec.get("Arn"), str) and spec["Arn"]:
        fn = resolve(spec)
    if not callable(fn):
        raise ValidationError(f"Fn for target {target_id} must be a callable or a coroutine function.")
    given = [k for k in ("Input", "InputPath", "InputTransformer") if spec.get(k) is not None]
    if len(given) > 1:
        raise ValidationError(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
        )
    constant, has_input = None, False
    if "Input" in given:
        text = spec["Input"]
        try:
            constant = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            constant = None
        if not isinstance(text, str) or len(text) > 8192 or (constant is None and text.strip() != "null"):
            raise ValidationError(f"Input for target {target_id} must be valid JSON text of at most 8192 characters.")
        has_input = True
    input_path = None
    if "InputPath" in given:
        try:
            path_text = spec["InputPath"]
            if not isinstance(path_text, str) or len(path_text) > 256:
                raise ValueError(path_text)
            input_path = parse_json_path(path_text)
        except ValueError:
            raise ValidationError(f"InputPath for target {target_id} is not a valid JSON path.") from None
    transformer = InputTransformer.create(spec["InputTransformer"], target_id) if "InputTransformer" in given else None
    retry = spec.get("RetryPolicy") or {}
    if isinstance(retry, Mapping):
        retry = RetryPolicy(retry.get("MaximumRetryAttempts", 185), retry.get("MaximumEventAgeInSeconds", 86400))
    if not isinstance(retry, RetryPolicy):
        raise ValidationError(f"RetryPolicy for target {target_id} must be a mapping or a RetryPolicy.")
    dead_letter = spec.get("DeadLetter")
    if dead_letter is not None and not callable(dead_letter):
        raise ValidationError(f"DeadLetter for target {target_id} must be a callable.")
    timeout = spec.get("Timeout")
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValidationError(f"Timeout for target {target_id} must be a positive number of seconds.")
    arn = spec.get("Arn") or f"python:{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"
    return CallableTarget(
        target_id,
        arn,
        constant,
        has_input,
        input_path,
        transformer,
        retry,
        dead_letter,
        timeout,
        inspect.iscoroutinefunction(fn),
        lane if isinstance(lane := getattr(fn, "lane", None), str) else None,
        fn=fn,
    )


__all__ = [
    "CallableTarget", "PermanentDeliveryError", "Resolver", "RetriableDeliveryError", "RetryPolicy", "Target",
    "build_target",
]
