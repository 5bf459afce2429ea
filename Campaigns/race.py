#!/usr/bin/env python3
"""Race campaign: many clients refresh the same token at the same instant.

    python3 Campaigns/race.py [--rounds 10000] [--clients 16] [--database URL]

Each round, `--clients` threads, each on its own pre-opened keep-alive connection, wait at a
barrier and then send the same enduser `PUT refreshToken` at once over real sockets. Every
answer must be 200 with code 200 and all of them must carry one identical successor refresh
token (the winner rotates, the others replay it inside the grace window); the next round of
that session presents the successor. A session serves `--rounds-per-session` rounds, then a
fresh login starts the next one. `--groups N` runs N such groups side by side, each with its
own `--clients` connections and its own sessions (rounds are shared out between them); every
round is still `--clients` requests for one token at one instant.

Every `--sample-every`-th round runs on a fresh session that is then used to check reuse
after the grace window: once the grace (`--grace`, passed as SESAME_REFRESH_GRACE) has
passed, presenting the round's refresh token again must answer 5032 and revoke the session
(reason `reuse`), and its successor must then fail too. That check runs in a side thread so
the rounds do not wait for it.

Figures and bars:
- forks = 0: sessions with two current refresh tokens in the store at the end
  (`... WHERE rotated_at IS NULL GROUP BY session_id HAVING count(*) > 1`), rounds whose answers
  carried different successors, and sessions whose token count is not rounds + 1 (one rotation
  per round, a linear chain);
- wrongly revoked sessions = 0: sessions revoked in the store other than the reuse samples;
- non-200 answers in the concurrent rounds = 0;
- reuse samples detected = all of them.

bcrypt cost is 4 (SESAME_BCRYPT_COST=4): logins are not what this campaign measures. The grace
window defaults to 2 s (small, so the reuse samples need not wait long; above 1 s so that a
loser delayed by a loaded machine past a second boundary is still inside it).
"""

from __future__ import annotations

import queue
import threading
import time

import campaign as c


class Worker(threading.Thread):
    def __init__(self, index: int, server: c.Server, start_barrier: threading.Barrier,
                 end_barrier: threading.Barrier, shared: dict):
        super().__init__(daemon=True)
        self.index, self.server = index, server
        self.start_barrier, self.end_barrier, self.shared = start_barrier, end_barrier, shared
        self.conn = server.connection(timeout=30)
        self.conn.connect()
        self.reconnects = 0

    def run(self) -> None:
        while True:
            self.start_barrier.wait()
            if self.shared["done"]:
                return
            data = self.shared["request"]
            result: object
            try:
                if self.conn.sock is None:
                    self.conn.connect()
                    self.reconnects += 1
                started = time.monotonic()
                self.conn.send_bytes(data)
                result = self.conn.read_answer(started=started)
            except Exception as e:  # noqa: BLE001 - any failure is a figure
                self.conn.close()
                result = e
            self.shared["results"][self.index] = result
            self.end_barrier.wait()


