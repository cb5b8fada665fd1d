# Backprop Explorer: API + static frontend on port 8000, sessions kept in /data (or, with
# BPE_REDIS_URL, in Redis: docker-compose.yml runs two replicas on one Redis).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BPE_HOST=0.0.0.0 \
    BPE_PORT=8000 \
    BPE_DATA_DIR=/data

WORKDIR /app
COPY pyproject.toml README.md LICENSE MANIFEST.in CHANGELOG.md ./
COPY backend ./backend
COPY frontend ./frontend
# the frontend is package data: installed with the package, the source is not needed after
RUN pip install ".[redis]" && rm -rf /app/backend /app/frontend \
    && useradd --create-home --uid 10001 explorer \
    && mkdir -p /data && chown explorer /data

USER explorer
# compile the engine's per-example step (numba) now, into the user's cache, not at first start
RUN python -c "from backprop_explorer.engine import compiled; compiled.warm_up()"
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=2).status != 200)"
CMD ["backprop-explorer"]
