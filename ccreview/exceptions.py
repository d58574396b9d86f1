"""One exception hierarchy for the kit.

Every error a user can cause derives from :class:`CCReviewError` and from the
matching built-in, so ``except ValueError`` still works for callers that do not
know about ccreview. Messages say what went wrong, where (file, row, column or
parameter) and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "CCReviewError",
    "ConfigError",
    "InputError",
    "NotebookError",
    "ParameterError",
    "PublishError",
    "SchemaError",
]


class CCReviewError(Exception):
    """Base class of every error raised on purpose by ccreview."""


class ParameterError(CCReviewError, ValueError):
    """A run parameter file is missing, malformed or refers to something absent."""


class ConfigError(CCReviewError, ValueError):
    """``criteria.yaml``, ``objectives.yaml`` or ``services.yaml`` is invalid."""


class InputError(CCReviewError, ValueError):
    """An input file cannot be used at all (missing, empty, unreadable).

    Carries every problem found, so the user can fix them in one go.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{len(self.problems)} problems with the input files:\n{lines}"
        super().__init__(message)


class SchemaError(CCReviewError, ValueError):
    """A DataFrame handed to an analysis function lacks a canonical column."""


class NotebookError(CCReviewError, RuntimeError):
    """A review notebook failed or timed out while the run executed it."""


class PublishError(CCReviewError, OSError):
    """A run cannot be published without damaging or deleting something it did not create."""
