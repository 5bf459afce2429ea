#!/usr/bin/env python3
"""Crash campaign: refresh load, kill -9 at random moments, restart, and lose nothing acknowledged.

    python3 Campaigns/crash.py [--sessions 10000] [--kills 20] [--database URL]

One user logs in `--sessions` times (enduser). Client threads then refresh those sessions in
a shuffled round-robin, recording every acknowledged pair (the successor of a 200 answer) in
memory and in a journal file. The main thread kills the server with SIGKILL after a random
0.2 to 3 s of load, restarts it on the same store, and repeats `--kills` times. A refresh whose
answer was lost in the kill is "in doubt": after the restart its session is retried first with
the same token, which either rotates (the kill came before the commit) or replays the
committed rotation (the kill came after the commit, before the answer). The load goes on after
the last restart until every session has been refreshed at least once.

At the end every session's last acknowledged refresh token must still refresh.

Figures and bars:
- acknowledged tokens lost = 0 (final refreshes that fail, plus refreshes refused during the load);
- SQLite `PRAGMA integrity_check` = ok, on the file after a clean final stop;
- forks = 0 and revoked sessions = 0 in the store.

The grace window is raised to 60 s (SESAME_REFRESH_GRACE=60) so that an in-doubt refresh is
always retried inside it, however slow a restart is on a loaded machine; each restart's time
is reported. bcrypt cost is 4 (SESAME_BCRYPT_COST=4): logins are set-up here, not the subject.
"""

from __future__ import annotations

import collections
import json
import os
import random
import threading
import time

import campaign as c


