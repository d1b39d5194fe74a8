"""docker-compose.yml: valid for Compose (the validator CI installs) and shaped for a local stack that works."""

import os
import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
APP_SERVICES = ("web", "worker", "beat")
VALIDATOR = "docker-compose"  # Debian's package; .ci/run installs it


def services():
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def healthcheck_command(service):
    test = service["healthcheck"]["test"]
    return test if isinstance(test, str) else " ".join(test)


def validate(path, tmp_path, **env):
    """Run the validator on `path` with exactly `env` (no .env file is read); on a machine without the
    validator, skip (CI installs it, so there it fails)."""
    if shutil.which(VALIDATOR) is None:
        if os.environ.get("CI"):
            pytest.fail(f"{VALIDATOR} is not installed: .ci/run installs it (apt-get install docker-compose).")
        pytest.skip(f"{VALIDATOR} is not installed (apt-get install docker-compose)")
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    base = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [VALIDATOR, "--env-file", str(env_file), "--project-directory", str(ROOT), "-f", str(path), "config", "-q"],
        capture_output=True, text=True, timeout=60, env={**base, **env},
    )


def test_compose_file_is_valid(tmp_path):
    result = validate(COMPOSE_FILE, tmp_path, SECRET_KEY="compose-check")
    assert result.returncode == 0, result.stderr


def test_compose_validation_fails_on_an_invalid_file(tmp_path):
    # The check can fail: an unknown option and a misspelt condition are refused.
    broken = COMPOSE_FILE.read_text().replace("condition: service_healthy", "condition: service_healty", 1)
    broken = broken.replace("\nservices:\n", "\nservices:\n  stray:\n    image: busybox\n    no_such_option: 1\n", 1)
    path = tmp_path / "docker-compose.yml"
    path.write_text(broken)
    result = validate(path, tmp_path, SECRET_KEY="compose-check")
    assert result.returncode != 0
    assert "no_such_option" in result.stderr
    assert "service_healty" in result.stderr


def test_compose_refuses_to_start_without_secret_key(tmp_path):
    result = validate(COMPOSE_FILE, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_every_service_restarts_on_failure():
    assert {name: service.get("restart") for name, service in services().items()} == {
        name: "unless-stopped" for name in services()
    }


def test_healthchecks_probe_each_service_the_right_way():
    checks = {name: healthcheck_command(service) for name, service in services().items() if "healthcheck" in service}
    assert "/api/health/" in checks["web"]
    assert "pg_isready" in checks["db"]
    assert "redis-cli ping" in checks["redis"]
    assert "inspect ping" in checks["worker"]


def test_services_wait_for_their_dependencies_to_be_healthy():
    all_services = services()
    for name, service in all_services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert rule == {"condition": "service_healthy"}, (name, dependency)
            assert "healthcheck" in all_services[dependency], (name, dependency)
    assert set(all_services["web"]["depends_on"]) == {"pgbouncer", "redis"}
    # Workers and beat start once web has migrated the database.
    assert set(all_services["worker"]["depends_on"]) == {"pgbouncer", "redis", "web"}
    assert set(all_services["beat"]["depends_on"]) == {"redis", "web"}


def test_beat_keeps_its_schedule_in_a_volume_the_app_user_owns():
    beat = services()["beat"]
    schedule = PurePosixPath(re.search(r"--schedule[= ](\S+)", beat["command"]).group(1))
    mounts = {PurePosixPath(volume.split(":")[1]) for volume in beat["volumes"]}
    assert schedule.parent in mounts
    # A named volume takes the owner of the image's directory: the Dockerfile makes it the app user's.
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"chown[^\n]*meditrack[^\n]*{re.escape(str(schedule.parent))}", dockerfile)
    assert "USER meditrack" in dockerfile


def test_local_stack_runs_with_debug_off_and_cookies_usable_over_plain_http():
    for name in APP_SERVICES:
        environment = services()[name]["environment"]
        assert environment["DEBUG"] == "off", name
        assert environment["SESSION_COOKIE_SECURE"] == "off", name
        assert environment["CSRF_COOKIE_SECURE"] == "off", name


def test_only_the_api_and_hl7_ports_are_published_and_only_on_loopback():
    published = {name: service.get("ports", []) for name, service in services().items()}
    assert published == {**{name: [] for name in published}, "web": ["127.0.0.1:8000:8000"],
                         "ingest": ["127.0.0.1:8001:8001"], "hl7": ["127.0.0.1:2575:2575"]}
    assert services()["hl7"]["command"] == "python manage.py hl7_listen --host 0.0.0.0"


def test_the_image_carries_gunicorn_conf_so_production_limits_answer_json():
    # gunicorn reads ./gunicorn.conf.py from its working directory (/app) on its own.
    copies = [line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY")]
    assert any("gunicorn.conf.py" in line.split()[1:-1] for line in copies)


def test_the_image_carries_every_project_package():
    # An app in INSTALLED_APPS (or a package setuptools installs) missing from the image fails at startup.
    copied = {line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("COPY")}
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert packages <= copied, sorted(packages - copied)


def test_worker_and_beat_run_the_web_image_with_the_same_settings():
    all_services = services()
    for name in ("worker", "beat"):
        assert all_services[name]["build"] == all_services["web"]["build"], name
        assert all_services[name]["environment"] == all_services["web"]["environment"], name
    assert all_services["worker"]["command"].startswith("celery -A config worker")
    assert all_services["beat"]["command"].startswith("celery -A config beat")
    # One beat only: the worker does not embed another (each job would be sent twice).
    assert "-B" not in all_services["worker"]["command"].split()
    assert "--beat" not in all_services["worker"]["command"]


def test_web_serves_http_and_the_websocket_with_daphne_after_migrating():
    command = services()["web"]["command"]
    migrate, _, serve = command.partition("&&")
    assert "manage.py migrate" in migrate
    serve = serve.strip().removesuffix('"').split()
    assert serve[:2] == ["exec", "daphne"]  # exec: daphne gets the stop signal
    assert serve[-1] == "config.asgi:application"  # ASGI: /api/ and /ws/events/ on the one published port
    assert (serve[serve.index("--bind") + 1], serve[serve.index("--port") + 1]) == ("0.0.0.0", "8000")
    assert "gunicorn" not in command


def test_the_image_runs_daphne_by_default():
    cmd = next(line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD"))
    assert '"daphne"' in cmd and '"config.asgi:application"' in cmd


def test_the_jobs_share_the_webs_redis_so_their_events_reach_the_websocket():
    # Escalations and silent monitors publish from the worker: only a shared Redis channel layer carries
    # them to the clients connected to web.
    all_services = services()
    assert all_services["web"]["environment"]["REDIS_URL"]
    assert all_services["worker"]["environment"]["REDIS_URL"] == all_services["web"]["environment"]["REDIS_URL"]
