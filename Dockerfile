FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY config ./config
COPY core ./core
COPY organisation ./organisation
COPY accounts ./accounts
COPY clinical ./clinical
COPY devices ./devices
COPY workorders ./workorders
COPY maintenance ./maintenance
COPY spareparts ./spareparts
COPY monitoring ./monitoring
COPY dashboard ./dashboard
COPY reports ./reports
COPY notifications ./notifications
COPY events ./events
COPY demo ./demo
COPY audit ./audit
COPY fhir ./fhir
COPY webhooks ./webhooks
COPY locale ./locale
COPY manage.py gunicorn.conf.py ./
# The app user owns what it writes: uploads, and Celery beat's schedule (a named volume mounted on
# either directory takes its owner from here).
RUN pip install . && useradd --create-home meditrack \
    && mkdir -p /app/media /var/lib/meditrack/beat && chown meditrack /app/media /var/lib/meditrack/beat

# collectstatic needs a key but no secrets: the build-time key is thrown away.
RUN DEBUG=off SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput

USER meditrack
EXPOSE 8000
# ASGI: the API and the live-events WebSocket (/ws/events/) on one port. gunicorn.conf.py (workers, threads,
# timeouts: docs/scaling.md) serves the HTTP-only (WSGI) pools, such as docker-compose's `ingest`:
# `gunicorn config.wsgi:application` serves no WebSocket (docs/events.md).
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--access-log", "-", "config.asgi:application"]
