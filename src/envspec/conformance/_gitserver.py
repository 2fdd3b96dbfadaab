"""A small HTTPS git server on 127.0.0.1: git's smart-HTTP backend behind ``http.server``.

Tests and the reference adapter of the cloud role need a repository a deploy service
may clone over ``https``, and one it may push back to.  :class:`GitServer` serves the
bare repositories of a folder (``https://127.0.0.1:PORT/NAME.git``) through ``git
http-backend`` (CGI), over TLS with a self-signed certificate made at start (with the
``cryptography`` package when it is installed, else ``openssl req``).  The certificate
file is its own CA bundle: give it to git as ``GIT_SSL_CAINFO`` (the deploy service's
``git_ca_bundle``).  With a ``token``, a push needs HTTP basic auth whose password is
that token (any user name), as forges take a token, while anyone may fetch (a public
repository; ``private=True``: fetching needs the token too); without a token, anyone
may fetch and push.  :meth:`GitServer.stop` shuts it down and removes its files.

::

    with GitServer() as server:
        url = server.create("project", {"a.ipynb": "..."})
        ...  # GIT_SSL_CAINFO=server.ca_file git clone url
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hmac
import http.server
import ipaddress
import os
import shutil
import socketserver
import ssl
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

__all__ = ["GitServer", "make_certificate"]

_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
}


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, in *folder*:
    ``(certificate, key)``.  The certificate is also the CA bundle that trusts it."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        _with_cryptography(cert, key)
    except ImportError:
        done = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-keyout", str(key), "-out", str(cert)],
            capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"openssl req failed: {done.stderr.strip()[-500:]}") from None
    key.chmod(0o600)
    return cert, key


def _with_cryptography(cert: Path, key: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    root: Path
    token: str | None
    private: bool
    requests_seen: list[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        self.server.requests_seen.append(f"{self.command} {self.path.split('?')[0]}")

    def _user(self) -> str | None:
        """The authenticated user, ``"anonymous"`` without a token; ``None``: refused."""
        token = self.server.token
        pushing = "git-receive-pack" in self.path
        if token is None or not (pushing or self.server.private):
            return "anonymous"
        scheme, _, value = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(password.encode(), token.encode()):
            return None
        return user or "git"

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        body = self._body() if self.command == "POST" else b""
        user = self._user()
        if user is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            **_GIT_ENV,
            "GIT_PROJECT_ROOT": str(self.server.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_USER": user,
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        done = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        )
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status, headers = 200, []
        for raw in head.decode("latin-1").splitlines():
            name, _, value = raw.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        if done.returncode != 0 and not head:
            status, payload = 500, b""
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve


class GitServer:
    """Bare repositories served over HTTPS on 127.0.0.1 (see the module's text)."""

    def __init__(self, token: str | None = None, *, private: bool = False) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="envspec-git-"))
        self.root = self.folder / "repositories"
        self.root.mkdir()
        self.ca_file, key = make_certificate(self.folder)
        server = _Server(("127.0.0.1", 0), _Handler)
        server.root = self.root
        server.token = token
        server.private = private
        server.requests_seen = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server: _Server | None = server
        self.port = server.server_address[1]
        self.base = f"https://127.0.0.1:{self.port}/"
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def requests(self) -> list[str]:
        """``METHOD PATH`` of every request served so far (no query, no credentials)."""
        return list(self._server.requests_seen) if self._server else []

    def create(self, name: str, files: dict[str, str], branch: str = "main") -> str:
        """A new bare repository *name* whose one commit on *branch* holds *files*
        (path -> text); its https URL."""
        bare = self.root / f"{name}.git"
        work = self.folder / f"work-{name}"
        env = {
            **os.environ,
            **_GIT_ENV,
            "GIT_AUTHOR_NAME": "envspec",
            "GIT_AUTHOR_EMAIL": "envspec@example.org",
            "GIT_COMMITTER_NAME": "envspec",
            "GIT_COMMITTER_EMAIL": "envspec@example.org",
        }

        def git(*args: str, cwd: Path) -> None:
            subprocess.run(
                ["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip

        work.mkdir()
        for path, text in files.items():
            target = work / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
        git("init", "-q", "-b", branch, cwd=work)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "first", cwd=work)
        git("init", "-q", "--bare", "-b", branch, str(bare), cwd=self.folder)
        git("config", "http.receivepack", "true", cwd=bare)
        git("push", "-q", str(bare), f"{branch}:{branch}", cwd=work)
        shutil.rmtree(work)
        return f"{self.base}{name}.git"

    def branches(self, name: str) -> dict[str, str]:
        """The branches of repository *name*: branch -> commit."""
        done = subprocess.run(
            ["git", "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads"],
            cwd=self.root / f"{name}.git", env={**os.environ, **_GIT_ENV},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return dict(line.split(" ", 1) for line in done.stdout.splitlines() if line)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            self._thread.join(10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> GitServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with contextlib.suppress(Exception):
            self.stop()