def main() -> None:
    p = c.parser(__doc__)
    p.add_argument("--sessions", type=int, default=10_000)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--grace", type=int, default=60)
    p.add_argument("--min-run", type=float, default=0.2, help="least seconds of load before a kill")
    p.add_argument("--max-run", type=float, default=3.0, help="most seconds of load before a kill")
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    rng = random.Random(seed)

    binary = c.sesame_binary()
    store = c.Store(args.database, "crash", args.keep)
    env = {"SESAME_BCRYPT_COST": "4", "SESAME_REFRESH_GRACE": str(args.grace)}
    cli = c.CLI(binary, store, env)
    (account,) = c.seed(cli, users=1)
    server = c.Server(binary, store, env).start()
    fig = c.Figures("crash", store.label)
    c.log(f"crash: {args.sessions} sessions, {args.kills} kills, {store.label}, grace {args.grace} s, seed {seed}")

    # Log in `sessions` times.
    tokens: list[str] = [""] * args.sessions
    counter = iter(range(args.sessions))
    counter_lock = threading.Lock()

    def login_worker() -> None:
        conn = server.connection(timeout=60)
        while True:
            with counter_lock:
                i = next(counter, None)
            if i is None:
                return
            ans, pair = c.enduser_login(conn, account)
            if pair is None:
                raise RuntimeError(f"login failed: {ans.body!r}")
            tokens[i] = pair.refresh

    threads = [threading.Thread(target=login_worker) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c.log(f"{args.sessions} sessions logged in")

    journal_path = os.path.join(store.tmp, "acknowledged.jsonl")
    journal = open(journal_path, "a")
    lock = threading.Lock()
    order = list(range(args.sessions))
    rng.shuffle(order)
    queue = collections.deque(order)
    in_doubt: collections.deque = collections.deque()
    refreshed = [0] * args.sessions
    busy = [False] * args.sessions
    stats = {"acknowledged": 0, "in_doubt": 0, "refused_during_load": 0, "doubt_replayed": 0}
    refused_examples: list[str] = []
    running = threading.Event()
    running.set()
    stop = threading.Event()

    def next_session() -> tuple[int, bool] | None:
        with lock:
            while in_doubt:
                i = in_doubt.popleft()
                if not busy[i]:
                    busy[i] = True
                    return i, True
            for _ in range(len(queue)):
                i = queue.popleft()
                queue.append(i)
                if not busy[i]:
                    busy[i] = True
                    return i, False
        return None

    def load_worker() -> None:
        conn: c.RawConnection | None = None
        while not stop.is_set():
            if not running.wait(0.5):
                continue
            if conn is None or conn.port != server.port:
                conn = server.connection(timeout=30)
            picked = next_session()
            if picked is None:
                time.sleep(0.01)
                continue
            i, doubted = picked
            token = tokens[i]
            try:
                ans, pair = c.enduser_refresh(conn, token)
            except (c.Hang, c.NoAnswer, OSError):
                conn.close()
                conn = None
                with lock:
                    in_doubt.append(i)
                    busy[i] = False
                    stats["in_doubt"] += 1
                continue
            with lock:
                busy[i] = False
                if pair is not None:
                    tokens[i] = pair.refresh
                    refreshed[i] += 1
                    stats["acknowledged"] += 1
                    if doubted:
                        stats["doubt_replayed"] += 1
                    journal.write(json.dumps({"session": i, "refresh": pair.refresh}) + "\n")
                else:
                    stats["refused_during_load"] += 1
                    if len(refused_examples) < 10:
                        refused_examples.append(f"session {i}: {ans.status} {ans.body[:200]!r}")

    workers = [threading.Thread(target=load_worker, daemon=True) for _ in range(args.clients)]
    for t in workers:
        t.start()

    restart_seconds = []
    for k in range(args.kills):
        time.sleep(rng.uniform(args.min_run, args.max_run))
        running.clear()
        server.kill9()
        t0 = time.monotonic()
        server.start()
        restart_seconds.append(time.monotonic() - t0)
        running.set()
        c.log(f"kill {k + 1}/{args.kills}: restarted in {restart_seconds[-1]:.2f} s; {dict(stats)}")
    # Keep going until every session was refreshed at least once and nothing is in doubt.
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        with lock:
            missing = sum(1 for n in refreshed if n == 0)
            doubts = len(in_doubt)
        if missing == 0 and doubts == 0:
            break
        time.sleep(0.5)
    stop.set()
    for t in workers:
        t.join(60)
    journal.close()

    # Every session's last acknowledged refresh token still refreshes.
    lost: list[str] = []
    final_index = iter(range(args.sessions))

    def verify_worker() -> None:
        conn = server.connection(timeout=60)
        while True:
            with counter_lock:
                i = next(final_index, None)
            if i is None:
                return
            ans, pair = c.enduser_refresh(conn, tokens[i])
            if pair is None:
                with lock:
                    lost.append(f"session {i}: {ans.status} {ans.body[:200]!r}")

    threads = [threading.Thread(target=verify_worker) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    forks = store.scalar(
        "SELECT count(*) FROM (SELECT session_id FROM refresh_tokens WHERE rotated_at IS NULL "
        "GROUP BY session_id HAVING count(*) > 1) f")
    revoked = store.scalar("SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL")
    sessions_in_store = store.scalar("SELECT count(*) FROM sessions")
    status = server.stop()
    integrity = store.integrity_check()

    never = sum(1 for n in refreshed if n == 0)
    total_lost = len(lost) + stats["refused_during_load"]
    fig.add("seed", seed)
    fig.add("sessions (in the store)", f"{args.sessions} ({sessions_in_store})")
    fig.add("kill -9 and restart", f"{len(restart_seconds)}", f">= {args.kills}", len(restart_seconds) >= args.kills)
    fig.add("restart time median/max (s)", f"{sorted(restart_seconds)[len(restart_seconds) // 2]:.2f}/{max(restart_seconds):.2f}"
            if restart_seconds else "-", f"< grace {args.grace}", not restart_seconds or max(restart_seconds) < args.grace)
    fig.add("acknowledged refreshes", stats["acknowledged"])
    fig.add("sessions never refreshed during load", never, "= 0", never == 0)
    fig.add("refreshes in doubt at a kill (retried)", f"{stats['in_doubt']} ({stats['doubt_replayed']} acknowledged on retry)")
    fig.add("acknowledged tokens lost", total_lost, "= 0", total_lost == 0)
    fig.add("forks (2+ current tokens)", forks, "= 0", forks == 0)
    fig.add("revoked sessions", revoked, "= 0", revoked == 0)
    fig.add("PRAGMA integrity_check", integrity, "ok", integrity in ("ok", "n/a"))
    fig.add("exit status after final SIGTERM", status, "= 0", status == 0)
    for e in (refused_examples + lost)[:20]:
        c.log("lost:", e)
    store.cleanup()
    fig.finish()


if __name__ == "__main__":
    main()
