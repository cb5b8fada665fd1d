"""Everything the server keeps, in Redis, for many processes (`--redis URL`): sessions and
their undo levels, exercises, classes and their answers, and the events (README: Scaling
out with Redis). Needs the `redis` extra (redis-py)."""
from ..stores import ClassRegistryAPI, EventHubAPI, ExerciseStoreAPI, SessionStoreAPI
from .classes import RedisClasses
from .conn import Redis
from .events import RedisEventHub
from .exercises import RedisExercises
from .sessions import RedisSessionStore

__all__ = ["Redis", "RedisClasses", "RedisEventHub", "RedisExercises", "RedisSessionStore"]


def _conforms(s: RedisSessionStore, e: RedisExercises, h: RedisEventHub,
              c: RedisClasses) -> tuple[SessionStoreAPI, ExerciseStoreAPI, EventHubAPI,
                                        ClassRegistryAPI]:
    """(for mypy) the shared stores implement the store interface (stores.py)."""
    return s, e, h, c
