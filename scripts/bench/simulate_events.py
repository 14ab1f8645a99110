"""The event stream of scripts/bench-simulate, and the timing of one simulate run.

`generate N PATH`: N presence events for 10,000 clients (deterministic): connect/disconnect sessions, 2% of events
delivered twice, 5% delivered out of order, and 1% of disconnects in the same millisecond as a new connect of the
same client (the collision a `timestamp` sort key turns into data loss).

`time BIN CONFIG EVENTS LINES`: runs `BIN simulate CONFIG --events EVENTS` and prints one Markdown table row: wall
time, events/s, CPU time, peak memory and simulate's summary.
"""

import json
import random
import resource
import subprocess
import sys
import time

CLIENTS = [f"thing_{i:05d}" for i in range(10_000)]


def event(client, kind, ts, version, session):
    e = {
        "clientId": client,
        "timestamp": ts,
        "eventType": kind,
        "sessionIdentifier": f"{client}-s{session}",
        "principalIdentifier": "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4",
        "versionNumber": version,
    }
    if kind == "connected":
        # A fixed address per client (the built-in hash() of a string changes between runs).
        e["ipAddress"] = f"192.0.2.{int(client.rsplit('_', 1)[1]) % 250}"
    else:
        e["clientInitiatedDisconnect"] = False
        e["disconnectReason"] = "CONNECTION_LOST"
    return e


def generate(n, path):
    rng = random.Random(7)
    state = {c: (False, 0, 0) for c in CLIENTS}  # connected, versionNumber, session counter
    t = 1_700_000_000_000
    pending = []
    written = 0
    with open(path, "w") as f:
        while written < n:
            t += rng.randint(0, 3)
            c = rng.choice(CLIENTS)
            connected, version, session = state[c]
            if connected:
                batch = [event(c, "disconnected", t, version, session)]
                if rng.random() < 0.01:  # a reconnect in the same millisecond
                    batch.append(event(c, "connected", t, version + 1, session + 1))
                    state[c] = (True, version + 1, session + 1)
                else:
                    state[c] = (False, version, session)
            else:
                batch = [event(c, "connected", t, version + 1, session + 1)]
                state[c] = (True, version + 1, session + 1)
            for e in batch:
                line = json.dumps(e, separators=(",", ":"))
                copies = 2 if rng.random() < 0.02 else 1
                for _ in range(copies):
                    if rng.random() < 0.05:
                        pending.append(line)  # arrives later
                    else:
                        f.write(line + "\n")
                        written += 1
                    if pending and rng.random() < 0.05:
                        f.write(pending.pop(0) + "\n")
                        written += 1
        for line in pending:
            f.write(line + "\n")


def timed(binary, config, events, lines):
    start = time.perf_counter()
    done = subprocess.run(
        [binary, "simulate", config, "--events", events],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    summary = [line for line in done.stderr.splitlines() if " outcomes, " in line][-1]
    summary = summary.removeprefix("presence-stack: ")
    n = int(lines)
    print(
        f"| {config} | {n:,} | {wall:.2f} s | {n / wall:,.0f} | {cpu:.2f} s | {n / cpu:,.0f} | {rss:.0f} MiB | {summary} |"
    )


def main():
    match sys.argv[1:]:
        case ["generate", n, path]:
            generate(int(n), path)
        case ["time", binary, config, events, lines]:
            timed(binary, config, events, lines)
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main()
