"""Many wildcard patterns on one field, narrowed by a literal fragment each must contain.

A string matching a wildcard pattern starts with its first piece when that is literal, ends with its
last piece when that is literal, and otherwise contains each of its literal pieces somewhere. So each
pattern is filed under one such fragment: in a prefix table, a suffix table, or an infix table keyed
by a word of its literals or a substring of them.

A *word* is a run of characters between two delimiters (``/``, ``.``, ``:``, spaces and the like: see
DELIMITERS) inside one literal: ``*/tenant-7/*`` holds ``tenant-7``. A value holding that literal holds
the same run with the same delimiters around it, so the run is one of the words the value splits into
(one ``findall`` in C). A pattern with no such word is filed under a substring of ``k`` characters of
its literals (``k`` a power of two up to 8, so few key lengths are in use), which costs a slice per
position of the value to look up. Of a pattern's words and substrings it takes the one fewest other
patterns share, a word where that is about as rare (see WORD_SHARE).
A value looks up its prefixes and suffixes of the lengths in use, its words and, where some pattern has
no word, each of its substrings of the key lengths; only the patterns found (a few, whatever their
number) are run in full.
Patterns with no literal piece (``*``) match every string. The cost per value follows the value's
length and the number of distinct fragment lengths, not the number of patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from .wildcard import Pieces

#: the longest infix key (a power of two)
INFIX_MAX = 8
#: up to this many infix keys (words and substrings), a value is searched for each (``in``, in C); past it,
#: its words and each of its substrings of a key length are looked up (a cost that follows the value's
#: length, not the number of keys)
INFIX_FEW = 16
#: the characters that end a word (besides whitespace): the separators of paths, keys, ARNs and URLs
DELIMITERS = "/.:|,;=&?#@\\\"'()[]{}<>+!"
#: a word of a value: a run of characters that are not delimiters
_WORD = re.compile("[^\\s" + "".join("\\" + ch for ch in DELIMITERS) + "]+")
value_words = _WORD.findall
#: a pattern is filed under its rarest word unless that word is shared by more than this many patterns and
#: a substring is rarer (a value's words cost one call to find, its substrings a slice each)
WORD_SHARE = 8


def _words(pieces: Pieces) -> set[str]:
    """The words of a pattern's literals with a delimiter on both sides inside the literal: a string the
    pattern matches has each of them among its own :func:`value_words`."""
    return {m.group() for p in pieces if p is not None for m in _WORD.finditer(p)
            if m.start() > 0 and m.end() < len(p)}


def _infix_key_length(n: int) -> int:
    k = 1
    while k * 2 <= min(n, INFIX_MAX):
        k *= 2
    return k


def _grams(pieces: Pieces) -> set[str]:
    """The substrings an infix pattern may be filed under: those of its longest literal's key length (a
    power of two up to INFIX_MAX) in each of its literals long enough."""
    literals = [p for p in pieces if p is not None]
    k = _infix_key_length(max(len(p) for p in literals))
    return {p[i:i + k] for p in literals if len(p) >= k for i in range(len(p) - k + 1)}


class FragmentIndex:
    """An immutable index of wildcard patterns: built from (pieces, full test, payload) triples;
    :meth:`lookup` appends to ``out`` the payload of every pattern a string matches."""

    __slots__ = ("always", "entries", "infix", "infix_few", "infix_sets", "prefix", "prefix_lengths", "suffix",
                 "suffix_lengths", "word_keys", "words")

    def __init__(self, patterns: Sequence[tuple[Pieces, Callable[[str], Any], Any]]) -> None:
        self.entries: list[tuple[Callable[[str], Any], Any]] = []
        self.prefix: dict[str, list[int]] = {}
        self.suffix: dict[str, list[int]] = {}
        self.infix: dict[int, dict[str, list[int]]] = {}
        self.words: dict[str, list[int]] = {}
        self.always: list[Any] = []
        # how many patterns each gram (a substring of an infix key's length) and each word appears in: each
        # infix pattern is filed under its rarest, so that patterns sharing text ("/tenant-") do not share a key
        grams: dict[str, int] = {}
        shared: dict[str, int] = {}
        keys_of: dict[int, tuple[set[str], set[str]]] = {}  # an infix pattern's grams and words, found once
        for i, (pieces, _, _) in enumerate(patterns):
            if pieces and pieces[0] is None and pieces[-1] is None and any(p is not None for p in pieces):
                its_grams, its_words = keys_of[i] = (_grams(pieces), _words(pieces))
                for gram in its_grams:
                    grams[gram] = grams.get(gram, 0) + 1
                for word in its_words:
                    shared[word] = shared.get(word, 0) + 1
        for i, (pieces, test, payload) in enumerate(patterns):
            literals = [p for p in pieces if p is not None]
            if pieces and not literals:  # stars only: any string
                self.always.append(payload)
                continue
            if not pieces:  # the empty pattern: the empty string only, filed as the prefix ""
                pieces = ("",)
            at = len(self.entries)
            self.entries.append((test, payload))
            if pieces[0] is not None:
                self.prefix.setdefault(pieces[0], []).append(at)
            elif pieces[-1] is not None:
                self.suffix.setdefault(pieces[-1], []).append(at)
            else:
                its_grams, found = keys_of[i]
                rarest = min(its_grams, key=lambda gram: (grams[gram], -len(gram), gram))
                best = min(found, key=lambda w: (shared[w], -len(w), w)) if found else None
                if best is not None and (shared[best] <= WORD_SHARE or shared[best] <= grams[rarest]):
                    self.words.setdefault(best, []).append(at)
                else:
                    self.infix.setdefault(len(rarest), {}).setdefault(rarest, []).append(at)
        self.prefix_lengths = sorted({len(key) for key in self.prefix})
        keys = [(key, hit) for keyed in self.infix.values() for key, hit in keyed.items()]
        keys += self.words.items()
        # (a value holding a word holds it as a substring: ``in`` finds a superset, as a filter may)
        self.infix_few = keys if len(keys) <= INFIX_FEW else None
        self.word_keys = frozenset(self.words)
        self.infix_sets = [(k, keyed, frozenset(keyed)) for k, keyed in self.infix.items()]
        self.suffix_lengths = sorted({len(key) for key in self.suffix})

    def lookup(self, value: str, out: list[Any]) -> None:
        entries = self.entries
        size = len(value)
        if self.prefix:
            table = self.prefix
            for n in self.prefix_lengths:
                if n > size:
                    break
                hit = table.get(value[:n])
                if hit:
                    for at in hit:
                        test, payload = entries[at]
                        if test(value):
                            out.append(payload)
        if self.suffix:
            table = self.suffix
            for n in self.suffix_lengths:
                if n > size:
                    break
                hit = table.get(value[size - n:])
                if hit:
                    for at in hit:
                        test, payload = entries[at]
                        if test(value):
                            out.append(payload)
        if self.infix or self.words:
            seen: set[int] = set()
            if self.infix_few is not None:  # a few keys: each searched for in the value (in C)
                for key, hit in self.infix_few:
                    if key in value:
                        seen.update(hit)
            else:  # many: the value's words, and each substring of the value of a key length, looked up
                if self.words:
                    table = self.words
                    for word in self.word_keys.intersection(value_words(value)):
                        seen.update(table[word])
                for k, keyed, keys in self.infix_sets:  # set & frozenset: a loop over the smaller, in C
                    for gram in {value[start:start + k] for start in range(size - k + 1)} & keys:
                        seen.update(keyed[gram])
            for at in sorted(seen):
                test, payload = entries[at]
                if test(value):
                    out.append(payload)
        if self.always:
            out.extend(self.always)

    def __repr__(self) -> str:
        infixes = sum(len(t) for t in self.infix.values())
        return (f"<FragmentIndex {len(self.entries) + len(self.always)} patterns: {len(self.prefix)} prefixes, "
                f"{len(self.suffix)} suffixes, {len(self.words)} words, {infixes} infixes>")


__all__ = ["FragmentIndex"]
