# One image for every process of the compose demo (api, worker, relay, migrate, ...).
# Build stage: install the project and its dependencies into a virtual environment.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY . .
# -c: the pinned versions the test suite passed on (pyproject.toml only gives ranges).
RUN /opt/venv/bin/pip install --no-cache-dir -c requirements.lock .

# Final stage: only the installed environment is copied in (no wheels, no build tools), a non-root user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH
RUN useradd --create-home --uid 10001 app
COPY --from=build /opt/venv /opt/venv
USER app
WORKDIR /home/app
EXPOSE 8000
CMD ["python", "-m", "app"]
