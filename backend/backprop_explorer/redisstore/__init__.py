"""Everything the server keeps, in Redis, for many processes (`--redis URL`): sessions and
their undo levels, exercises, classes and their answers, and the events (README: Scaling
out with Redis). Needs the `redis` extra (redis-py)."""
from .conn import Redis
from .events import RedisEventHub
from .exercises import RedisExercises
from .sessions import RedisSessionStore

__all__ = ["Redis", "RedisEventHub", "RedisExercises", "RedisSessionStore"]
