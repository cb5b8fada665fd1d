"""A live class (issue 15): students follow the teacher's session on their own devices,
answer the teacher's questions, and see the class's answers. In memory, one process; no
HTTP here (api/routes/classes.py serves it)."""
from .classes import (
                      MAX_QUESTIONS,
                      MAX_ROUNDS,
                      MAX_STUDENTS,
                      WRONG_CODES,
                      WRONG_WINDOW,
                      Class,
                      ClassRoom,
                      Forbidden,
                      Gone,
                      Student,
                      TooManyWrongCodes,
)
from .codes import ALPHABET, LENGTH
from .questions import Question
from .tokens import Role

__all__ = ["ClassRoom", "Class", "Student", "Question", "Role", "Forbidden", "Gone",
           "TooManyWrongCodes", "ALPHABET", "LENGTH", "MAX_STUDENTS", "MAX_QUESTIONS",
           "MAX_ROUNDS", "WRONG_CODES", "WRONG_WINDOW"]
