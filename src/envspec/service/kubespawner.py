"""binder-lite on Kubernetes: :class:`EnvspecKubeSpawner` (KubeSpawner with the envspec mixin).

The envspec service runs in the hub's pod and builds environments into a volume that
the hub's pod and every user's pod mount at the same path (the cache, the service's
checkouts and the kernelspecs it writes: ``/srv/envspec`` in the operator's guide).
A deployment's pod then opens the service's checkout with the kernel registered
there, from the same image as the hub's (the environments' interpreters are found at
the same paths).  Needs ``jupyterhub-kubespawner``.
"""

from __future__ import annotations

from kubespawner import KubeSpawner
from traitlets import default

from envspec.service.spawner import EnvspecSpawnerMixin

__all__ = ["EnvspecKubeSpawner"]


class EnvspecKubeSpawner(EnvspecSpawnerMixin, KubeSpawner):  # type: ignore[misc]
    """KubeSpawner that opens envspec deployments (and notebooks of ``notebook_root``)."""

    @default("cmd")
    def _default_kube_cmd(self) -> list[str]:
        return ["jupyterhub-singleuser"]  # the image's, not the hub process's Python
