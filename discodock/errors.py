"""The exception types users see: bad input (InputError) and a machine missing something (SetupError)."""


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


class SetupError(RuntimeError):
    """Raised when this machine lacks something a command needs (an executable, a package).

    Not the input's fault, so a batch stops here instead of recording every row as failed; the CLI
    prints it as a one-line error and exits non-zero.
    """
