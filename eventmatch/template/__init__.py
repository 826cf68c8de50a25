"""Rules, schedules and targets read from CloudFormation and SAM templates (YAML or JSON)."""

from ..errors import TemplateError
from .rules import Firing, Template, TemplateRule, TemplateTarget, load_template

__all__ = ["Firing", "Template", "TemplateError", "TemplateRule", "TemplateTarget", "load_template"]
