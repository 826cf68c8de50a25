"""The ``wildcard`` operator: ``*`` stands for any run of characters.

``\\*`` is a literal star and ``\\\\`` a literal backslash; any other escape,
two stars in a row, and patterns that are too costly to run are rejected with
AWS's messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: The largest number of pattern positions one input may keep alive at once.
#: AWS rejects ``*:*:*:*:*:event-bus/*`` (11) and accepts
#: ``/Users/*/dir/dir/dir/dir/dir/doc.txt`` (7); the limit between them is
#: inferred from those recorded responses, as AWS does not publish it.
MAX_COMPLEXITY = 10

TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating "
    "character sequences after a wildcard character"
)

# A parsed wildcard is a tuple of pieces: str for literal text, None for a star.
Pieces = tuple[str | None, ...]


def parse_wildcard(text: str) -> Pieces:
    """Split a wildcard pattern into literal pieces and stars; ValueError on bad syntax."""
    pieces: list[str | None] = []
    literal: list[str] = []
    i = 0
    previous_star = False
    while i < len(text):
        ch = text[i]
        if ch == "*":
            if previous_star:
                raise ValueError(f"Consecutive wildcard characters at pos {i}")
            if literal:
                pieces.append("".join(literal))
                literal = []
            pieces.append(None)
            previous_star = True
            i += 1
            continue
        previous_star = False
        if ch == "\\":
            following = text[i + 1] if i + 1 < len(text) else ""
            if following not in ("*", "\\"):
                raise ValueError(f"Invalid escape character at pos {i + 1}")
            literal.append(following)
            i += 2
            continue
        literal.append(ch)
        i += 1
    if literal:
        pieces.append("".join(literal))
    return tuple(pieces)


def wildcard_regex(pieces: Pieces) -> str:
    """A regular expression source that matches exactly what the wildcard matches."""
    return "".join(".*" if p is None else re.escape(p) for p in pieces)


def complexity(patterns: Iterable[Pieces]) -> int:
    """How many pattern states one input value can keep alive at once, at worst.

    Each pattern is a chain of elements, one per literal character and one per
    star; a state is "element i was just consumed" (a star's state loops on
    any character). The measure explores every set of states an input can
    reach together, the way AWS's reference library measures its machines
    (``a*b`` is 2, ``*a*a*a*a*a*a*a*a*`` is 17), and stops counting at
    ``MAX_COMPLEXITY + 1``.
    """
    chains: list[list[str | None]] = []
    for pieces in patterns:
        chain: list[str | None] = []
        for piece in pieces:
            if piece is None:
                chain.append(None)
            else:
                chain.extend(piece)
        chains.append(chain)

    # A state is (pattern, i): element i of that pattern's chain was consumed;
    # i == -1 is the start. Reaching a state also reaches a star right after it.
    def close(states: set[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        out = set(states)
        for k, i in states:
            chain = chains[k]
            if i + 1 < len(chain) and chain[i + 1] is None:
                out.add((k, i + 1))
        return frozenset(out)

    start = close({(k, -1) for k in range(len(chains))})
    alphabet = sorted({c for chain in chains for c in chain if c is not None})
    other = "\x00other"
    worst = 0
    limit = MAX_COMPLEXITY + 1
    seen = {start}
    frontier = [start]
    while frontier:
        current = frontier.pop()
        for ch in [*alphabet, other]:
            moved: set[tuple[int, int]] = set()
            for k, i in current:
                chain = chains[k]
                if i >= 0 and chain[i] is None:
                    moved.add((k, i))  # a star consumes any character
                if i + 1 < len(chain) and chain[i + 1] == ch:
                    moved.add((k, i + 1))
            if not moved:
                continue
            reached = close(moved)
            worst = max(worst, len(reached))
            if worst >= limit:
                return limit
            if reached not in seen:
                seen.add(reached)
                frontier.append(reached)
    return worst
