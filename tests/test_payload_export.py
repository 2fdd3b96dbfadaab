"""``envspec payload export``: the KubeSpawner profile_list loads into the real KubeSpawner and
renders its profile form; the Nublado fragment matches the schema written from Nublado's docs.

KubeSpawner is constructed offline: a kubeconfig naming a closed local port lets it set up
its (unused) API client; nothing talks to a cluster.
"""

from __future__ import annotations

import asyncio
import html.parser
import io
import json
from pathlib import Path

import pytest
import yaml

from envspec.cli.main import main

PAYLOAD = """\
payload_ver: "1.0"
name: astro
title: Astronomy pipelines
description: The science pipelines stack.
image: {type: docker, registry: ghcr.io, repository: example/astro}
tags: {policy: rsp}
menu:
  recommended: recommended
  prepull: {release: 1, weekly: 2, daily: 1}
  pins: [{tag: w_2024_10}]
lab:
  start: ["/opt/lab/runlab.sh"]
  env:
    HUB_ROUTE: {value: /nb/hub}
    BUTLER_TOKEN: {secret: {store: kubernetes, key: nublado-lab-secret/butler-token}}
  sizes:
    - {name: small, cpu: {request: "0.5", limit: "1"}, memory: {request: 3Gi, limit: 4Gi}}
    - {name: medium, cpu: {request: "1", limit: "2"}, memory: {request: 6Gi, limit: 8Gi}}
    - name: large
      cpu: {request: "2", limit: "4"}
      memory: {request: 12Gi, limit: 16Gi}
      gpu: {count: 1, vendor: nvidia}
  default_size: medium
  volumes:
    - {name: home, mount_path: /home, source: nfs, server: nfs.example.org, path: /share/home}
"""

ML = """\
payload_ver: "1.0"
name: ml
title: Machine learning
image: {type: docker, registry: docker.io, repository: example/ml}
tags: {policy: semver}
menu: {recommended: latest}
"""

A, B = "sha256:" + "a" * 64, "sha256:" + "b" * 64
TAGS = f"""\
recommended {A}
r27_0_0 {A}
w_2024_12 {B}
w_2024_11
w_2024_10
w_2024_09
d_2024_03_20
d_2024_03_19
r26_0_0
"""


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def payload(tmp_path: Path) -> Path:
    path = tmp_path / "astro.payload.yaml"
    path.write_text(PAYLOAD)
    (tmp_path / "tags.txt").write_text(TAGS)
    return path


# ---------------------------------------------------------------- the real KubeSpawner


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


class _Form(html.parser.HTMLParser):
    """The profile radios and each <select>'s options (value, label, selected)."""

    def __init__(self) -> None:
        super().__init__()
        self.profiles: list[tuple[str, bool]] = []
        self.selects: dict[str, list[list[object]]] = {}
        self._select: str | None = None
        self._option: list[object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("name") == "profile":
            self.profiles.append((str(a["value"]), "checked" in a))
        elif tag == "select":
            self._select = str(a["name"])
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self._option = [a["value"], "", "selected" in a]
            self.selects[self._select].append(self._option)

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1] = str(self._option[1]) + data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option":
            self._option = None
        elif tag == "select":
            self._select = None


def _spawner(profile_list: object, **options: str) -> tuple[object, _Form]:
    from kubespawner import KubeSpawner
    from traitlets.config import Config

    async def go() -> tuple[object, _Form]:
        config = Config()
        config.KubeSpawner.profile_list = profile_list
        spawner = KubeSpawner(_mock=True, config=config)
        form = _Form()
        form.feed(spawner.options_form)
        if options:
            formdata = {"profile": [options.pop("profile")]}
            formdata |= {
                f"profile-option-{formdata['profile'][0]}--{k}": [v] for k, v in options.items()
            }
            spawner.user_options = spawner.options_from_form(formdata)
        await spawner.load_user_options()
        return spawner, form

    return asyncio.run(go())


