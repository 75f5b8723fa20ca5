"""The production topology of the README (运行在生产环境), tested: the systemd units and the nginx site
under deploy/ are checked by systemd and nginx themselves, and a case goes its whole way through nginx
(TLS), `pingan serve` (gunicorn), `pingan worker` and the database, on loopback."""

import configparser
import datetime
import http.client
import ipaddress
import os
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management import get_commands, load_command_class

from pingan.accounts.models import ApiToken

from . import realserver
from .conftest import JPEG, case_body
from .realserver import REPO, Running, free_port, pingan_command, serve, server_environment, server_rows

DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
INSTALLED_PINGAN = "/opt/pingan/.venv/bin/pingan"
# Named by the deployment but not (yet) in the code; empty now that backup and PINGAN_HTTPS exist.
FROM_OTHER_BRANCHES: set[str] = set()


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  (systemd keys are case-sensitive)
    parser.read(path, encoding="utf-8")
    return parser


def _pingan_runs(path: Path) -> list[list[str]]:
    """The argument lists of every pingan command the unit runs."""
    service = _unit(path)["Service"]
    return [shlex.split(service[key]) for key in ("ExecStartPre", "ExecStart") if key in service]


def test_every_unit_runs_a_real_pingan_command_with_valid_arguments():
    commands = get_commands()
    assert not FROM_OTHER_BRANCHES & set(commands), "merged: remove it from FROM_OTHER_BRANCHES"
    services = [p for p in UNITS if p.suffix == ".service"]
    timers = [p for p in UNITS if p.suffix == ".timer"]
    named = set()
    for path in services:
        service = _unit(path)["Service"]
        assert service["EnvironmentFile"] == "/etc/pingan/pingan.env" and service["User"] == "pingan"
        for program, name, *args in _pingan_runs(path):
            assert program == INSTALLED_PINGAN, path.name
            named.add(name)
            if name in FROM_OTHER_BRANCHES:
                continue
            assert name in commands, f"{path.name}: pingan {name} does not exist"
            load_command_class(commands[name], name).create_parser("pingan", name).parse_args(args)
    assert {"serve", "worker", "sweep", "purge", "backup", "migrate"} <= named
    # Every timer starts its service, and every one-shot service has its timer.
    assert {p.stem for p in timers} == {p.stem for p in services if _unit(p)["Service"]["Type"] == "oneshot"}
    for path in timers:
        assert _unit(path)["Timer"]["OnCalendar"]
    assert _unit(DEPLOY / "systemd" / "pingan-sweep.timer")["Timer"]["OnCalendar"] == "*:0/5"


