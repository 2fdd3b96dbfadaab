"""``envspec serve``: the hub configuration it writes, and what it refuses before starting
anything (no proxy installed, a port in use, a missing --config, bad numbers)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from traitlets.config.loader import LazyConfigValue, PyFileConfigLoader

from envspec.service.embedded import ServeOptions, write_config


def load(path: Path) -> object:
    """The configuration as JupyterHub loads the file (its own loader, ``get_config``,
    ``load_subconfig``)."""
    loader = PyFileConfigLoader(path.name, path=str(path.parent))
    return loader.load_config()


def listed(value: object) -> list:
    return list(value.get_value([]) if isinstance(value, LazyConfigValue) else value)  # type: ignore[arg-type]


def test_the_configuration_is_one_machine_on_loopback(tmp_path: Path) -> None:
    # WHEN envspec serve writes its configuration
    options = ServeOptions(state_dir=tmp_path / "state", port=8123, idle_timeout=900)
    path = write_config(options)
    c = load(path)

    # THEN the hub, its proxy and the service listen on 127.0.0.1 only, with SQLite
    assert c.JupyterHub.ip == "127.0.0.1"
    assert c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.JupyterHub.port == 8123
    assert c.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    assert c.JupyterHub.db_url == f"sqlite:///{(tmp_path / 'state').resolve()}/jupyterhub.sqlite"
    services = {s["name"]: s for s in listed(c.JupyterHub.services)}
    assert services["envspec"]["url"].startswith("http://127.0.0.1:")
    assert services["envspec"]["environment"]["ENVSPEC_DATABASE_URL"].startswith("sqlite:///")
    assert services["idle-culler"]["command"][-2:] == ["--timeout=900", "--cull-every=300"]
    assert c.JupyterHub.spawner_class.endswith("EnvspecSimpleLocalProcessSpawner")
    assert c.JupyterHub.default_url == "/services/envspec/"
    # the first admin's password is the file's, readable by its owner only
    password = (tmp_path / "state" / "admin-password").read_text().strip()
    assert c.SharedPasswordAuthenticator.admin_password == password
    assert (tmp_path / "state" / "admin-password").stat().st_mode & 0o077 == 0
    assert (tmp_path / "state").stat().st_mode & 0o077 == 0

    # WHEN it is written again
    before = {p.name: p.read_bytes() for p in (tmp_path / "state").iterdir()}
    write_config(options)
    # THEN no byte changes (the password and the internal ports are kept)
    assert {p.name: p.read_bytes() for p in (tmp_path / "state").iterdir()} == before


def test_an_operators_configuration_comes_first_and_envspec_adds_to_it(tmp_path: Path) -> None:
    # GIVEN an operator's configuration with a role of its own for users
    mine = tmp_path / "mine.py"
    mine.write_text(
        "c = get_config()  # noqa: F821\n"
        "c.JupyterHub.authenticator_class = 'dummy'\n"
        "c.JupyterHub.load_roles = [{'name': 'user', 'scopes': ['self', 'read:groups']}]\n"
        "c.Spawner.mem_limit = '2G'\n"
    )
    # WHEN envspec serve loads it
    c = load(write_config(ServeOptions(state_dir=tmp_path / "state", config=mine)))
    # THEN its settings hold, and envspec's service and access scope are added
    assert c.JupyterHub.authenticator_class == "dummy"
    assert c.Spawner.mem_limit == "2G"
    roles = {r["name"]: r for r in listed(c.JupyterHub.load_roles)}
    assert roles["user"]["scopes"] == [
        "self", "read:groups", "access:services!service=envspec",
    ]  # fmt: skip
    assert "servers" in roles["envspec-service"]["scopes"]


def test_a_missing_config_file_is_refused_before_anything_is_written(
    tmp_path: Path, run_cli
) -> None:
    state = tmp_path / "state"
    result = run_cli("serve", "--state-dir", state, "--config", tmp_path / "nope.py")
    assert result.code == 1
    assert f"--config {tmp_path / 'nope.py'}: no such file" in result.err
    assert "hint:" in result.err
    assert not state.exists()


def test_a_port_in_use_is_refused(tmp_path: Path, run_cli) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = run_cli("serve", "--state-dir", tmp_path / "s", "--port", str(port))
    assert result.code == 1
    assert f"port {port} of 127.0.0.1 is already in use" in result.err
    assert not (tmp_path / "s").exists()


def test_without_the_proxy_it_says_how_to_install_it(
    tmp_path: Path, run_cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run_cli("serve", "--state-dir", tmp_path / "s")
    assert result.code == 1
    assert "configurable-http-proxy is not installed" in result.err
    assert "npm install -g configurable-http-proxy" in result.err
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "0"], "--port 0 is not a port number"),
        (["--port", "70000"], "--port 70000 is not a port number"),
        (["--idle-timeout", "-5"], "--idle-timeout must be 0 (never) or a number of seconds"),
    ],
)
def test_bad_numbers_are_usage_errors(
    tmp_path: Path, run_cli, args: list[str], message: str
) -> None:
    result = run_cli("serve", "--state-dir", tmp_path / "s", *args)
    assert result.code == 2
    assert message in result.err
    assert not (tmp_path / "s").exists()


def test_help_names_every_option(run_cli) -> None:
    result = run_cli("serve", "--help")
    assert result.code == 0
    for option in (
        "--port", "--state-dir", "--config", "--db", "--idle-timeout",
        "--allow-local-repositories", "--index-url", "--find-links", "--no-index",
    ):  # fmt: skip
        assert option in result.out
    assert "npm install -g configurable-http-proxy" in result.out


DOCS = Path(__file__).parent.parent / "docs" / "examples"


def test_the_guides_snippet_adds_envspec_to_an_existing_hub() -> None:
    # WHEN the operator guide's snippet is a hub's configuration
    c = load(DOCS / "add-envspec.py")
    # THEN the hub runs the service with its settings file, the spawner opens deployments,
    # and people land on the deploy page
    (service,) = [s for s in listed(c.JupyterHub.services) if s["name"] == "envspec"]
    assert service["environment"]["ENVSPEC_SERVICE_CONFIG"] == "/etc/envspec/service.toml"
    assert service["environment"]["ENVSPEC_PUBLIC_URL"] == "https://hub.example.org"
    assert c.JupyterHub.spawner_class == "envspec.service.spawner.EnvspecLocalProcessSpawner"
    assert c.JupyterHub.default_url == "/services/envspec/"
    assert c.JupyterHub.allow_named_servers is True
    assert c.EnvspecSpawnerMixin.database_url == "sqlite:////var/lib/envspec/deployments.sqlite"
    assert [s["name"] for s in listed(c.JupyterHub.services)] == ["envspec", "idle-culler"]


def test_the_guides_service_settings_load() -> None:
    from envspec.service.config import load_config

    config = load_config(DOCS / "service.toml")
    assert config.trusted_repositories == ("https://github.com/my-lab/*",)
    assert config.max_concurrent_builds == 2
    assert str(config.data_dir) == "/var/lib/envspec/service"
