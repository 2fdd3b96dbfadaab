# An existing hub's jupyterhub_config.py: add binder-lite (the envspec deploy service).
from envspec.service.embedded import add_envspec

c = get_config()  # noqa: F821 - JupyterHub's configuration loader provides it

# Servers open deployments: the envspec mixin over the hub's spawner (system accounts
# here; EnvspecSimpleLocalProcessSpawner for one account, EnvspecKubeSpawner on Kubernetes).
c.JupyterHub.spawner_class = "envspec.service.spawner.EnvspecLocalProcessSpawner"
# After signing in, people land on the deploy page.
c.JupyterHub.default_url = "/services/envspec/"
# Pushing back with the person's forge token: OAuthenticator keeps it in auth_state
# (set JUPYTERHUB_CRYPT_KEY in the hub's environment).
c.Authenticator.enable_auth_state = True

add_envspec(
    c,
    service_config="/etc/envspec/service.toml",
    database_url="sqlite:////var/lib/envspec/deployments.sqlite",
    public_url="https://hub.example.org",
    idle_timeout=3600,
)
