# syntax=docker/dockerfile:1
# One image for every process kind: the command picks it (serve, worker, migrate, demo, ...).
# docker-compose.yml runs PostgreSQL, Redis, a one-shot `migrate`, `serve` and `worker` from it.

# Build stage: install the project and its dependencies into a virtualenv that the runtime
# stage copies, so the source tree and pip's build leftovers stay out of the final image.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python -m venv /opt/orderwatch
ENV PATH=/opt/orderwatch/bin:$PATH
WORKDIR /src
COPY . .
RUN pip install .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/orderwatch/bin:$PATH \
    ORDERWATCH_HOST=0.0.0.0
RUN groupadd --system --gid 10001 orderwatch \
    && useradd --system --uid 10001 --gid orderwatch --home-dir /var/lib/orderwatch \
        --create-home --shell /usr/sbin/nologin orderwatch
COPY --from=build /opt/orderwatch /opt/orderwatch
# The working directory is where the zero-setup SQLite default (`orderwatch demo`) writes.
WORKDIR /var/lib/orderwatch
USER 10001:10001

EXPOSE 8050
# For `serve`. Compose overrides it for `worker` (no port) and turns it off for `migrate`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8050/healthz', timeout=4)"]

ENTRYPOINT ["orderwatch"]
CMD ["serve"]
