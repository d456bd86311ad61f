"""The one exception type users see for bad input."""


class InputError(ValueError):
    """Raised for unusable input; the message names the file (or string) and the problem.

    The CLI prints it as a one-line error and exits non-zero; library callers can catch it.
    """

    def __init__(self, source: object, problem: str):
        self.source = str(source)
        self.problem = problem
        super().__init__(f"{self.source}: {problem}")
