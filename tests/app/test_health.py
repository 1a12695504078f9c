"""`/healthz` says the process is up; `/readyz` says whether Redis and PostgreSQL answer."""

from fastapi.testclient import TestClient

from app.main import create_app
from backing_services import Settings
from backing_services.local_processes import free_port


def test_healthz_answers_ok_while_the_process_runs(
    redis_url: str, migrated_database_url: str
) -> None:
    app = create_app(Settings(redis_url=redis_url, database_url=migrated_database_url))

    with TestClient(app) as client:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_redis_and_postgres_both_answer(
    redis_url: str, migrated_database_url: str
) -> None:
    app = create_app(Settings(redis_url=redis_url, database_url=migrated_database_url))

    with TestClient(app) as client:
        response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "redis": "ok", "postgres": "ok"}


def test_readyz_is_503_and_names_redis_when_redis_does_not_answer(
    migrated_database_url: str,
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    app = create_app(Settings(redis_url=closed, database_url=migrated_database_url))

    with TestClient(app) as client:
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["postgres"] == "ok"
    assert body["redis"].startswith("unreachable: ")