@pytest.mark.usefixtures("offline_kubeconfig")
def test_the_profile_list_renders_in_kubespawner_with_the_menu_in_order(payload):
    status, out, err = run(
        "payload", "export", str(payload), "--to", "kubespawner",
        "--tags", str(payload.parent / "tags.txt"), "--today", "2024-04-01",
    )  # fmt: skip
    assert status == 0, err
    profiles = yaml.safe_load(out)
    spawner, form = _spawner(profiles)
    assert form.profiles == [("astro", True)]
    images = form.selects["profile-option-astro--image"]
    assert [(v, label.strip(), sel) for v, label, sel in images] == [
        ("recommended", "Recommended (Release r27.0.0)", True),
        ("w_2024_12", "Weekly 2024_12", False),
        ("w_2024_11", "Weekly 2024_11", False),
        ("w_2024_10", "Weekly 2024_10", False),
        ("d_2024_03_20", "Daily 2024_03_20", False),
        # The dropdown's other images, in menu order (the tag list makes them exact: no
        # free-text entry), then the names bots ask for.
        ("r27_0_0", "Release r27.0.0", False),
        ("r26_0_0", "Release r26.0.0", False),
        ("w_2024_09", "Weekly 2024_09", False),
        ("d_2024_03_19", "Daily 2024_03_19", False),
        ("latest-release", "latest-release: Release r27.0.0", False),
        ("latest-weekly", "latest-weekly: Weekly 2024_12", False),
        ("latest-daily", "latest-daily: Daily 2024_03_20", False),
    ]
    sizes = form.selects["profile-option-astro--size"]
    assert [(v, sel) for v, _, sel in sizes] == [
        ("small", False),
        ("medium", True),
        ("large", False),
    ]
    assert "Large (4 CPU, 16Gi RAM, 1 GPU)" in [str(label).strip() for _, label, _ in sizes]
    # Nothing chosen: the defaults (recommended image by digest, medium size) are applied.
    assert spawner.image == f"ghcr.io/example/astro:recommended@{A}"
    assert (spawner.cpu_guarantee, spawner.cpu_limit) == (1.0, 2.0)
    assert (spawner.mem_guarantee, spawner.mem_limit) == (6 * 2**30, 8 * 2**30)
    assert spawner.cmd == ["/opt/lab/runlab.sh"]
    assert spawner.environment["HUB_ROUTE"] == "/nb/hub"


@pytest.mark.usefixtures("offline_kubeconfig")
def test_a_chosen_image_and_gpu_size_land_in_the_spawner(payload):
    status, out, _ = run(
        "payload", "export", str(payload), "--to", "kubespawner", "--format", "json"
    )
    assert status == 0
    spawner, form = _spawner(json.loads(out), profile="astro", image="w_2024_10", size="large")
    # Without a tag list: the recommended tag, then the pins.
    assert [v for v, _, _ in form.selects["profile-option-astro--image"]] == [
        "recommended", "w_2024_10", "unlisted-choice",
    ]  # fmt: skip
    assert spawner.image == "ghcr.io/example/astro:w_2024_10"
    assert spawner.cpu_limit == 4.0
    assert spawner.mem_limit == 16 * 2**30
    assert spawner.extra_resource_limits == {"nvidia.com/gpu": "1"}
    assert spawner.volume_mounts == {"home": {"name": "home", "mountPath": "/home"}}


@pytest.mark.usefixtures("offline_kubeconfig")
def test_a_deployment_is_one_profile_per_payload_and_the_python_snippet_runs(tmp_path, payload):
    (tmp_path / "ml.payload.yaml").write_text(ML)
    deployment = tmp_path / "platform.payload.yaml"
    deployment.write_text(
        'payload_ver: "1.0"\nname: platform\ndefault: ml\n'
        "payloads: [{path: astro.payload.yaml}, {path: ml.payload.yaml}]\n"
    )
    status, out, _ = run(
        "payload", "export", str(deployment), "--to", "kubespawner", "--format", "python"
    )
    assert status == 0
    from traitlets.config import Config

    namespace = {"c": Config()}
    exec(compile(out, "jupyterhub_config.py", "exec"), namespace)  # noqa: S102
    spawner, form = _spawner(namespace["c"].KubeSpawner.profile_list)
    assert form.profiles == [("astro", False), ("ml", True)]
    assert spawner.image == "docker.io/example/ml:latest"


REBUILT = (
    PAYLOAD.replace(
        "  pins: [{tag: w_2024_10}]\n",
        "  pins: [{tag: w_2024_10}]\n"
        "  bot_names: {stable: {tag: w_2024_10}, newest: {latest: weekly}}\n",
    ).replace(
        "  volumes:\n",
        "  files:\n"
        '    - {path: /opt/lab/etc/motd, content: "Welcome, it\'s a lab\\n", mode: "0644"}\n'
        "    - path: /etc/butler/secret.yaml\n"
        "      secret: {store: kubernetes, key: butler-secret/config}\n"
        "  volumes:\n",
    )
    + "compatibility:\n"
    '  interface: "2.0"\n'
    '  spawner: ">=3"\n'
    "  images:\n"
    '    - {tag: w_2024_10, interface: "1.0"}\n'
    '    - {tag: w_2024_10_rsp2, interface: "2.0", rebuilds: w_2024_10}\n'
)


