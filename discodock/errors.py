"""The one exception type users see for bad input."""


def one_line(text: object) -> str:
    """A message on one line (parsers such as gemmi put the offending line on a line of its own)."""
    return " ".join(str(text).split())


class InputError(ValueError):
    """Raised for unusable input; the message names the file (or string) and the problem.

    The CLI prints it as a one-line error and exits non-zero; library callers can catch it.
    """

    def __init__(self, source: object, problem: str):
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")
