"""Shared helpers for the reliability campaigns (standard library only).

Every campaign script imports this module. It

- finds the `sesame` binary (``SESAME_BIN``, else builds release with
  ``swift build -c release --product sesame`` in the repository);
- prepares a fresh store: a SQLite file in a temporary directory, or, when ``--database`` is a
  ``postgres://`` URL, a fresh schema (``schema=`` in the URL, if any, is used as its prefix);
- starts and stops ``sesame serve`` on a free loopback port (``--port 0``) and reads the bound
  port from its ``listening`` line;
- seeds domains and users through the CLI (``sesame domain add``, ``sesame user add
  --password-stdin``);
- speaks HTTP/1.1 over raw sockets (``RawConnection``), so that campaigns can send exactly the
  bytes they want, keep connections alive and time every answer;
- builds the dialects' requests (signed enduser logins, refresh, kanfang) and parses envelopes;
- prints a figures table and turns missed bars into a non-zero exit status.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENDUSER = "/v2/enduser/enduserapi/"
KANFANG = "/v2/Authorization/"
OAUTH = "/oauth/"


def log(*parts: object) -> None:
    """Progress on standard error, with a UTC time stamp."""
    print(time.strftime("%H:%M:%S", time.gmtime()), *parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The binary


def sesame_binary() -> str:
    """``SESAME_BIN`` if set, else a release build made here (``swift build -c release``)."""
    given = os.environ.get("SESAME_BIN")
    if given:
        if not os.access(given, os.X_OK):
            sys.exit(f"SESAME_BIN={given} is not an executable")
        return given
    log("building release: swift build -c release --product sesame")
    subprocess.run(["swift", "build", "-c", "release", "--product", "sesame"], cwd=REPO, check=True)
    bin_dir = subprocess.run(
        ["swift", "build", "-c", "release", "--show-bin-path"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()
    return os.path.join(bin_dir, "sesame")


# ---------------------------------------------------------------------------------------------
# Arguments


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every campaign takes."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--database",
        default=None,
        help="store: default a fresh SQLite file in a temporary directory; "
        "postgres://USER:PW@HOST:PORT/DB[?schema=PREFIX] runs against PostgreSQL in a fresh schema",
    )
    p.add_argument("--keep", action="store_true", help="keep the store (temp dir / schema) after the run")
    return p


# ---------------------------------------------------------------------------------------------
# Stores


class Store:
    """A fresh store for one campaign run, and SQL access to it for checks."""

    def __init__(self, database: str | None, name: str, keep: bool = False):
        self.keep = keep
        self.tmp = tempfile.mkdtemp(prefix=f"sesame-{name}-")
        if database is None or database.startswith("sqlite:"):
            self.kind = "sqlite"
            self.path = database[len("sqlite:"):] if database else os.path.join(self.tmp, "sesame.sqlite")
            self.url = f"sqlite:{self.path}"
        elif database.startswith(("postgres://", "postgresql://")):
            self.kind = "postgres"
            parts = urllib.parse.urlsplit(database)
            query = urllib.parse.parse_qsl(parts.query)
            prefix = dict(query).get("schema", "campaign")
            self.schema = f"{prefix}_{name}_{secrets.token_hex(4)}"
            rest = [(k, v) for k, v in query if k != "schema"]
            self.url = urllib.parse.urlunsplit(
                parts._replace(query=urllib.parse.urlencode(rest + [("schema", self.schema)]))
            )
            # psql does not know `schema=`; it gets the URL without it.
            self.psql_url = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(rest)))
            if not shutil.which("psql"):
                sys.exit("psql is needed for PostgreSQL checks")
        else:
            sys.exit(f"--database must be sqlite:PATH or postgres://...: {database}")

    @property
    def label(self) -> str:
        return "SQLite" if self.kind == "sqlite" else "PostgreSQL"

    def query(self, sql: str) -> list[tuple]:
        """Runs one read query and returns its rows (values as text for PostgreSQL)."""
        if self.kind == "sqlite":
            con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
            try:
                return [tuple(r) for r in con.execute(sql).fetchall()]
            finally:
                con.close()
        out = subprocess.run(
            ["psql", self.psql_url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-tA", "-F", "\t",
             "-c", f"SET search_path TO {self.schema}", "-c", sql],
            check=True, capture_output=True, text=True,
        ).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line != ""]

    def scalar(self, sql: str) -> int:
        rows = self.query(sql)
        return int(rows[0][0]) if rows and rows[0][0] not in (None, "") else 0

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` (run with no server on the file); "n/a" for PostgreSQL."""
        if self.kind != "sqlite":
            return "n/a"
        con = sqlite3.connect(self.path, timeout=30)
        try:
            rows = con.execute("PRAGMA integrity_check").fetchall()
        finally:
            con.close()
        return "; ".join(str(r[0]) for r in rows)

    def cleanup(self) -> None:
        if self.keep:
            log(f"kept the store: {self.url}")
            return
        if self.kind == "postgres":
            subprocess.run(["psql", self.psql_url, "-X", "-q", "-c", f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"],
                           capture_output=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The server process


def base_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without any SESAME_* variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")}
    env.update(extra or {})
    return env


class Server:
    """One ``sesame serve`` process on a free loopback port."""

    def __init__(self, binary: str, store: Store, env: dict[str, str] | None = None, log_path: str | None = None):
        self.binary = binary
        self.store = store
        self.env = dict(env or {})
        self.log_path = log_path or os.path.join(store.tmp, "serve.log")
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.starts = 0

    def start(self, timeout: float = 120) -> "Server":
        """Starts the process and waits for its ``listening`` line."""
        env = base_environment(self.env)
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--database", self.store.url, "--host", "127.0.0.1", "--port", "0"],
            stdout=subprocess.PIPE, stderr=logf, stdin=subprocess.DEVNULL, env=env,
        )
        logf.close()
        deadline = time.monotonic() + timeout
        assert self.proc.stdout is not None
        line = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            with open(self.log_path, "ab") as f:
                f.write(b"[stdout] " + line)
            m = re.search(rb"listening on http://[^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if not self.port or self.proc.poll() is not None:
            raise RuntimeError(f"sesame serve did not start: {line!r}; log {self.log_path}:\n{self.tail()}")
        # Keep draining stdout so the process never blocks on a full pipe.
        out = self.proc.stdout
        threading.Thread(target=self._drain, args=(out,), daemon=True).start()
        self.starts += 1
        return self

    def _drain(self, out) -> None:
        for line in out:
            with open(self.log_path, "ab") as f:
                f.write(b"[stdout] " + line)

    def tail(self, n: int = 30) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL, then reap."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait; returns the exit status (SIGKILL after `timeout`)."""
        if not self.proc:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def rss_kib(self) -> int:
        return _proc_status_field(self.pid, "VmRSS")

    def fd_count(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    def connection(self, timeout: float = 30) -> "RawConnection":
        return RawConnection("127.0.0.1", self.port, timeout)


def _proc_status_field(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    return 0


class CLI:
    """The administrative commands on the campaign's store."""

    def __init__(self, binary: str, store: Store, env: dict[str, str] | None = None):
        self.binary = binary
        self.store = store
        self.env = dict(env or {})

    def run(self, args: list[str], stdin: str | None = None) -> str:
        proc = subprocess.run(
            [self.binary, *args, "--database", self.store.url], input=stdin, capture_output=True, text=True,
            env=base_environment(self.env), timeout=300,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"sesame {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc.stdout.strip()

    def client_add(self, client_id: str, domain: str, secret: str | None = None) -> None:
        """An oauth client: confidential with `secret`, public without."""
        self.run(["client", "add", client_id, "--domain", domain] + (["--secret", secret] if secret else []))

    def domain_add(self, name: str, secret: str) -> None:
        self.run(["domain", "add", name, "--secret", secret])

    def user_add(self, domain: str, password: str, email: str | None = None, phone: str | None = None,
                 username: str | None = None, international_code: str | None = None) -> str:
        args = ["user", "add", "--domain", domain, "--password-stdin"]
        if email:
            args += ["--email", email]
        if phone:
            args += ["--phone", phone]
            if international_code:
                args += ["--international-code", international_code]
        if username:
            args += ["--username", username]
        return self.run(args, stdin=password + "\n")


@dataclass
class Account:
    """A seeded user with everything needed to log in through both dialects."""

    domain: str
    secret: str
    email: str
    phone: str
    username: str
    password: str
    uid: str = ""


def seed(cli: CLI, domain: str = "default", secret: str | None = None, users: int = 1,
         password: str | None = None, prefix: str = "user") -> list[Account]:
    """Creates `domain` (if `secret` is given or it is new) and `users` users with e-mail, phone and user name."""
    secret = secret or "S" + secrets.token_urlsafe(24)
    cli.domain_add(domain, secret)
    accounts = []
    for i in range(users):
        a = Account(domain, secret, f"{prefix}{i}@example.com", f"1390000{i:04d}", f"{prefix}{i}",
                    password or "Pw-" + secrets.token_urlsafe(9))
        a.uid = cli.user_add(domain, a.password, email=a.email, phone=a.phone, username=a.username)
        accounts.append(a)
    return accounts


# ---------------------------------------------------------------------------------------------
# HTTP over raw sockets


class NoAnswer(Exception):
    """The server closed the connection without a complete answer."""


class Hang(Exception):
    """No complete answer within the timeout."""


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float
    raw_head: bytes = b""
    close: bool = False

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def envelope(self) -> dict:
        """The JSON object body, or {} when it is not one."""
        try:
            v = self.json()
        except (ValueError, UnicodeDecodeError):
            return {}
        return v if isinstance(v, dict) else {}


class RawConnection:
    """One keep-alive HTTP/1.1 connection over a plain socket, reconnecting when needed."""

    def __init__(self, host: str, port: int, timeout: float = 30):
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.extra_headers: dict[str, str] = {}  # added to every request()

    def connect(self) -> None:
        self.close()
        s = socket.create_connection((self.host, self.port), timeout=self.timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = s
        self.buffer = b""

    def close(self) -> None:
        if self.sock:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    def send_bytes(self, data: bytes, half_close: bool = False) -> None:
        if self.sock is None:
            self.connect()
        assert self.sock is not None
        self.sock.sendall(data)
        if half_close:
            self.sock.shutdown(socket.SHUT_WR)

    def read_answer(self, head_only: bool = False, started: float | None = None) -> Answer:
        """Reads one response (Content-Length or chunked; HEAD-style when `head_only`)."""
        started = started or time.monotonic()
        assert self.sock is not None
        deadline = started + self.timeout
        while b"\r\n\r\n" not in self.buffer:
            self._fill(deadline)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
        if not m:
            raise NoAnswer(f"bad status line {lines[0]!r}")
        status = int(m.group(1))
        headers = []
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        hmap = {k.lower(): v for k, v in headers}
        body = b""
        if head_only or status in (204, 304) or 100 <= status < 200:
            pass
        elif "chunked" in hmap.get("transfer-encoding", "").lower():
            while True:
                while b"\r\n" not in self.buffer:
                    self._fill(deadline)
                size_line, self.buffer = self.buffer.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(self.buffer) < size + 2:
                    self._fill(deadline)
                body += self.buffer[:size]
                self.buffer = self.buffer[size + 2:]
                if size == 0:
                    break
        elif "content-length" in hmap:
            n = int(hmap["content-length"])
            while len(self.buffer) < n:
                self._fill(deadline)
            body, self.buffer = self.buffer[:n], self.buffer[n:]
        else:
            # Read to close.
            try:
                while True:
                    self._fill(deadline)
            except NoAnswer:
                pass
            body, self.buffer = self.buffer, b""
        close = hmap.get("connection", "").lower() == "close"
        if close:
            self.close()
        return Answer(status, headers, body, time.monotonic() - started, head, close)

    def _fill(self, deadline: float) -> None:
        assert self.sock is not None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Hang("no answer in time")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout as e:
            raise Hang("no answer in time") from e
        except (ConnectionResetError, BrokenPipeError) as e:
            raise NoAnswer(f"connection reset: {e}") from e
        if not chunk:
            raise NoAnswer("connection closed")
        self.buffer += chunk

    def request(self, method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                retry: bool = True) -> Answer:
        """Sends a well-formed request and reads its answer; reconnects once if the idle connection was closed."""
        data = build_request(method, target, body, {**self.extra_headers, **(headers or {})})
        for attempt in (0, 1):
            fresh = self.sock is None
            try:
                started = time.monotonic()
                self.send_bytes(data)
                return self.read_answer(head_only=(method == "HEAD"), started=started)
            except (NoAnswer, BrokenPipeError, ConnectionResetError):
                self.close()
                if fresh or not retry or attempt == 1:
                    raise
        raise AssertionError("unreachable")


def build_request(method: str, target: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    hs = dict(headers or {})
    if body is not None:
        hs.setdefault("Content-Length", str(len(body)))
    for k, v in hs.items():
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def form(pairs: list[tuple[str, str]]) -> bytes:
    return urllib.parse.urlencode(pairs).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# ---------------------------------------------------------------------------------------------
# The dialects


def signature(parts: list[str], secret: str) -> str:
    """Family A's request signature: hex SHA-256 of the parts then the secret."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
    h.update(secret.encode())
    return h.hexdigest()


def email_login_form(a: Account, password: str | None = None, email: str | None = None,
                     pwd: str | None = None, random: str | None = None) -> list[tuple[str, str]]:
    """A signed e-mail login form (plain `pwd` unless `pwd` is given already encrypted with `random`)."""
    email = email if email is not None else a.email
    pwd = pwd if pwd is not None else (password if password is not None else a.password)
    sig = signature([email, pwd, random or ""], a.secret)
    f = [("email", email), ("pwd", pwd), ("userDomain", a.domain), ("signature", sig)]
    if random is not None:
        f.append(("random", random))
    return f


def phone_login_form(a: Account, password: str | None = None, code: str = "86") -> list[tuple[str, str]]:
    pwd = password if password is not None else a.password
    sig = signature([code, a.phone, pwd, ""], a.secret)
    return [("phone", a.phone), ("pwd", pwd), ("userDomain", a.domain), ("signature", sig),
            ("internationalCode", code)]


@dataclass
class Pair:
    """An enduser or kanfang token pair, tokens without `Bearer `."""

    access: str
    refresh: str


def strip_bearer(t: str) -> str:
    return t[7:] if t.startswith("Bearer ") else t


def enduser_pair(ans: Answer) -> Pair | None:
    env = ans.envelope()
    if ans.status != 200 or env.get("code") != 200 or not isinstance(env.get("data"), dict):
        return None
    d = env["data"]
    return Pair(strip_bearer(d["accessToken"]["token"]), strip_bearer(d["refreshToken"]["token"]))


def kanfang_pair(ans: Answer) -> Pair | None:
    env = ans.envelope()
    if ans.status != 200 or env.get("state") != 200 or not isinstance(env.get("payload"), dict):
        return None
    p = env["payload"]
    return Pair(p["token"], p["refreshToken"])


def enduser_login(conn: RawConnection, a: Account, **kw) -> tuple[Answer, Pair | None]:
    ans = conn.request("POST", ENDUSER + "emailPwdLogin", form(email_login_form(a, **kw)), FORM)
    return ans, enduser_pair(ans)


def enduser_refresh(conn: RawConnection, refresh: str) -> tuple[Answer, Pair | None]:
    ans = conn.request("PUT", ENDUSER + "refreshToken", form([("refreshToken", "Bearer " + refresh)]), FORM)
    return ans, enduser_pair(ans)


def enduser_refresh_bytes(refresh: str) -> bytes:
    return build_request("PUT", ENDUSER + "refreshToken", form([("refreshToken", "Bearer " + refresh)]), FORM)


def kanfang_login(conn: RawConnection, a: Account) -> tuple[Answer, Pair | None]:
    q = urllib.parse.urlencode([("authKey", a.username), ("authValue", a.password)])
    ans = conn.request("GET", KANFANG + "GetAccessToken?" + q)
    return ans, kanfang_pair(ans)


def kanfang_refresh(conn: RawConnection, a: Account, token: str, where: str = "header") -> tuple[Answer, Pair | None]:
    creds = [("authKey", a.username), ("authValue", a.password)]
    headers: dict[str, str] = {}
    if where == "header":
        headers["Authorization"] = token
    elif where == "query":
        creds.append(("Authorization", token))
    elif where == "cookie":
        headers["Cookie"] = "Authorization=" + token
    ans = conn.request("GET", KANFANG + "RefreshToken?" + urllib.parse.urlencode(creds), headers=headers)
    return ans, kanfang_pair(ans)


def basic(client_id: str, secret: str) -> dict[str, str]:
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def oauth_pair(ans: Answer) -> Pair | None:
    env = ans.envelope()
    if ans.status != 200 or "access_token" not in env:
        return None
    return Pair(env["access_token"], env["refresh_token"])


def oauth_token(conn: RawConnection, params: list[tuple[str, str]], client_id: str,
                secret: str | None = None) -> tuple[Answer, Pair | None]:
    """POST /oauth/token: Basic for a confidential client, `client_id` in the form for a public one."""
    headers = dict(FORM)
    if secret:
        headers.update(basic(client_id, secret))
    else:
        params = params + [("client_id", client_id)]
    ans = conn.request("POST", OAUTH + "token", form(params), headers)
    return ans, oauth_pair(ans)


def jwt_claims(token: str) -> dict:
    import base64

    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


# ---------------------------------------------------------------------------------------------
# Reporting


def machine() -> str:
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = "%.1f" % os.getloadavg()[0]
    except OSError:
        load = "?"
    return f"nproc {os.cpu_count()}, {model}, load average at start {load}, {platform.system()} {platform.release()}"


@dataclass
class Figures:
    """A campaign's figures and bars; `finish` prints them and exits non-zero on a missed bar."""

    campaign: str
    store: str
    rows: list[tuple[str, str, str, bool | None]] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    machine: str = field(default_factory=machine)  # taken when the campaign starts

    def add(self, name: str, value: object, bar: str = "", ok: bool | None = None) -> None:
        self.rows.append((name, str(value), bar, ok))

    def finish(self) -> None:
        minutes = (time.time() - self.started) / 60
        print()
        print(f"== {self.campaign} campaign, {self.store}, "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(self.started))}, {minutes:.1f} min")
        print(f"   machine: {self.machine}")
        w = max(len(r[0]) for r in self.rows) if self.rows else 10
        v = max(len(r[1]) for r in self.rows) if self.rows else 10
        for name, value, bar, ok in self.rows:
            verdict = "" if ok is None else ("ok" if ok else "MISSED")
            print(f"   {name:<{w}}  {value:>{v}}  {bar:<14} {verdict}")
        missed = [r[0] for r in self.rows if r[3] is False]
        print(f"   result: {'FAIL (' + ', '.join(missed) + ')' if missed else 'PASS'}")
        sys.stdout.flush()
        sys.exit(1 if missed else 0)
