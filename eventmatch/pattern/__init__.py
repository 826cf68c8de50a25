"""The event-pattern language: parse, validate, compile and match."""

from .compile import Pattern, RuleSet, compile_pattern
from .explain import Explanation, explain
from .parse import parse_pattern

__all__ = ["Explanation", "Pattern", "RuleSet", "compile_pattern", "explain", "parse_pattern"]
