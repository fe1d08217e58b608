"""Reading the files of FORMATS.md: plan files into a plan book, event files into events.

This is the edge between files and the core: the core never imports it.
"""

from .errors import FileError, PlanFileError, Problem
from .event_files import read_events
from .plan_files import read_plans

__all__ = ["FileError", "PlanFileError", "Problem", "read_events", "read_plans"]