def main() -> None:
    p = c.parser(__doc__)
    p.add_argument("--rounds", type=int, default=10_000)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--grace", type=int, default=2, help="SESAME_REFRESH_GRACE in seconds")
    p.add_argument("--rounds-per-session", type=int, default=100)
    p.add_argument("--groups", type=int, default=1,
                   help="independent groups of --clients connections, each racing on its own session's token")
    p.add_argument("--sample-every", type=int, default=200, help="every N-th round checks reuse after the grace window")
    args = p.parse_args()

    binary = c.sesame_binary()
    store = c.Store(args.database, "race", args.keep)
    env = {"SESAME_BCRYPT_COST": "4", "SESAME_REFRESH_GRACE": str(args.grace)}
    cli = c.CLI(binary, store, env)
    (account,) = c.seed(cli, users=1)
    server = c.Server(binary, store, env).start()
    fig = c.Figures("race", store.label)
    c.log(f"race: {args.rounds} rounds x {args.clients} clients on {store.label}, grace {args.grace} s, port {server.port}")

    lock = threading.Lock()
    rotations: dict[str, int] = {}  # session id -> rounds run on it
    samples: set[str] = set()
    tally = {"non200": 0, "split": 0, "done": 0, "reconnects": 0}
    examples: list[str] = []
    reuse_queue: queue.Queue = queue.Queue()
    reuse = {"checked": 0, "detected": 0, "failures": []}

    def reuse_checker() -> None:
        conn = server.connection(timeout=30)
        while True:
            item = reuse_queue.get()
            if item is None:
                return
            old, successor, sid, at = item
            time.sleep(max(0.0, at + args.grace + 1.5 - time.time()))
            a1, _ = c.enduser_refresh(conn, old)
            a2, _ = c.enduser_refresh(conn, successor)
            reason = store.query(f"SELECT revoke_reason FROM sessions WHERE id = '{sid}'")
            reuse["checked"] += 1
            if a1.envelope().get("code") == 5032 and a2.envelope().get("code") == 5032 and reason == [("reuse",)]:
                reuse["detected"] += 1
            else:
                reuse["failures"].append(f"session {sid}: reuse answered {a1.body[:120]!r}, successor {a2.body[:120]!r}, "
                                         f"revoke_reason {reason}")

    def example(text: str) -> None:
        with lock:
            if len(examples) < 10:
                examples.append(text)

    def group(g: int, rounds: range) -> None:
        """One group: `clients` connections racing on one token per round, round after round."""
        control = server.connection(timeout=30)
        shared: dict = {"done": False, "request": b"", "results": [None] * args.clients}
        start_barrier = threading.Barrier(args.clients + 1)
        end_barrier = threading.Barrier(args.clients + 1)
        workers = [Worker(i, server, start_barrier, end_barrier, shared) for i in range(args.clients)]
        for w in workers:
            w.start()

        def login() -> tuple[str, str]:
            ans, pair = c.enduser_login(control, account)
            if pair is None:
                raise RuntimeError(f"login failed: {ans.status} {ans.body!r}")
            return pair.refresh, c.jwt_claims(pair.access)["sid"]

        current, sid = login()
        on_session = 0
        for r in rounds:
            sample = args.sample_every > 0 and r % args.sample_every == args.sample_every - 1
            if sample:
                token, round_sid = login()
                with lock:
                    samples.add(round_sid)
            else:
                if on_session >= args.rounds_per_session:
                    current, sid = login()
                    on_session = 0
                token, round_sid = current, sid
            shared["request"] = c.enduser_refresh_bytes(token)
            shared["results"] = [None] * args.clients
            start_barrier.wait()
            end_barrier.wait()
            successors = set()
            non200 = split = 0
            for res in shared["results"]:
                if isinstance(res, c.Answer):
                    pair = c.enduser_pair(res)
                    if pair is None:
                        non200 += 1
                        example(f"round {r}: {res.status} {res.body[:200]!r}")
                    else:
                        successors.add(pair.refresh)
                        if c.jwt_claims(pair.access)["sid"] != round_sid:
                            split += 1
                            example(f"round {r}: access token of another session")
                else:
                    non200 += 1
                    example(f"round {r}: {res!r}")
            if len(successors) > 1 or token in successors:
                split += 1
                example(f"round {r}: {len(successors)} different successors")
            with lock:
                tally["non200"] += non200
                tally["split"] += split
                tally["done"] += 1
                rotations[round_sid] = rotations.get(round_sid, 0) + (1 if successors else 0)
                done = tally["done"]
            if successors:
                successor = sorted(successors)[0]
                if sample:
                    reuse_queue.put((token, successor, round_sid, time.time()))
                else:
                    current = successor
                    on_session += 1
            elif not sample:
                c.log(f"round {r}: no successor; logging in again")
                current, sid = login()
                on_session = 0
            if done % 500 == 0:
                rate = done / (time.monotonic() - started)
                c.log(f"{done} rounds ({rate:.1f}/s), non-200 {tally['non200']}, split {tally['split']}")
        shared["done"] = True
        start_barrier.wait()
        with lock:
            tally["reconnects"] += sum(w.reconnects for w in workers)

    checker = threading.Thread(target=reuse_checker, daemon=True)
    checker.start()
    started = time.monotonic()
    groups = [threading.Thread(target=group, args=(g, range(g, args.rounds, args.groups))) for g in range(args.groups)]
    for t in groups:
        t.start()
    for t in groups:
        t.join()
    elapsed = time.monotonic() - started
    reuse_queue.put(None)
    checker.join()
    non200, split_rounds = tally["non200"], tally["split"]

    forks = store.scalar(
        "SELECT count(*) FROM (SELECT session_id FROM refresh_tokens WHERE rotated_at IS NULL "
        "GROUP BY session_id HAVING count(*) > 1) f")
    token_counts = {str(sid_): int(n) for sid_, n in store.query(
        "SELECT session_id, count(*) FROM refresh_tokens GROUP BY session_id")}
    current_counts = {str(sid_): int(n) for sid_, n in store.query(
        "SELECT session_id, count(*) FROM refresh_tokens WHERE rotated_at IS NULL GROUP BY session_id")}
    chain_mismatch = [s for s, n in rotations.items() if token_counts.get(s, 0) != n + 1]
    live_without_current = [s for s in rotations if s not in samples and current_counts.get(s, 0) != 1]
    revoked = {str(s): str(reason) for s, reason in store.query(
        "SELECT id, revoke_reason FROM sessions WHERE revoked_at IS NOT NULL")}
    wrongly_revoked = sorted(set(revoked) - samples)
    alive = server.alive()
    status = server.stop()

    fig.add("rounds x clients (groups in parallel)", f"{args.rounds} x {args.clients} ({args.groups})")
    fig.add("sessions (main chains + reuse samples)", f"{len(rotations) - len(samples)} + {len(samples)}")
    fig.add("requests", args.rounds * args.clients)
    fig.add("rounds per second", f"{args.rounds / elapsed:.1f}")
    fig.add("non-200 answers in concurrent rounds", non200, "= 0", non200 == 0)
    fig.add("rounds with differing successors", split_rounds, "= 0", split_rounds == 0)
    fig.add("forks in the store (2+ current tokens)", forks, "= 0", forks == 0)
    fig.add("sessions whose chain is not rounds+1 tokens", len(chain_mismatch), "= 0", not chain_mismatch)
    fig.add("live sessions without one current token", len(live_without_current), "= 0", not live_without_current)
    fig.add("wrongly revoked sessions", len(wrongly_revoked), "= 0", not wrongly_revoked)
    fig.add("reuse after grace detected", f"{reuse['detected']}/{len(samples)}", "all",
            reuse["detected"] == len(samples) and reuse["checked"] == len(samples))
    fig.add("reconnects", tally["reconnects"])
    fig.add("process alive, exit 0 on SIGTERM", f"{alive}, {status}", "yes, 0", alive and status == 0)
    for e in examples + reuse["failures"][:10] + [f"wrongly revoked {s}: {revoked[s]}" for s in wrongly_revoked[:10]]:
        c.log("example:", e)
    for s in chain_mismatch[:5]:
        c.log(f"chain: session {s} ran {rotations[s]} rounds but has {token_counts.get(s, 0)} tokens")
    store.cleanup()
    fig.finish()


if __name__ == "__main__":
    main()
