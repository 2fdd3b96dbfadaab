"""Migrate a decoded environment; the input is not modified."""

import json

from envspec import MigrationError, migrate

legacy = {
    "env_ver": "0.1",
    "container": "gcr.io/example-project/tf-gpu:1.13",
    "cloud": {"env_name": "example", "handler_url": "https://deploy.example.org", "cloud_ver": 2},
    "owner": "data-team",
}
result = migrate(legacy)
print(result.source, "->", result.target)
print(json.dumps(result.document, indent=1))
for note in result.notes:
    print("note:", note)

try:
    migrate({"env_ver": "0.1", "container": "python:3.12", "python": "3.12"})
except MigrationError as error:
    print(error.code, "-", error.message)
