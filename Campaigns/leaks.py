#!/usr/bin/env python3
"""Secrets campaign: no token, password, signature or secret in any log line or error answer.

    python3 Campaigns/leaks.py [--database URL]

Runs the server with SESAME_LOG_LEVEL=trace (the most verbose level, below debug) and drives
every flow of both dialects, successes and failures: enduser e-mail and phone logins (plain
`pwd`, and the family's AES form with `random`, using FAMILIES.md's vectors), wrong passwords
up to a freeze, unknown accounts, wrong and missing signatures, refresh, replay inside the
grace window, reuse after it (revocation), userInfo, logout; kanfang GetAccessToken by user
name, e-mail and phone, wrong passwords, RefreshToken with the refresh token and with the
access token in the header, the query and a cookie, wrong credentials, reuse; oauth password
and refresh grants (Basic, client_secret_post, public client), wrong passwords and client
secrets, another client's token, introspection, userinfo, revocation, reuse; and tokens sent
where they do not belong (wrong method, unknown path, oversized body, wrong dialect).

It captures the server's standard output and standard error (and the CLI's output), then
searches them for every secret the run used: every issued access and refresh token (and the
access tokens' signature segments; of a refresh token that names its row, the secret part
piece by piece and the whole token whole: its ids are the public `sid` and `jti`), every password and wrong password sent, every `pwd`
value (plain and encrypted), every signature sent, the domain secrets; each as is, URL-encoded
(`quote`, `quote_plus`) and JSON-escaped.

Figures and bars: hits in the logs = 0; error answers that echo a secret = 0 (every answer
that is not a success is searched for every secret); the log is not empty (trace really on).
bcrypt cost is 4 (SESAME_BCRYPT_COST=4); the grace window is 1 s, so that reuse is quick.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse

import campaign as c


class Run:
    def __init__(self, server: c.Server):
        self.server = server
        self.conn = server.connection(timeout=30)
        self.secrets: set[str] = set()
        # Values searched whole only (their pieces may be public): located refresh tokens.
        self.whole: set[str] = set()
        self.errors: list[tuple[str, bytes]] = []  # (what, body) of answers that are not a success
        self.flows = 0

    def secret(self, *values: str | None) -> None:
        for v in values:
            if v and len(v) >= 6:
                self.secrets.add(v)

    def pair(self, p: c.Pair | None) -> c.Pair | None:
        if p:
            self.secret(p.access, p.access.split(".")[2])
            self.refresh_token(p.refresh)
        return p

    def refresh_token(self, token: str) -> None:
        """A refresh token since schema v5 (86 characters) is the Base64URL of the session id,
        the token id and 32 secret bytes: its first 42 characters encode the two ids, which are
        public (`sid` and `jti` of every access token, logged by design). Its secret part is
        searched piece by piece; the whole token in every encoding. A legacy token (43
        characters) is all secret."""
        if len(token) == 86:
            self.whole.add(token)
            self.secret(token[43:])
        else:
            self.secret(token)

    def note(self, what: str, ans: c.Answer, success: bool) -> None:
        self.flows += 1
        if not success:
            self.errors.append((what, ans.body))

    def request(self, what: str, method: str, target: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, expect_success: bool = False) -> c.Answer:
        ans = self.conn.request(method, target, body, headers)
        env = ans.envelope()
        ok = ans.status == 200 and (env.get("code") == 200 or env.get("state") == 200 or env.get("status") == "ok"
                                    or target.startswith((c.OAUTH, "/.well-known/")))
        self.note(what, ans, ok)
        if expect_success and not ok:
            raise RuntimeError(f"{what}: expected success, got {ans.status} {ans.body[:200]!r}")
        return ans


def forms_of(s: str) -> set[str]:
    """A whole value as it may appear in a log or an answer."""
    raw = s.encode()
    out = {s, urllib.parse.quote(s, safe=""), urllib.parse.quote_plus(s), json.dumps(s)[1:-1],
           json.dumps(s)[1:-1].replace("/", "\\/"), raw.hex(), raw.hex().upper()}
    return {f for f in out if f}


def needles(secret: str | bytes) -> set[str]:
    """Everything to search for: the whole value in every encoding, and its pieces (any 12
    characters of a string, any 8 bytes as hex), because a log may show part of a value."""
    if isinstance(secret, bytes):
        out = {secret.hex(), secret.hex().upper(), base64.b64encode(secret).decode(),
               base64.urlsafe_b64encode(secret).decode().rstrip("=")}
        for i in range(0, max(0, len(secret) - 8) + 1):
            out |= {secret[i:i + 8].hex(), secret[i:i + 8].hex().upper()}
        return out
    out = forms_of(secret)
    if len(secret) > 12:
        out |= {secret[i:i + 12] for i in range(len(secret) - 11)}
    raw = secret.encode()
    for i in range(0, max(0, len(raw) - 8) + 1):
        if len(raw) > 8:
            out |= {raw[i:i + 8].hex(), raw[i:i + 8].hex().upper()}
    return out


def stored_secrets(store: c.Store) -> list[tuple[str, str | bytes]]:
    """What the store holds that must never be logged: the successor key, the signing keys'
    private scalars, password hashes (salt and digest), domain secrets."""
    out: list[tuple[str, str | bytes]] = []
    if store.kind == "sqlite":
        rows = store.query("SELECT name, hex(value) FROM secrets")
    else:
        rows = store.query("SELECT name, encode(value, 'hex') FROM secrets")
    for name, value in rows:
        out.append((f"store secret {name}", bytes.fromhex(str(value))))
    for (pem,) in store.query("SELECT private_key_pem FROM signing_keys"):
        body = "".join(line for line in str(pem).splitlines() if not line.startswith("-----"))
        try:
            der = base64.b64decode(body)
        except ValueError:  # sealed with a KEK (SESAME_KEK): search the stored text as it is
            der = b""
        at = der.find(bytes.fromhex("0201010420"))
        if at >= 0:
            out.append(("signing key scalar", der[at + 5: at + 37]))
        out.append(("signing key as stored", body[len(body) // 3: 2 * len(body) // 3]))
    for (h,) in store.query("SELECT password_hash FROM users"):
        out.append(("password hash", str(h)[7:]))  # without the public "$2b$NN$"
    for (secret,) in store.query("SELECT secret FROM domains"):
        out.append(("domain secret", str(secret)))
    return out


def main() -> None:
    p = c.parser(__doc__)
    args = p.parse_args()
    binary = c.sesame_binary()
    store = c.Store(args.database, "leaks", args.keep)
    env = {"SESAME_BCRYPT_COST": "4", "SESAME_LOG_LEVEL": "trace", "SESAME_REFRESH_GRACE": "1",
           "SESAME_LOCKOUT_THRESHOLD": "3"}
    cli_env = {"SESAME_BCRYPT_COST": "4", "SESAME_LOG_LEVEL": "trace"}
    cli = c.CLI(binary, store, cli_env)
    cli_output: list[str] = []
    original_run = cli.run

    def run_and_keep(argv: list[str], stdin: str | None = None) -> str:
        out = original_run(argv, stdin)
        cli_output.append(out)
        return out

    cli.run = run_and_keep  # type: ignore[method-assign]
    # Domain "default" (kanfang's) with users; FAMILIES.md's vector domain for the AES form.
    (alice, bob) = c.seed(cli, domain="default", users=2, prefix="leak")
    vector = c.Account("C.DM.10271.5", "57Fk69oYgbs2aWWN362NtZwYB2RqKNqQ7yZESnF5VM22", "vec@example.com",
                       "17132136550", "vector", "abcd1234")
    cli.domain_add(vector.domain, vector.secret)
    vector.uid = cli.user_add(vector.domain, vector.password, email=vector.email, phone=vector.phone,
                              username=vector.username)
    client_secret = "leak-client-" + "5e" * 16
    cli.client_add("leak-web", "default", client_secret)
    cli.client_add("leak-app", "default")
    server = c.Server(binary, store, env).start()
    fig = c.Figures("secrets", store.label)
    run = Run(server)
    if store.kind == "postgres":  # the database password must not reach a log line either
        run.secret(urllib.parse.unquote(urllib.parse.urlsplit(store.url).password or ""))
    for a in (alice, bob, vector):
        run.secret(a.password, a.secret)
    run.secret(client_secret)
    encrypted = "KbbO5AsWloh9gulLei6NhQ=="  # "abcd1234" with random "abcdef" (FAMILIES.md)
    run.secret(encrypted)
    E, K = c.ENDUSER, c.KANFANG

    def login_form(what: str, f: list[tuple[str, str]], where: str = "form", path: str = "emailPwdLogin",
                   success: bool = False) -> c.Pair | None:
        for k, v in f:
            if k in ("pwd", "signature"):
                run.secret(v)
        if where == "form":
            ans = run.request(what, "POST", E + path, c.form(f), c.FORM, success)
        elif where == "json":
            ans = run.request(what, "POST", E + path, json.dumps(dict(f)).encode(), {"Content-Type": "application/json"}, success)
        else:
            ans = run.request(what, "POST", E + path + "?" + urllib.parse.urlencode(f), None, None, success)
        return run.pair(c.enduser_pair(ans))

    # --- enduser logins
    e1 = login_form("email login", c.email_login_form(alice), success=True)
    e2 = login_form("email login, JSON", c.email_login_form(alice), "json", success=True)
    e3 = login_form("email login, query", c.email_login_form(alice), "query", success=True)
    e4 = login_form("email login, AES pwd", c.email_login_form(vector, pwd=encrypted, random="abcdef"), success=True)
    sig = "1fd91ebf096be51dae1c6055bc930bd8e24b1f477d2a47ae87eedb0f73057bf0"
    e5 = login_form("phone login, AES pwd (vector)", [("phone", vector.phone), ("pwd", encrypted), ("userDomain", vector.domain),
                                                      ("signature", sig), ("internationalCode", "86"), ("random", "abcdef")],
                    path="phonePwdLogin", success=True)
    e6 = login_form("phone login", c.phone_login_form(bob), path="phonePwdLogin", success=True)
    for i in range(4):  # wrong passwords up to the freeze (threshold 3)
        wrong = f"Wrong-{i}-{alice.password[::-1]}"
        run.secret(wrong)
        login_form("email login, wrong password", c.email_login_form(alice, password=wrong))
    login_form("email login, right password while frozen", c.email_login_form(alice))
    login_form("email login, unknown account", c.email_login_form(alice, email="nobody@example.com", password="Unknown-pw-1"))
    run.secret("Unknown-pw-1")
    bad_sig = c.email_login_form(bob)
    bad_sig[3] = ("signature", "f" * 64)
    login_form("email login, wrong signature", bad_sig)
    login_form("email login, no signature", [kv for kv in c.email_login_form(bob) if kv[0] != "signature"])
    login_form("email login, no domain", [kv for kv in c.email_login_form(bob) if kv[0] != "userDomain"])
    login_form("phone login, wrong password", c.phone_login_form(bob, password="Phone-wrong-9"), path="phonePwdLogin")
    run.secret("Phone-wrong-9")
    login_form("email login, pwd too short", c.email_login_form(bob, password="abc"))
    login_form("email login, AES pwd with wrong random", c.email_login_form(vector, pwd=encrypted, random="zzzzzz"))
    assert e1 and e2 and e3 and e4 and e5 and e6

    # --- enduser refresh, replay, reuse, userInfo, logout
    def refresh(what: str, token: str, success: bool = False, where: str = "form") -> c.Pair | None:
        if where == "form":
            ans = run.request(what, "PUT", E + "refreshToken", c.form([("refreshToken", "Bearer " + token)]), c.FORM, success)
        elif where == "json":
            ans = run.request(what, "PUT", E + "refreshToken", json.dumps({"refreshToken": token}).encode(),
                              {"Content-Type": "application/json"}, success)
        else:
            ans = run.request(what, "PUT", E + "refreshToken?refreshToken=" + urllib.parse.quote(token), None, None, success)
        return run.pair(c.enduser_pair(ans))

    r1 = refresh("refresh", e1.refresh, True)
    refresh("refresh replay inside grace", e1.refresh, True)
    refresh("refresh, JSON", e2.refresh, True, "json")
    refresh("refresh, query", e3.refresh, True, "query")
    refresh("refresh, unknown token", "A" * 43)
    refresh("refresh, truncated token", r1.refresh[:-3])
    refresh("refresh, access token instead", r1.access)
    time.sleep(2.5)
    refresh("refresh reuse after grace (revokes)", e1.refresh)
    refresh("refresh of the revoked session's successor", r1.refresh)
    run.request("userInfo", "GET", E + "userInfo", headers={"Authorization": "Bearer " + e6.access}, expect_success=True)
    run.request("userInfo, revoked session", "GET", E + "userInfo", headers={"Authorization": "Bearer " + r1.access})
    run.request("userInfo, tampered token", "GET", E + "userInfo", headers={"Authorization": "Bearer " + e6.access[:-4] + "AAAA"})
    run.request("userInfo, no token", "GET", E + "userInfo")
    run.request("logout", "DELETE", E + "userLogout", headers={"Authorization": "Bearer " + e6.access}, expect_success=True)
    run.request("userInfo after logout", "GET", E + "userInfo", headers={"Authorization": "Bearer " + e6.access})
    run.request("logout again", "DELETE", E + "userLogout", headers={"Authorization": "Bearer " + e6.access})
    refresh("refresh after logout", e6.refresh)
    # Tokens where they do not belong.
    run.request("refresh with GET", "GET", E + "refreshToken?refreshToken=" + urllib.parse.quote(e4.refresh))
    run.request("unknown path with a token", "POST", E + "nope?refreshToken=" + e4.refresh, c.form([("pwd", alice.password)]), c.FORM)
    run.request("oversized body with a token", "PUT", E + "refreshToken",
                c.form([("refreshToken", e4.refresh), ("pad", "x" * 70_000)]), c.FORM)
    run.request("outside the dialects with a token", "GET", "/nothing?token=" + e4.refresh, headers={"Authorization": e4.access})
    run.request("health", "GET", "/health", expect_success=True)

    # --- kanfang
    def kget(what: str, key: str, value: str, success: bool = False) -> c.Pair | None:
        ans = run.request(what, "GET", K + "GetAccessToken?" + urllib.parse.urlencode([("authKey", key), ("authValue", value)]),
                          None, None, success)
        return run.pair(c.kanfang_pair(ans))

    k1 = kget("kanfang login by user name", bob.username, bob.password, True)
    k2 = kget("kanfang login by e-mail", bob.email, bob.password, True)
    k3 = kget("kanfang login by phone", bob.phone, bob.password, True)
    run.secret("Kanfang-wrong-1")
    kget("kanfang login, wrong password", bob.username, "Kanfang-wrong-1")
    kget("kanfang login, unknown account", "nobody", "Kanfang-wrong-1")
    assert k1 and k2 and k3

    def kref(what: str, a: c.Account, token: str, where: str, password: str | None = None, success: bool = False) -> c.Pair | None:
        creds = [("authKey", a.username), ("authValue", password or a.password)]
        headers = {}
        if where == "header":
            headers["Authorization"] = token
        elif where == "query":
            creds.append(("Authorization", token))
        else:
            headers["Cookie"] = "Authorization=" + token
        ans = run.request(what, "GET", K + "RefreshToken?" + urllib.parse.urlencode(creds), None, headers, success)
        return run.pair(c.kanfang_pair(ans))

    n1 = kref("kanfang refresh, refresh token in header", bob, k1.refresh, "header", success=True)
    n2 = kref("kanfang refresh, refresh token in query", bob, k2.refresh, "query", success=True)
    n3 = kref("kanfang refresh, refresh token in cookie", bob, k3.refresh, "cookie", success=True)
    kref("kanfang refresh, access token in header", bob, n1.access, "header", success=True)
    kref("kanfang refresh, access token in query", bob, n2.access, "query", success=True)
    kref("kanfang refresh, access token in cookie", bob, n3.access, "cookie", success=True)
    run.secret("Kanfang-wrong-2")
    kref("kanfang refresh, wrong password", bob, n1.refresh, "header", "Kanfang-wrong-2")
    kref("kanfang refresh, another user's credentials", alice, n1.refresh, "query")
    kref("kanfang refresh, enduser token", bob, e4.refresh, "header")
    time.sleep(2.5)
    kref("kanfang refresh reuse after grace (revokes)", bob, k1.refresh, "header")
    run.request("kanfang POST with a token", "POST", K + "RefreshToken", c.form([("Authorization", k2.refresh)]), c.FORM)
    run.request("kanfang unknown path with a token", "GET", K + "Nope?Authorization=" + k2.refresh + "&authValue=" + bob.password)
    refresh("enduser refresh with a kanfang token", n2.refresh)

    # --- oauth
    def otoken(what: str, params: list[tuple[str, str]], how: str, secret: str = client_secret,
               success: bool = False) -> c.Pair | None:
        headers = dict(c.FORM)
        if how == "basic":
            headers.update(c.basic("leak-web", secret))
        elif how == "post":
            params = params + [("client_id", "leak-web"), ("client_secret", secret)]
        else:
            params = params + [("client_id", "leak-app")]
        for k, v in params:
            if k == "refresh_token":
                run.refresh_token(v)
            elif k in ("password", "client_secret"):
                run.secret(v)
        ans = run.request(what, "POST", c.OAUTH + "token", c.form(params), headers, success)
        return run.pair(c.oauth_pair(ans))

    o1 = otoken("oauth password grant, Basic", [("grant_type", "password"), ("username", bob.username),
                                                ("password", bob.password)], "basic", success=True)
    o2 = otoken("oauth password grant, client_secret_post", [("grant_type", "password"), ("username", bob.email),
                                                             ("password", bob.password)], "post", success=True)
    o3 = otoken("oauth password grant, public client", [("grant_type", "password"), ("username", bob.phone),
                                                        ("password", bob.password)], "public", success=True)
    assert o1 and o2 and o3
    otoken("oauth password grant, wrong password", [("grant_type", "password"), ("username", bob.username),
                                                    ("password", "Oauth-wrong-1")], "basic")
    otoken("oauth, wrong client secret", [("grant_type", "password"), ("username", bob.username),
                                          ("password", bob.password)], "basic", secret="wrong-client-secret-1")
    run.secret("wrong-client-secret-1")
    p1 = otoken("oauth refresh", [("grant_type", "refresh_token"), ("refresh_token", o1.refresh)], "basic", success=True)
    otoken("oauth refresh replay inside grace", [("grant_type", "refresh_token"), ("refresh_token", o1.refresh)], "basic",
           success=True)
    otoken("oauth refresh by another client", [("grant_type", "refresh_token"), ("refresh_token", o2.refresh)], "public")
    otoken("oauth refresh, enduser token", [("grant_type", "refresh_token"), ("refresh_token", e4.refresh)], "basic")
    run.request("oauth refresh in the query", "POST", c.OAUTH + "token?grant_type=refresh_token&refresh_token=" + o2.refresh,
                b"", {**c.FORM, **c.basic("leak-web", client_secret)})
    run.request("oauth introspect", "POST", c.OAUTH + "introspect", c.form([("token", p1.access)]),
                {**c.FORM, **c.basic("leak-web", client_secret)})
    run.request("oauth introspect by a public client", "POST", c.OAUTH + "introspect",
                c.form([("token", p1.refresh), ("client_id", "leak-app")]), c.FORM)
    run.request("oauth userinfo", "GET", c.OAUTH + "userinfo", headers={"Authorization": "Bearer " + p1.access},
                expect_success=False)
    run.request("oauth userinfo, tampered token", "GET", c.OAUTH + "userinfo",
                headers={"Authorization": "Bearer " + p1.access[:-4] + "AAAA"})
    run.request("oauth revoke", "POST", c.OAUTH + "revoke", c.form([("token", o3.refresh), ("client_id", "leak-app")]), c.FORM)
    otoken("oauth refresh after revoke", [("grant_type", "refresh_token"), ("refresh_token", o3.refresh)], "public")
    time.sleep(2.5)
    otoken("oauth refresh reuse after grace (revokes)", [("grant_type", "refresh_token"), ("refresh_token", o1.refresh)],
           "basic")
    run.request("oauth JWKS", "GET", "/.well-known/jwks.json")

    server.stop()
    time.sleep(0.2)
    stored = stored_secrets(store)
    with open(server.log_path, "rb") as f:
        logtext = f.read().decode("utf-8", "replace")
    logtext += "\n".join(cli_output)
    lines = logtext.count("\n")

    hits: list[str] = []
    searched: list[tuple[str, str | bytes]] = [("request or answer", v) for v in sorted(run.secrets)] + stored
    searched_whole = [("refresh token, whole", v) for v in sorted(run.whole)]
    for what, value in searched + searched_whole:
        for needle in sorted(forms_of(value) if isinstance(value, str) and value in run.whole else needles(value)):
            at = logtext.find(needle)
            if at >= 0:
                line = logtext[logtext.rfind("\n", 0, at) + 1: logtext.find("\n", at)]
                hits.append(f"{what} ({needle!r}) in log line: {line[:300]}")
                break
    echoes: list[str] = []
    for what, body in run.errors:
        text = body.decode("utf-8", "replace")
        for s in run.secrets | run.whole:
            if any(f in text for f in forms_of(s)):
                echoes.append(f"{what}: answer {text[:200]} echoes {s[:12]}...")
                break

    fig.add("flows driven (requests)", run.flows)
    fig.add("error answers searched", len(run.errors))
    fig.add("secrets from requests and answers", len(run.secrets))
    fig.add("secrets read from the store", len(stored))
    fig.add("log lines captured at trace", lines, "> 0", lines > 0)
    fig.add("secrets found in logs", len(hits), "= 0", not hits)
    fig.add("error answers echoing a secret", len(echoes), "= 0", not echoes)
    for h in (hits + echoes)[:20]:
        c.log("LEAK:", h)
    c.log(f"log: {server.log_path}")
    store.cleanup()
    fig.finish()


if __name__ == "__main__":
    main()