@pytest.mark.usefixtures("offline_kubeconfig")
def test_rebuilds_bot_names_and_lab_files_reach_kubespawner(payload):
    payload.write_text(REBUILT)
    status, out, err = run("payload", "export", str(payload), "--to", "kubespawner")
    assert status == 0, err
    assert "export-lossy" in err
    assert "bot_names/newest" in err  # the newest weekly needs a tag list
    assert "compatibility/spawner" in err  # a note: KubeSpawner checks no spawner range
    profiles = yaml.safe_load(out)
    spawner, form = _spawner(profiles, profile="astro", image="w_2024_10")
    # The pinned image has a rebuild for the payload's interface: the rebuild launches.
    assert spawner.image == "ghcr.io/example/astro:w_2024_10_rsp2"
    labels = {v: str(label).strip() for v, label, _ in form.selects["profile-option-astro--image"]}
    assert labels["stable"] == "stable: w_2024_10"
    # A file from a Kubernetes secret is a secret volume mounted at its path ...
    assert spawner.volumes["file-1"]["secret"] == {
        "secretName": "butler-secret", "items": [{"key": "config", "path": "secret.yaml"}],
    }  # fmt: skip
    assert spawner.volume_mounts["file-1"]["mountPath"] == "/etc/butler/secret.yaml"
    # ... and a file with content is written when the lab container starts.
    command = spawner.lifecycle_hooks["postStart"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"]
    import subprocess

    root = payload.parent / "root"
    script = command[2].replace("/opt/lab/etc", f"{root}/opt/lab/etc")
    subprocess.run(["sh", "-c", script], check=True)
    motd = root / "opt" / "lab" / "etc" / "motd"
    assert motd.read_text() == "Welcome, it's a lab\n"
    assert oct(motd.stat().st_mode & 0o777) == "0o644"
    stable, _ = _spawner(profiles, profile="astro", image="stable")
    assert stable.image == "ghcr.io/example/astro:w_2024_10_rsp2"


def test_a_user_typed_image_must_be_of_the_repository(payload):
    import re

    _, out, _ = run("payload", "export", str(payload), "--to", "kubespawner")
    unlisted = yaml.safe_load(out)[0]["profile_options"]["image"]["unlisted_choice"]
    assert re.match(unlisted["validation_regex"], "ghcr.io/example/astro:w_2020_01")
    assert not re.match(unlisted["validation_regex"], "docker.io/evil/astro:latest")


# ---------------------------------------------------------------------------- Nublado


def test_the_nublado_fragment_matches_the_schema_from_nublado_docs(payload):
    import jsonschema

    from envspec.payloads.exports.nublado import schema

    status, out, err = run("payload", "export", str(payload), "--to", "nublado")
    assert status == 0
    value = yaml.safe_load(out)
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.Draft202012Validator(schema()).validate(value)
    images = value["controller"]["config"]["images"]
    assert images["source"] == {
        "type": "docker",
        "registry": "ghcr.io",
        "repository": "example/astro",
    }
    assert (images["numReleases"], images["numWeeklies"], images["numDailies"]) == (1, 2, 1)
    assert images["pin"] == ["w_2024_10"]
    lab = value["controller"]["config"]["lab"]
    assert [s["size"] for s in lab["sizes"]] == ["small", "medium", "large"]
    assert lab["defaultSize"] == "medium"
    assert lab["secrets"] == [
        {"secretName": "nublado-lab-secret", "secretKey": "butler-token", "env": "BUTLER_TOKEN"}
    ]
    # The GPU of 'large' cannot be said: reported with its place, not dropped silently.
    assert "#/lab/sizes/2/gpu: warning[export-lossy]" in err


def test_the_schema_refuses_what_nublado_refuses():
    import jsonschema

    from envspec.payloads.exports.nublado import schema

    bad = {"controller": {"config": {"images": {"source": {"type": "docker", "registry": "x"}},
           "lab": {"sizes": [{"size": "xl", "resources": {}}]}}}}  # fmt: skip
    errors = list(jsonschema.Draft202012Validator(schema()).iter_errors(bad))
    assert errors


@pytest.mark.parametrize("target", ["kubespawner", "nublado"])
def test_a_second_export_is_byte_identical(payload, tmp_path, target):
    first, second = tmp_path / "one.yaml", tmp_path / "two.yaml"
    assert run("payload", "export", str(payload), "--to", target, "-o", str(first))[0] == 0
    assert run("payload", "export", str(payload), "--to", target, "-o", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()


def test_an_unsupported_payload_writes_nothing(tmp_path):
    path = tmp_path / "ml.payload.yaml"
    path.write_text(ML)
    output = tmp_path / "values.yaml"
    status, _out, err = run("payload", "export", str(path), "--to", "nublado", "-o", str(output))
    assert status == 1
    assert not output.exists()
    assert "ml.payload.yaml#/tags/policy: error[export-unsupported]" in err
    assert "Traceback" not in err


def test_a_deployment_of_several_payloads_needs_payload_for_nublado(tmp_path, payload):
    (tmp_path / "ml.payload.yaml").write_text(ML)
    deployment = tmp_path / "platform.payload.yaml"
    deployment.write_text(
        'payload_ver: "1.0"\nname: platform\n'
        "payloads: [{path: astro.payload.yaml}, {path: ml.payload.yaml}]\n"
    )
    status, _, err = run("payload", "export", str(deployment), "--to", "nublado")
    assert status == 1
    assert "--payload NAME" in err
    status, out, _ = run(
        "payload", "export", str(deployment), "--to", "nublado", "--payload", "astro"
    )
    assert status == 0
    assert "example/astro" in out


def test_an_invalid_payload_is_reported_not_exported(tmp_path):
    path = tmp_path / "bad.payload.yaml"
    path.write_text(PAYLOAD.replace('limit: "4"}', 'limit: "1"}'))
    status, out, err = run("payload", "export", str(path), "--to", "kubespawner")
    assert status == 1
    assert out == ""
    assert "bad.payload.yaml#/lab/sizes/2" in err


def test_python_format_is_only_for_kubespawner(payload):
    status, _, err = run("payload", "export", str(payload), "--to", "nublado", "--format", "python")
    assert status == 2
    assert "writes yaml, json" in err


def test_the_tag_list_can_come_from_stdin_and_bad_lines_stop_the_export(payload, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(TAGS))
    status, out, _ = run(
        "payload", "export", str(payload), "--to", "kubespawner", "--tags", "-", "--format", "json"
    )  # fmt: skip
    assert status == 0
    choices = json.loads(out)[0]["profile_options"]["image"]["choices"]
    assert next(iter(choices)) == "recommended"
    monkeypatch.setattr("sys.stdin", io.StringIO("w_2024_12 not-a-digest\n"))
    status, out, err = run("payload", "export", str(payload), "--to", "kubespawner", "--tags", "-")
    assert status == 1
    assert out == ""
    assert "<stdin>:1: error[tag-list-invalid]" in err


def test_google_artifact_registry_and_the_dropdown_filters(tmp_path):
    path = tmp_path / "gar.payload.yaml"
    path.write_text(
        'payload_ver: "1.0"\nname: lab\n'
        "image: {type: google, location: us-central1, project_id: rubin-shared, "
        "repository: sciplat, image: sciplat-lab}\n"
        "tags: {policy: rsp}\n"
        "menu:\n  recommended: recommended\n"
        "  dropdown: {release: {cutoff_version: '27.0'}, weekly: {number: 78}, "
        "experimental: {age: 3w}}\n"
    )
    status, out, err = run("payload", "export", str(path), "--to", "nublado", "--format", "json")
    assert status == 0, err
    config = json.loads(out)["controller"]["config"]
    assert config["images"]["source"] == {
        "type": "google", "location": "us-central1", "projectId": "rubin-shared",
        "repository": "sciplat", "image": "sciplat-lab",
    }  # fmt: skip
    assert config["dropdownMenu"] == {
        "release": {"cutoffVersion": "27.0.0"},
        "weekly": {"number": 78},
        "experimental": {"age": "3w"},
    }
    status, out, err = run("payload", "export", str(path), "--to", "kubespawner")
    image = yaml.safe_load(out)[0]["profile_options"]["image"]
    assert image["choices"]["recommended"]["kubespawner_override"]["image"] == (
        "us-central1-docker.pkg.dev/rubin-shared/sciplat/sciplat-lab:recommended"
    )
    assert "#/menu/dropdown: warning[export-approximate]" in err


@pytest.mark.usefixtures("offline_kubeconfig")
def test_other_image_typed_in_the_form_is_checked_by_kubespawner(payload):
    _, out, _ = run("payload", "export", str(payload), "--to", "kubespawner")
    profiles = yaml.safe_load(out)
    typed = "ghcr.io/example/astro:w_2020_01"
    spawner, _ = _spawner(profiles, profile="astro", **{"image--unlisted-choice": typed})
    assert spawner.image == typed
    with pytest.raises(ValueError, match="failed validation regex"):
        _spawner(profiles, profile="astro", **{"image--unlisted-choice": "docker.io/evil/x:1"})