def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify` parses every unit and timer as systemd will (it insists that the
    program exists, so the copies run the pingan of this checkout)."""
    for path in UNITS:
        text = path.read_text("utf-8").replace(INSTALLED_PINGAN, pingan_command()[0])
        (tmp_path / path.name).write_text(text, "utf-8")
    checked = subprocess.run(  # noqa: S603
        [shutil.which("systemd-analyze") or "systemd-analyze", "verify", *sorted(tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


def _environment_file() -> dict[str, str]:
    lines = (DEPLOY / "pingan.env.example").read_text("utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_environment_file_sets_only_what_pingan_reads():
    read = set()
    for path in (REPO / "pingan").rglob("*.py"):
        read |= set(re.findall(r"\bPINGAN_[A-Z_]+\b", path.read_text("utf-8")))
    env = _environment_file()
    unknown = {name for name in env if name.startswith("PINGAN_")} - read - FROM_OTHER_BRANCHES
    assert not unknown
    assert {"DATABASE_URL", "PINGAN_SECRET_KEY", "PINGAN_FIELD_KEY", "PINGAN_RECEIPT_KEY"} <= set(env)
    assert env["PINGAN_HTTPS"] == "true"
    assert env["PINGAN_CLIENT_ADDRESS_HEADER"] == "HTTP_X_REAL_IP" and env["PINGAN_TRUSTED_PROXY_HOPS"] == "1"


def _site() -> str:
    return (DEPLOY / "nginx" / "pingan.conf").read_text("utf-8")


def test_the_nginx_site_refuses_what_pingan_would_refuse_and_sets_the_client_headers():
    size = re.search(r"client_max_body_size (\d+)m;", _site())
    assert size and int(size.group(1)) * 1024 * 1024 == settings.PINGAN_MAX_BODY_BYTES
    assert int(_environment_file()["PINGAN_MAX_BODY_BYTES"]) == settings.PINGAN_MAX_BODY_BYTES
    for header in ("X-Real-IP $remote_addr", "X-Forwarded-For $proxy_add_x_forwarded_for"):
        assert f"proxy_set_header {header};" in _site()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in _site()
    assert "access_log off;" in _site()
    assert "location /static" not in _site()  # WhiteNoise serves them, with its cache headers


def _certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class Nginx:
    """deploy/nginx/pingan.conf under a real nginx, on loopback ports, with a test certificate: the
    site as written, only its addresses, ports and certificate paths changed."""

    def __init__(self, tmp_path: Path, app_port: int):
        self.dir = tmp_path / "nginx"
        self.dir.mkdir()
        self.cert, key = _certificate(self.dir)
        self.http_port, self.https_port = free_port(), free_port()
        site = (
            _site()
            .replace("listen [::]:80;", "")
            .replace("listen [::]:443 ssl http2;", "")
            .replace("listen 80;", f"listen 127.0.0.1:{self.http_port};")
            .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{self.https_port} ssl http2;")
            .replace("/etc/ssl/pingan/fullchain.pem", str(self.cert))
            .replace("/etc/ssl/pingan/privkey.pem", str(key))
            .replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
        )
        (self.dir / "pingan.conf").write_text(site, "utf-8")
        temp = " ".join(
            f"{kind}_temp_path {self.dir}/{kind};" for kind in ("proxy", "fastcgi", "uwsgi", "scgi")
        )
        (self.dir / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")  # its workers must read the test's files
            + f"worker_processes 1;\npid {self.dir}/nginx.pid;\nevents {{ worker_connections 64; }}\n"
            f"http {{ include /etc/nginx/mime.types; client_body_temp_path {self.dir}/body; {temp}\n"
            f"include {self.dir}/pingan.conf; }}\n",
            "utf-8",
        )
        self.args = [
            shutil.which("nginx") or "/usr/sbin/nginx",
            *("-p", str(self.dir), "-c", str(self.dir / "nginx.conf"), "-e", str(self.dir / "error.log")),
        ]

    def test(self) -> subprocess.CompletedProcess:
        return subprocess.run([*self.args, "-t"], capture_output=True, text=True, timeout=30, check=False)  # noqa: S603

    def __enter__(self) -> "Nginx":
        self.process = subprocess.Popen([*self.args, "-g", "daemon off;"], start_new_session=True)  # noqa: S603
        deadline = time.monotonic() + 15
        while not (self.dir / "nginx.pid").exists():
            assert self.process.poll() is None and time.monotonic() < deadline, (
                self.dir / "error.log"
            ).read_text()
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGQUIT)  # graceful stop
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def _connection(self) -> http.client.HTTPSConnection:
        context = ssl.create_default_context(cafile=str(self.cert))
        return http.client.HTTPSConnection("127.0.0.1", self.https_port, timeout=30, context=context)

    def refuses_by_length(self, length: int, headers: dict[str, str]) -> int:
        """The status of a POST that announces `length` bytes and sends none of them."""
        conn = self._connection()
        try:
            conn.putrequest("POST", "/api/v1/cases")
            for name, value in {**headers, "Content-Type": "application/json"}.items():
                conn.putheader(name, value)
            conn.putheader("Content-Length", str(length))
            conn.endheaders()
            return conn.getresponse().status
        finally:
            conn.close()

    def request(self, method: str, path: str, body=None, headers=None, files=None) -> tuple[int, dict | str]:
        sent = dict(headers or {})
        if files is not None:
            body, sent["Content-Type"] = _multipart(files)
        return realserver.request(self.https_port, method, path, body, sent, connect=self._connection)


def _multipart(fields: dict[str, tuple[str, bytes] | str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        if isinstance(value, tuple):
            filename, content = value
            head = f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            head += "Content-Type: application/octet-stream\r\n"
        else:
            head, content = f'Content-Disposition: form-data; name="{name}"\r\n', value.encode()
        parts.append(f"--{boundary}\r\n{head}\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_nginx_accepts_the_site(tmp_path):
    result = Nginx(tmp_path, free_port()).test()
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_case_goes_its_whole_way_through_nginx_gunicorn_and_the_worker(county, tmp_path):
    """nginx (TLS) → `pingan serve` → the database (PostgreSQL, or SQLite on the SQLite run), and
    `pingan worker` beside them: a case is created, accepted, dispatched, signed, resolved with
    evidence and checked over HTTPS, and the lead unit's handler reads the dispatch notice the worker
    wrote, through the API."""
    tokens = {}
    for role in ("dispatcher", "handler", "supervisor"):
        tokens[role] = {"Authorization": f"Bearer {ApiToken.issue(county.users[role], name='topology')[1]}"}
    unit = county.town_unit(county.towns[0], "centre").code
    env = server_environment(tmp_path)
    started = time.monotonic()
    with (
        serve(env, tmp_path, workers=2) as (_server, port),
        Running(["worker", "--interval", "0.2"], env, tmp_path, "worker") as worker,
        Nginx(tmp_path, port) as nginx,
    ):

        def act(role: str, number: str, action: str, body: dict) -> dict:
            status, answer = nginx.request(
                "POST", f"/api/v1/cases/{number}/actions/{action}", body, tokens[role]
            )
            assert status == 200, (action, status, answer)
            assert isinstance(answer, dict)
            return answer

        status, created = nginx.request("POST", "/api/v1/cases", case_body(county), tokens["dispatcher"])
        assert status == 201 and isinstance(created, dict), created
        number = created["number"]
        act("dispatcher", number, "accept", {})
        act("dispatcher", number, "dispatch", {"lead_unit": unit})
        act("handler", number, "sign", {})
        status, evidence = nginx.request(
            "POST",
            f"/api/v1/cases/{number}/attachments",
            headers=tokens["handler"],
            files={"file": ("photo.jpg", JPEG), "kind": "evidence"},
        )
        assert status == 201 and isinstance(evidence, dict), evidence
        resolve = {"outcome": "resolved", "summary": "已更换路灯", "evidence": [evidence["id"]]}
        assert act("handler", number, "resolve", resolve)["status"] == "resolved"
        assert act("supervisor", number, "check_pass", {"note": "现场核实已修复"})["status"] == "closed"

        deadline = time.monotonic() + 20
        while True:
            status, notices = nginx.request("GET", "/api/v1/notifications", headers=tokens["handler"])
            assert status == 200 and isinstance(notices, dict), notices
            told = [n for n in notices["items"] if n["case"] == number and n["kind"] == "dispatch"]
            if told or time.monotonic() > deadline:
                break
            assert worker.process.poll() is None, worker.printed()
            time.sleep(0.2)
        static = nginx.request("GET", "/static/pingan/base.css")
        oversize = nginx.refuses_by_length(settings.PINGAN_MAX_BODY_BYTES + 1, tokens["dispatcher"])
        redirect = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=10)
        redirect.request("GET", f"/cases/{number}/")
        plain = redirect.getresponse()
        redirect.close()
    print(f"\nlifecycle through nginx, gunicorn and the worker: {time.monotonic() - started:.1f} s")
    assert [n["message"].split("：")[0] for n in told] == ["新分派案件待签收"]
    assert static[0] == 200 and ".card" in static[1]
    assert oversize == 413  # by nginx, from the Content-Length, before a byte of the body
    assert plain.status == 301 and plain.getheader("Location", "").startswith("https://")
    # The server wrote to the database this test reads: PostgreSQL's test database, or the SQLite copy.
    assert server_rows(env, "SELECT status FROM cases_case WHERE number = ?", (number,)) == [("closed",)]
