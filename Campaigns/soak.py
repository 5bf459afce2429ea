#!/usr/bin/env python3
"""Soak campaign: mixed load for a long time, watching memory, file descriptors and latency.

    python3 Campaigns/soak.py [--minutes 30] [--database URL]

Clients on keep-alive connections send a paced mix of enduser logins, refreshes, userInfo and
logouts, kanfang GetAccessToken and RefreshToken (credentials checked), oauth password and
refresh-token grants (a public client), plus /health, each
from one of 300 client addresses (X-Forwarded-For; loopback is configured as a trusted proxy,
so the per-address limiter keeps a window per address, as in production). Every `--interval` seconds (10) it samples the server's RSS (/proc/PID/status VmRSS), open
file descriptors (/proc/PID/fd) and the p50/p99 latency of the interval into a CSV
(`--csv`; by default results/soak-STORE-YYYYMMDD-HHMM.csv at the repository root, which git
ignores).

Bars (after the warm-up, `--warmup-minutes`, default 10):
- every RSS sample stays within +-10 % of the RSS at the end of the warm-up;
- open file descriptors do not grow: the last sample is at most the warm-up level + 5 (the
  load keeps a fixed set of connections);
- no unexpected answer (anything but the expected success), the process never exits.

The warm-up lasts until the server's bounded caches are full, so that what the bars watch is
growth beyond them: the verified-token memo (4,096 tokens) fills as userInfo and kanfang
refreshes verify new access tokens, and on SQLite the writer's page cache (16 MiB) fills as the
store, which starts empty, outgrows it; at the default rate both take several minutes. With a
two-minute warm-up their fill was counted as growth (docs/RELIABILITY.md, the soak).

bcrypt cost is 4 (SESAME_BCRYPT_COST=4): the soak is about memory and descriptors over time,
not about the cost of a hash.
"""

from __future__ import annotations

import csv
import os
import random
import statistics
import threading
import time

import campaign as c


