"""Export a payload to KubeSpawner's profile_list from Python, with a tag list for the menu."""

import tempfile
from pathlib import Path

from envspec.payloads.exports import export, load, render, with_tags

PAYLOAD = """\
payload_ver: "1.0"
name: astro
title: Astronomy pipelines
image: {type: docker, registry: ghcr.io, repository: example/astro}
tags: {policy: rsp}
menu: {recommended: recommended, prepull: {release: 1, weekly: 1}}
lab:
  sizes:
    - {name: small, cpu: {request: "0.5", limit: "1"}, memory: {request: 3Gi, limit: 4Gi}}
"""
DIGEST = "sha256:" + "a" * 64
TAGS = f"recommended {DIGEST}\nr27_0_0 {DIGEST}\nw_2024_12\nw_2024_11\n"

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder, "astro.payload.yaml")
    path.write_text(PAYLOAD)
    offer, problems = load(str(path))
    if offer is None:
        raise SystemExit(f"not exported: {problems}")
    offer, problems = with_tags(offer, TAGS, "tags.txt")
    result = export(offer, "kubespawner")
    for payload, finding in result.findings:
        print(f"{payload}: {finding.code}: {finding.message}")
    print(render(result, "yaml"), end="")
