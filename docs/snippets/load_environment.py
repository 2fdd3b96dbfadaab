"""Read any supported version as the latest model: validated, and migrated in memory."""

from envspec import LoadError, load_environment

legacy = {"env_ver": "0.1", "requirements.txt": "numpy==2.1.0\n", "setup.sh": "echo done\n"}
loaded = load_environment(legacy)
print(loaded.source_version, "->", loaded.environment.env_ver, "migrated:", loaded.migrated)
print(sorted((loaded.environment.files or {}).keys()))
print([d.code for d in loaded.diagnostics])  # warnings about the document as written

try:
    load_environment({"env_ver": "1.0", "python": "three"})
except LoadError as error:
    print([d.code for d in error.diagnostics])
