#!/usr/bin/env python3
"""Enumeration campaign: an unknown account and a wrong password take the same time.

    python3 Campaigns/enumeration.py [--attempts 300] [--database URL]

Sends enduser e-mail logins, one at a time on one keep-alive connection, alternating in a
shuffled order between an e-mail that has no account and an existing account's e-mail with a
wrong password (`--attempts` of each, after `--warmup` unmeasured pairs), and compares the
median latencies. Both series are signed correctly, so both reach the password check.

bcrypt cost is the configured default, 10 (SESAME_BCRYPT_COST unset for the server and for
`sesame user add`, so the account's hash and the server's dummy hash have the same cost).
The lockout threshold is raised to its maximum, 1000 (SESAME_LOCKOUT_THRESHOLD=1000), so that
no freeze answers early; each series stays below it (one identifier per series).

Figures and bars:
- median latency difference between the two series <= 10 % (of the wrong-password median);
- the two series answer with the same codes, attempt for attempt (5586..5583 would tell
  tries apart, but never accounts).
"""

from __future__ import annotations

import random
import statistics

import campaign as c


def main() -> None:
    p = c.parser(__doc__)
    p.add_argument("--attempts", type=int, default=300)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--seed", type=int, default=None)
    args = p.parse_args()
    if args.attempts + args.warmup >= 1000:
        p.error("attempts + warmup must stay below the lockout threshold (1000)")
    seed = args.seed if args.seed is not None else random.randrange(2**31)
    rng = random.Random(seed)

    binary = c.sesame_binary()
    store = c.Store(args.database, "enumeration", args.keep)
    env = {"SESAME_LOCKOUT_THRESHOLD": "1000"}  # bcrypt cost: the default (10)
    cli = c.CLI(binary, store, env)
    (account,) = c.seed(cli, users=1, prefix="known")
    server = c.Server(binary, store, env).start()
    fig = c.Figures("enumeration", store.label)
    conn = server.connection(timeout=60)

    unknown_email = "nobody-" + str(seed) + "@example.com"
    wrong = "Wrong-password-1"
    kinds = []
    for _ in range(args.warmup + args.attempts):
        pair = ["unknown", "wrong"]
        rng.shuffle(pair)
        kinds += pair
    times: dict[str, list[float]] = {"unknown": [], "wrong": []}
    codes: dict[str, list[int]] = {"unknown": [], "wrong": []}
    for n, kind in enumerate(kinds):
        f = c.email_login_form(account, password=wrong, email=unknown_email if kind == "unknown" else account.email)
        ans = conn.request("POST", c.ENDUSER + "emailPwdLogin", c.form(f), c.FORM)
        code = ans.envelope().get("code")
        if n >= 2 * args.warmup:
            times[kind].append(ans.seconds)
            codes[kind].append(code)
        if (n + 1) % 100 == 0:
            c.log(f"{n + 1}/{len(kinds)} logins")
    status = server.stop()

    mu, mw = statistics.median(times["unknown"]), statistics.median(times["wrong"])
    diff = abs(mu - mw) / mw * 100

    def q(xs: list[float], f: float) -> float:
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(len(xs) * f))] * 1000

    same_codes = codes["unknown"] == codes["wrong"]
    fig.add("seed", seed)
    fig.add("attempts per series (after warm-up)", f"{len(times['unknown'])} + {len(times['wrong'])}")
    fig.add("unknown account p10/median/p90 (ms)",
            f"{q(times['unknown'], .1):.1f}/{mu * 1000:.1f}/{q(times['unknown'], .9):.1f}")
    fig.add("wrong password p10/median/p90 (ms)",
            f"{q(times['wrong'], .1):.1f}/{mw * 1000:.1f}/{q(times['wrong'], .9):.1f}")
    fig.add("median difference (%)", f"{diff:.1f}", "<= 10", diff <= 10)
    fig.add("answers identical attempt for attempt", "yes" if same_codes else "no", "yes", same_codes)
    fig.add("codes seen", " ".join(sorted({str(x) for x in codes["unknown"] + codes["wrong"]})))
    fig.add("exit status after SIGTERM", status, "= 0", status == 0)
    store.cleanup()
    fig.finish()


if __name__ == "__main__":
    main()
