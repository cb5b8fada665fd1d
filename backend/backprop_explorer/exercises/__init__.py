"""Predict, then reveal: one step's values as blanks a student computes, graded with a
diagnosis of the classic mistakes. No HTTP here (api/routes/exercises.py serves it)."""
from .blanks import QUANTITIES, Blank, make_blanks
from .diagnosis import CODES
from .exercise import Exercise
from .problems import seeded_problem
from .store import ExerciseStore

MAX_BLANKS = 2000

__all__ = ["QUANTITIES", "Blank", "make_blanks", "CODES", "Exercise", "seeded_problem",
           "ExerciseStore", "MAX_BLANKS"]
