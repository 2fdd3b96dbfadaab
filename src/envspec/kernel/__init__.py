"""A kernel for any Jupyter: each notebook runs in the environment it declares.

``envspec kernel install`` writes a kernelspec (:mod:`envspec.kernel.spec`)
whose kernel provisioner (:class:`envspec.kernel.provisioner.EnvspecProvisioner`,
entry point ``envspec-provisioner`` of the ``jupyter_client.kernel_provisioners``
group) finds the notebook of each kernel start, creates or reuses its
environment (:mod:`envspec.kernel.resolve`) and starts ipykernel inside it.
When it cannot, the report kernel (:mod:`envspec.kernel.report`) says why in
the notebook.  jupyter_client is imported only by the provisioner.
"""

from __future__ import annotations

from envspec.kernel.spec import (
    DEFAULT_DISPLAY_NAME,
    DEFAULT_NAME,
    PROVISIONER_NAME,
    KernelspecError,
    ProvisionerConfig,
    install_kernelspec,
    kernels_dir,
    remove_kernelspec,
)

__all__ = [
    "DEFAULT_DISPLAY_NAME",
    "DEFAULT_NAME",
    "PROVISIONER_NAME",
    "KernelspecError",
    "ProvisionerConfig",
    "install_kernelspec",
    "kernels_dir",
    "remove_kernelspec",
]
