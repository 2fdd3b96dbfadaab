"""binder-lite on Kubernetes, on paper: the operator guide's zero-to-jupyterhub values
(``docs/examples/binder-lite-values.yaml``) are rendered into the hub's configuration
as the chart does (``hub.config`` is traitlets configuration, ``hub.extraConfig``
snippets run against it), and the real KubeSpawner, with the envspec mixin, makes the
pod of a deployment: the service's checkout opened with the kernel it registered on the
shared volume.

KubeSpawner is constructed offline: a kubeconfig naming a closed local port lets it set
up its (unused) API client; nothing talks to a cluster.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from traitlets.config import Config
from traitlets.config.loader import LazyConfigValue
from traitlets.utils.importstring import import_item

from envspec.service.spawner import SpawnError
from envspec.service.store import Store

VALUES = Path(__file__).parent.parent / "docs" / "examples" / "binder-lite-values.yaml"


@pytest.fixture
def offline_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\n"
        "clusters: [{name: offline, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "contexts: [{name: offline, context: {cluster: offline, user: offline}}]\n"
        "current-context: offline\nusers: [{name: offline, user: {token: unused}}]\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


def render(values: dict[str, Any]) -> Config:
    """The hub's configuration from the chart's values: ``hub.config``, then each
    ``hub.extraConfig`` snippet (in the order of their names, as the chart runs them)."""
    config = Config(values["hub"]["config"])
    for _, snippet in sorted(values["hub"].get("extraConfig", {}).items()):
        exec(compile(snippet, "extraConfig", "exec"), {"c": config, "get_config": lambda: config})  # noqa: S102
    return config


def listed(value: Any) -> list[Any]:
    """A list setting as the hub sees it (``append`` on an unset one is recorded lazily)."""
    return list(value.get_value([]) if isinstance(value, LazyConfigValue) else value)


class _User:
    def __init__(self, name: str) -> None:
        self.name = name
        self.id = 7
        self.url = f"/user/{name}/"
        self.escaped_name = name


def test_values_render_into_a_hub_with_the_envspec_service() -> None:
    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    config = render(values)

    # the envspec service: managed by the hub, reached by the proxy at the hub's Service
    (service,) = [s for s in listed(config.JupyterHub.services) if s["name"] == "envspec"]
    assert service["url"] == "http://hub:8585"
    assert service["environment"]["ENVSPEC_BIND"] == "0.0.0.0:8585"
    assert service["environment"]["ENVSPEC_DATABASE_URL"].startswith("postgresql://")
    assert service["command"][1:] == ["-m", "envspec.service.hub"]
    # ... which the chart exposes and lets the proxy reach
    assert {"name": "envspec", "port": 8585, "targetPort": 8585} in values["hub"]["service"][
        "extraPorts"
    ]
    assert values["hub"]["networkPolicy"]["ingress"][0]["ports"] == [{"port": 8585}]
    # the chart's culler, not a second one
    assert not [s for s in listed(config.JupyterHub.services) if s["name"] == "idle-culler"]
    assert values["cull"]["enabled"] is True
    # people use the service: its scope joins the user role; the service may start servers
    roles = {r["name"]: r for r in listed(config.JupyterHub.load_roles)}
    assert "access:services!service=envspec" in roles["user"]["scopes"]
    assert "servers" in roles["envspec-service"]["scopes"]
    assert config.JupyterHub.allow_named_servers is True
    # a real database on the hub's side too
    assert values["hub"]["db"]["type"] == "postgres"


@pytest.mark.usefixtures("offline_kubeconfig")
def test_the_real_kubespawner_makes_the_pod_of_a_deployment(tmp_path: Path) -> None:
    from kubespawner import KubeSpawner

    values = yaml.safe_load(VALUES.read_text(encoding="utf-8"))
    config = render(values)
    spawner_class = import_item(config.JupyterHub.spawner_class)
    assert issubclass(spawner_class, KubeSpawner)

    # GIVEN a deployment of alice that the service launched: its checkout and the kernel it
    # registered are on the shared volume (a local folder here; SQLite for PostgreSQL,
    # the same URL scheme)
    shared = tmp_path / "srv-envspec"
    checkout = shared / "service" / "deployments" / "d1"
    checkout.mkdir(parents=True)
    (checkout / "index.ipynb").write_text("{}", encoding="utf-8")
    kernels = shared / "service" / "kernels" / "d1"
    (kernels / "kernels" / "probe-env").mkdir(parents=True)
    (kernels / "kernels" / "probe-env" / "kernel.json").write_text(
        json.dumps({"argv": ["/srv/envspec/cache/envs/x/bin/python"], "display_name": "p"})
    )
    database = f"sqlite:///{tmp_path / 'envspec.sqlite'}"
    store = Store(database)
    record = store.create("alice", {"type": "git", "url": "https://example.org/a.git"})
    hub_state = {
        "folder": str(checkout),
        "notebook": "index.ipynb",
        "kernel": "probe-env",
        "kernels": str(kernels),
    }
    store.update(record.id, status="launching", state={"hub": hub_state})
    store.close()
    config.EnvspecSpawnerMixin.database_url = database

    async def pod(user: str) -> Any:
        spawner = spawner_class(_mock=True, config=config, user=_User(user))
        spawner.user_options = {"envspec_deployment": record.id}
        launchable = await spawner.envspec_launchable()
        spawner.envspec_open(launchable)
        return spawner, await spawner.get_pod_manifest()

    # WHEN the hub's KubeSpawner makes alice's pod for it
    spawner, manifest = asyncio.run(pod("alice"))

    # THEN the pod runs the image's single-user server, opening the notebook of the
    # checkout with the registered kernel preselected, the shared volume mounted
    (container,) = manifest.spec.containers
    assert container.image == "ghcr.io/example/binder-lite:1.0"
    assert container.args[0] == "jupyterhub-singleuser"
    assert "--MultiKernelManager.default_kernel_name=probe-env" in container.args
    assert "--allow-root" not in container.args
    env = {e.name: e.value for e in container.env}
    assert env["JUPYTERHUB_ROOT_DIR"] == str(checkout)
    assert env["JUPYTERHUB_DEFAULT_URL"] == "/lab/tree/index.ipynb"
    assert env["JUPYTER_PATH"].split(":")[0] == str(kernels)  # in place, on the volume
    mounts = {m.mount_path: m.name for m in container.volume_mounts}
    assert mounts["/srv/envspec"] == "envspec"
    assert spawner.cache_dir == "/srv/envspec/cache"

    # WHEN bob asks for alice's deployment
    # THEN there is no such deployment for him
    with pytest.raises(SpawnError, match=f"no deployment {record.id} of bob"):
        asyncio.run(pod("bob"))
