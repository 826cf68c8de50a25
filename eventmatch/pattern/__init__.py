"""The event-pattern language: parse, validate, compile and match."""

from .compile import Pattern, RuleSet, compile_pattern
from .parse import parse_pattern

__all__ = ["Pattern", "RuleSet", "compile_pattern", "parse_pattern"]
