"""Errors the engine raises for input it cannot use; `field` names the culprit."""


class InputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


DIVERGED = ("the update diverges: a weight or the loss would become non-finite; the weights "
            "were left as they were; use a smaller learning rate")


class DivergedError(InputError):
    """An update would make a weight non-finite."""

    def __init__(self, message: str) -> None:
        super().__init__("learning_rate", message)
