"""Exception types. Every user-facing failure is a one-line message."""


class MilpinvError(Exception):
    """Base class: the CLI prints ``str(err)`` on one line and exits non-zero."""


class InputError(MilpinvError, ValueError):
    """Bad input: wrong shapes, NaN/inf, malformed files, impossible targets."""


class SolverError(MilpinvError, RuntimeError):
    """A solver backend is missing or failed in a way that is not a verdict."""
