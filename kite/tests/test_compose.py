"""compose.yaml is valid Compose and describes Kite's production shape (docs/requirements.md, Production shape)."""

import json
import subprocess
import sys
from pathlib import Path

import check_jsonschema
import jsonschema
import yaml
from django.conf import settings

COMPOSE = yaml.safe_load((settings.BASE_DIR / "compose.yaml").read_text())
APP_SERVICES = ["migrate", "web", "worker"]


def compose_schema() -> dict:
    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / "compose-spec.json"
    return json.loads(path.read_text())


def test_compose_file_matches_the_compose_specification():
    """Production shape: compose.yaml validates against the Compose specification's JSON schema."""
    jsonschema.validate(COMPOSE, compose_schema())


def test_compose_schema_check_rejects_a_broken_file():
    """The validation above would catch a mistake: an unknown service key fails the schema."""
    broken = {**COMPOSE, "services": {**COMPOSE["services"], "web": {**COMPOSE["services"]["web"], "comand": "x"}}}
    try:
        jsonschema.validate(broken, compose_schema())
    except jsonschema.ValidationError:
        return
    raise AssertionError("a misspelt service key passed validation")


def test_compose_has_every_part_of_the_production_shape():
    """Production shape: postgres, an S3 store, valkey, web (gunicorn), worker (rundramatiq), a one-shot migrate."""
    services = COMPOSE["services"]
    assert {"postgres", "s3", "valkey", "web", "worker", "migrate"} <= set(services)
    assert services["web"]["command"][0] == "gunicorn"
    assert "rundramatiq" in services["worker"]["command"]
    assert services["migrate"]["restart"] == "no"
    assert "-s3.config=/etc/seaweedfs/s3.json" in services["s3"]["command"]
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_app_services_share_one_environment_naming_every_setting():
    """Production shape: web, worker and migrate are configured through the same environment variables."""
    environments = [COMPOSE["services"][name]["environment"] for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments)
    for variable in (
        "DATABASE_URL",
        "S3_ENDPOINT_URL",
        "S3_PUBLIC_ENDPOINT_URL",
        "S3_BUCKET",
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
        "S3_REGION",
        "BROKER_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
    ):
        assert variable in environments[0]


def test_gunicorn_run_from_the_project_root_reads_kites_settings():
    """compose's image, `make run` and `make bench` all start gunicorn in the project's root, where it reads
    gunicorn.conf.py: a bulk action over 10,000 documents (about 17 s here) must not meet gunicorn's default
    30-second timeout, which kills the worker and rolls the action back."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    printed = subprocess.run(
        [str(gunicorn), "--print-config", "kite.wsgi"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    config = {name.strip(): value.strip() for name, value in (line.split("=", 1) for line in printed.splitlines())}
    assert config["config"] == "./gunicorn.conf.py"
    assert int(config["timeout"]) > 30
