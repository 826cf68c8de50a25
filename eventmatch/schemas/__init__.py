"""Event schemas: AWS's catalogue of its services' events (:mod:`.catalogue`) and the lint of event patterns
against them (:mod:`.lint`)."""

from .catalogue import Catalogue, EventType, Field, Shape, aws_catalogue
from .lint import CODES, Finding, lint_pattern, lint_server, lint_template, to_sarif

__all__ = ["CODES", "Catalogue", "EventType", "Field", "Finding", "Shape", "aws_catalogue", "lint_pattern",
           "lint_server", "lint_template", "to_sarif"]