def main() -> None:
    p = c.parser(__doc__)
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--warmup-minutes", type=float, default=10,
                   help="minutes before the bars apply: until the bounded caches are full (see above)")
    p.add_argument("--interval", type=float, default=10)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--rate", type=float, default=150, help="requests per second, all clients together")
    p.add_argument("--users", type=int, default=40)
    p.add_argument("--csv", default=None, help="where to write the samples (default: results/soak-STORE-YYYYMMDD-HHMM.csv in the repository)")
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    binary = c.sesame_binary()
    store = c.Store(args.database, "soak", args.keep)
    # Loopback is a trusted proxy and the clients come from a pool of addresses (X-Forwarded-For),
    # so the per-address limiter keeps state for each, as in production.
    env = {"SESAME_BCRYPT_COST": "4", "SESAME_TRUSTED_PROXIES": "127.0.0.1"}
    cli = c.CLI(binary, store, env)
    accounts = c.seed(cli, users=args.users)
    cli.client_add("soak-app", "default")  # a public oauth client
    server = c.Server(binary, store, env).start()
    c.log(f"soak: {args.minutes} min on {store.label}, pid {server.pid}, port {server.port}, seed {seed}")
    csv_path = args.csv or os.path.join(
        c.REPO, "results", time.strftime(f"soak-{store.kind}-%Y%m%d-%H%M.csv", time.gmtime()))
    os.makedirs(os.path.dirname(os.path.abspath(csv_path)), exist_ok=True)

    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"requests": 0, "unexpected": 0, "transport": 0}
    unexpected_examples: list[str] = []
    stop = threading.Event()
    addresses = [f"198.51.100.{i}" for i in range(1, 201)] + [f"2001:db8:{i:x}::1" for i in range(1, 101)]

    def record(seconds: float, ok: bool, what: str) -> None:
        with lock:
            latencies.append(seconds)
            counts["requests"] += 1
            if not ok:
                counts["unexpected"] += 1
                if len(unexpected_examples) < 10:
                    unexpected_examples.append(what)

    def client(n: int) -> None:
        rng = random.Random(seed + n)
        conn = server.connection(timeout=30)
        enduser: list[tuple[c.Account, c.Pair]] = []
        kanfang: list[tuple[c.Account, c.Pair]] = []
        oauth: list[c.Pair] = []
        period = args.clients / args.rate
        next_at = time.monotonic()
        while not stop.is_set():
            next_at += period
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_at = time.monotonic()
            a = rng.choice(accounts)
            conn.extra_headers = {"X-Forwarded-For": rng.choice(addresses)}
            r = rng.random()
            try:
                if r < 0.08 or not enduser:
                    ans, pair = c.enduser_login(conn, a)
                    ok = pair is not None
                    if pair:
                        enduser.append((a, pair))
                elif r < 0.40:
                    i = rng.randrange(len(enduser))
                    acct, pair = enduser[i]
                    ans, new = c.enduser_refresh(conn, pair.refresh)
                    ok = new is not None
                    if new:
                        enduser[i] = (acct, new)
                elif r < 0.48 or (r < 0.55 and not oauth):
                    ans, pair = c.oauth_token(conn, [("grant_type", "password"), ("username", a.email),
                                                     ("password", a.password)], "soak-app")
                    ok = pair is not None
                    if pair:
                        oauth.append(pair)
                        if len(oauth) > 30:
                            oauth.pop(0)
                elif r < 0.55:
                    i = rng.randrange(len(oauth))
                    ans, new = c.oauth_token(conn, [("grant_type", "refresh_token"), ("refresh_token", oauth[i].refresh)],
                                             "soak-app")
                    ok = new is not None
                    if new:
                        oauth[i] = new
                elif r < 0.65:
                    acct, pair = rng.choice(enduser)
                    ans = conn.request("GET", c.ENDUSER + "userInfo", headers={"Authorization": "Bearer " + pair.access})
                    env_ = ans.envelope()
                    ok = env_.get("code") == 200 and env_.get("data", {}).get("uid") == acct.uid
                elif r < 0.70:
                    acct, pair = enduser.pop(rng.randrange(len(enduser)))
                    ans = conn.request("DELETE", c.ENDUSER + "userLogout", headers={"Authorization": "Bearer " + pair.access})
                    ok = ans.envelope().get("code") == 200
                elif r < 0.76 or not kanfang:
                    ans, pair = c.kanfang_login(conn, a)
                    ok = pair is not None
                    if pair:
                        kanfang.append((a, pair))
                elif r < 0.95:
                    i = rng.randrange(len(kanfang))
                    acct, pair = kanfang[i]
                    where = rng.choice(["header", "query", "cookie"])
                    token = pair.refresh if rng.random() < 0.7 else pair.access
                    ans, new = c.kanfang_refresh(conn, acct, token, where)
                    ok = new is not None
                    if new:
                        kanfang[i] = (acct, new)
                else:
                    ans = conn.request("GET", "/health")
                    ok = ans.status == 200
                record(ans.seconds, ok, f"{ans.status} {ans.body[:200]!r}")
                # Keep each client's set of sessions bounded: log out the oldest.
                if len(enduser) > 30:
                    acct, pair = enduser.pop(0)
                    ans = conn.request("DELETE", c.ENDUSER + "userLogout", headers={"Authorization": "Bearer " + pair.access})
                    record(ans.seconds, ans.envelope().get("code") == 200, f"logout {ans.body[:200]!r}")
                if len(kanfang) > 30:
                    kanfang.pop(0)
            except (c.Hang, c.NoAnswer, OSError) as e:
                with lock:
                    counts["transport"] += 1
                conn.close()
                if not server.alive():
                    return
                c.log(f"client {n}: {e!r}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
    for t in threads:
        t.start()

    fig = c.Figures("soak", store.label)
    samples = []
    started = time.monotonic()
    end = started + args.minutes * 60
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["elapsed_s", "rss_kib", "open_fds", "requests_in_interval", "p50_ms", "p99_ms", "unexpected_total", "transport_errors_total"])
        while time.monotonic() < end and server.alive():
            time.sleep(max(0.0, min(args.interval, end - time.monotonic())))
            if not server.alive():
                break
            with lock:
                lat = latencies[:]
                latencies.clear()
                n, bad, tr = len(lat), counts["unexpected"], counts["transport"]
            rss, fds = server.rss_kib(), server.fd_count()
            lat.sort()
            p50 = lat[len(lat) // 2] * 1000 if lat else 0
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0
            elapsed = time.monotonic() - started
            row = [round(elapsed), rss, fds, n, round(p50, 2), round(p99, 2), bad, tr]
            samples.append(row)
            w.writerow(row)
            f.flush()
            c.log(f"t={elapsed:6.0f}s rss={rss} KiB fds={fds} requests={n} p50={p50:.1f}ms p99={p99:.1f}ms unexpected={bad}")
    stop.set()
    for t in threads:
        t.join(35)
    alive = server.alive()
    status = server.stop()

    warm = [s for s in samples if s[0] <= args.warmup_minutes * 60]
    after = [s for s in samples if s[0] > args.warmup_minutes * 60]
    fig.add("duration (min)", f"{args.minutes:g}")
    fig.add("requests", counts["requests"])
    fig.add("unexpected answers", counts["unexpected"], "= 0", counts["unexpected"] == 0)
    fig.add("transport errors", counts["transport"], "= 0", counts["transport"] == 0)
    fig.add("process alive to the end", "yes" if alive else "no", "yes", alive)
    fig.add("exit status after SIGTERM", status, "= 0", status == 0)
    if warm and after:
        base_rss, base_fd = warm[-1][1], warm[-1][2]
        lo, hi = min(s[1] for s in after), max(s[1] for s in after)
        dev = max(abs(lo - base_rss), abs(hi - base_rss)) / base_rss * 100
        fig.add("RSS at end of warm-up (KiB)", base_rss)
        fig.add("RSS after warm-up min..max (KiB)", f"{lo}..{hi}")
        fig.add("RSS max deviation (%)", f"{dev:.1f}", "<= 10", dev <= 10)
        fig.add("RSS at end (KiB)", after[-1][1])
        fig.add("open fds warm-up -> end (max)", f"{base_fd} -> {after[-1][2]} ({max(s[2] for s in after)})",
                "no growth", after[-1][2] <= base_fd + 5)
        p99s = [s[5] for s in after]
        fig.add("p99 per interval median/max (ms)", f"{statistics.median(p99s):.1f}/{max(p99s):.1f}")
        fig.add("throughput (req/s)", f"{sum(s[3] for s in after) / (len(after) * args.interval):.0f}")
    else:
        fig.add("samples after warm-up", 0, "> 0", False)
    c.log(f"samples: {csv_path}")
    for e in unexpected_examples:
        c.log("unexpected:", e)
    store.cleanup()
    fig.finish()


if __name__ == "__main__":
    main()
