"""Event schemas: AWS's catalogue of its services' events (:mod:`.catalogue`), schemas discovered from your
own events (:mod:`.discover`), and the lint of event patterns against them (:mod:`.lint`)."""

from .catalogue import Catalogue, EventType, Field, Shape, aws_catalogue
from .discover import Discoverer, SchemaError, load_schemas, to_openapi
from .lint import CODES, Finding, lint_pattern, lint_template, to_sarif
from .remote import lint_server
from .sample import UnknownEventTypeError, sample_event

__all__ = ["CODES", "Catalogue", "Discoverer", "EventType", "Field", "Finding", "SchemaError", "Shape",
           "UnknownEventTypeError", "aws_catalogue", "lint_pattern", "lint_server", "lint_template", "load_schemas",
           "sample_event", "to_openapi", "to_sarif"]
