"""Tags of resources by ARN: one store for every API of a service (EventBridge's buses and rules, Scheduler's
schedules and groups)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


class TagStore:
    """Each resource's tags (key -> value), by the resource's ARN."""

    def __init__(self) -> None:
        self._tags: dict[str, dict[str, str]] = {}

    def get(self, arn: str) -> dict[str, str]:
        """The resource's tags (a copy; empty for none)."""
        return dict(self._tags.get(arn, {}))

    def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        """Add ``tags`` to the resource's, replacing the values of keys it has."""
        if tags:
            self._tags.setdefault(arn, {}).update(tags)

    def untag(self, arn: str, keys: Iterable[str]) -> None:
        """Remove the tags with these keys (keys it does not have are no error)."""
        kept = self._tags.get(arn)
        if kept is not None:
            for key in keys:
                kept.pop(key, None)

    def forget(self, arn: str) -> None:
        """The resource is gone: its tags go too."""
        self._tags.pop(arn, None)

    def forget_where(self, gone: Callable[[str], bool]) -> None:
        """Forget the tags of every resource whose ARN ``gone`` holds for (a bus and its rules, say)."""
        self._tags = {arn: tags for arn, tags in self._tags.items() if not gone(arn)}

    def items(self) -> list[tuple[str, dict[str, str]]]:
        """Every tagged resource's ARN and tags."""
        return [(arn, dict(tags)) for arn, tags in self._tags.items() if tags]

    def load(self, items: Iterable[tuple[str, Mapping[str, str]]]) -> None:
        """Take the tags ``items`` lists (a snapshot's), in place of these."""
        self._tags = {arn: dict(tags) for arn, tags in items}


__all__ = ["TagStore"]
