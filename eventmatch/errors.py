"""The exception hierarchy: every error eventmatch raises derives from :class:`EventmatchError`.

Each error carries the message AWS gives for the same mistake, so that code
written against EventBridge's API can compare messages directly.
"""

from __future__ import annotations


class EventmatchError(Exception):
    """Base class of every error raised by eventmatch."""


class InvalidEventPatternError(EventmatchError, ValueError):
    """An event pattern that EventBridge would reject (``InvalidEventPatternException``).

    ``str(error)`` is AWS's message: ``Event pattern is not valid. Reason: ...``,
    followed, as AWS sends it, by a line that locates the problem in the pattern
    text (``at [Source: (String)"..."; line: 1, column: 17]``).

    Attributes:
        reason: the part after ``Reason: `` (for example ``Empty arrays are not allowed``).
        line, column: 1-based position in the pattern text just after the token
            where the problem was found, as AWS reports it (``None`` when unknown).
        path: the dotted field path the problem belongs to, where there is one.
        code: AWS's error code, ``InvalidEventPatternException``.
    """

    code = "InvalidEventPatternException"

    def __init__(
        self,
        reason: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
        repeat_location: bool = False,
    ) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        self.path = path
        message = f"Event pattern is not valid. Reason: {reason}"
        if source is not None and line is not None and column is not None:
            where = f"\n at [Source: {_jackson_source(source)}; line: {line}, column: {column}]"
            # AWS repeats the location for problems inside anything-but lists
            message += where * (2 if repeat_location else 1)
        self.message = message
        super().__init__(message)


class InvalidEventError(EventmatchError, ValueError):
    """An event that EventBridge's TestEventPattern refuses (``ValidationException``).

    ``str(error)`` is AWS's message, ``Parameter Event is not valid.``; ``detail``
    says in plain words what was wrong.
    """

    code = "ValidationException"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        self.message = "Parameter Event is not valid."
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"InvalidEventError({self.detail!r})"


_SOURCE_LIMIT = 500


def _jackson_source(text: str) -> str:
    """Describe the pattern text the way AWS's JSON reader does in its messages."""
    if len(text) > _SOURCE_LIMIT:
        return f'(String)"{text[:_SOURCE_LIMIT]}"[truncated {len(text) - _SOURCE_LIMIT} chars]'
    return f'(String)"{text}"'


class BusError(EventmatchError):
    """An EventBridge API error from the event bus: ``code`` is AWS's error code, ``str()`` its message."""

    code = "ValidationException"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ValidationError(BusError, ValueError):
    """AWS's ``ValidationException``: a request parameter is not valid."""

    code = "ValidationException"


class ResourceNotFoundError(BusError, LookupError):
    """AWS's ``ResourceNotFoundException``: no such bus, rule, archive or replay."""

    code = "ResourceNotFoundException"


class AccessDeniedError(BusError):
    """AWS's ``AccessDeniedException``: another account's bus whose policy does not allow the action."""

    code = "AccessDeniedException"


class ManagedRuleError(BusError):
    """AWS's ``ManagedRuleException``: a rule another service manages (an archive's) cannot be changed."""

    code = "ManagedRuleException"


class PreconditionFailedError(BusError):
    """AWS's ``PreconditionFailedException`` (EventBridge Schemas): a RevisionId that is not the current one."""

    code = "PreconditionFailedException"


class ResourceAlreadyExistsError(BusError):
    """AWS's ``ResourceAlreadyExistsException``."""

    code = "ResourceAlreadyExistsException"


class ConflictError(BusError):
    """AWS's ``ConflictException`` (EventBridge Scheduler): the resource exists already, or is being changed."""

    code = "ConflictException"


class LimitExceededError(BusError):
    """AWS's ``LimitExceededException``: for example a sixth target on a rule."""

    code = "LimitExceededException"


class IllegalStatusError(BusError):
    """AWS's ``IllegalStatusException``: a replay can be cancelled only while it is starting or running."""

    code = "IllegalStatusException"


class TemplateError(EventmatchError, ValueError):
    """A CloudFormation or SAM template that cannot be read into rules.

    ``problems`` lists every problem found as ``(where, message)``: ``where`` is
    the path inside the template (``Resources.OrderRule.Properties.EventPattern``)
    and ``message`` says what is wrong there (AWS's message for an invalid
    pattern or schedule). Nothing is loaded from a template with problems.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [f"{source}: {where}: {message}" if where else f"{source}: {message}" for where, message in problems]
        super().__init__("\n".join(lines))
