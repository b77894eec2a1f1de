#!/usr/bin/env python3
"""A soak: Plaza under mixed load for a long while (30 minutes by default) with 500 notification streams
held open, to see whether anything grows that should not — memory, open files, latency.

It starts the release `plaza` (target/release/plaza; `bench/soak` builds it) on a copy of a seeded
database (`--data DIR` holding `plaza.db`, as `bench/run --data DIR` leaves it: 100,000 events), or on an
empty one, with metrics on (`METRICS_ADDR`), then:

  1. runs `bench/streams.py` beside it: 500 stream holders (10 events of 50 participants), comments posted
     at `--comment-rate` per second for the whole soak, and at the end the check that every holder got
     each of its notifications once;
  2. once every stream is open (read from `plaza_live_streams_open`), drives `wrk` (Debian's) for one
     minute at a time with a mix of reads — event pages (first and deep), events by id, users by id,
     searches (rare and common words), posts, comments, `/health` — and after each minute samples the
     server's RSS and peak RSS (/proc/PID/status), open file descriptors (/proc/PID/fd), threads, and
     wrk's requests per second and p99;
  3. prints one row a minute, then the least-squares slope of each column per hour, from start to end
     (flat is the target), and writes it all as JSON with `--json FILE`.

Exit status: 0 when the soak ran and the streams check held, 1 otherwise.

Usage: bench/soak [--minutes 30] [--streams 500] [--data DIR] [--json FILE]
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MIX = """
-- Reads of every kind, in proportions like a busy community's.
math.randomseed(os.time())
request = function()
  local r = math.random(100)
  local path
  if r <= 25 then path = "/events/" .. math.random(%(events)d)
  elseif r <= 40 then path = "/events/?limit=20"
  elseif r <= 45 then path = "/events/?limit=20&skip=" .. math.random(0, %(deep)d)
  elseif r <= 55 then path = "/users/" .. math.random(%(users)d)
  elseif r <= 62 then path = "/events/?search=zanzibar&limit=20"
  elseif r <= 67 then path = "/events/?search=music&limit=20"
  elseif r <= 77 then path = "/posts/?limit=20"
  elseif r <= 87 then path = "/comments/" .. math.random(%(events)d) .. "?limit=20"
  else path = "/health" end
  return wrk.format("GET", path)
end
"""


def get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, dict(response.headers), response.read()


def total(base, path):
    """X-Total-Count of a list (0 for 204)."""
    status, headers, _ = get(f"{base}{path}")
    return 0 if status == 204 else int(headers.get("X-Total-Count", headers.get("x-total-count", "0")))


def metric(metrics_url, name):
    _, _, body = get(metrics_url)
    for line in body.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def proc(pid):
    sample = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                sample[key] = int(value.split()[0]) / 1024
            elif key == "Threads":
                sample["threads"] = int(value)
    sample["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return sample


def wrk(base, script, seconds, connections):
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script, base],
        capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"req_per_s": rate, "p99_ms": float(p99.group(1)) * scale,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(0) if errors else ""}


def slope_per_hour(xs, ys):
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    return 0.0 if var == 0 else sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var * 60


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=int, default=30)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--comment-rate", type=float, default=5, help="comments per second to the streams")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--data", help="directory holding a seeded plaza.db to copy")
    parser.add_argument("--port", type=int, default=18600)
    parser.add_argument("--json")
    args = parser.parse_args()

    binary = os.path.join(ROOT, "target", "release", "plaza")
    work = tempfile.mkdtemp(prefix="plaza-soak-")
    database = os.path.join(work, "plaza.db")
    if args.data:
        shutil.copy(os.path.join(args.data, "plaza.db"), database)
    base = f"http://127.0.0.1:{args.port}"
    metrics_url = f"http://127.0.0.1:{args.port + 1}/metrics"
    env = dict(os.environ, DATABASE_URL=database, AVATAR_DIR=os.path.join(work, "avatars"),
               MAIL_DIR=os.path.join(work, "mail"), HOST="127.0.0.1", PORT=str(args.port),
               METRICS_ADDR=f"127.0.0.1:{args.port + 1}", BCRYPT_COST="4", LOG_LEVEL="warn",
               MAX_CONNECTIONS_PER_CLIENT="0", RATE_LIMIT_PER_SECOND="0", RATE_LIMIT_AUTH_PER_MINUTE="0",
               # The streams' tokens must outlive the soak: a stream ends with its token, and the final
               # check reads every holder's inbox with it.
               ACCESS_TOKEN_EXPIRE_MINUTES=str(args.minutes + 120))
    env.pop("JWT_SECRET", None)
    log = open(os.path.join(work, "plaza.log"), "w")
    server = subprocess.Popen([binary, "serve"], env=env, cwd=work, stdout=log, stderr=log)
    streams = None
    try:
        for _ in range(600):
            try:
                if get(f"{base}/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            sys.exit("plaza did not become ready")
        seconds = args.minutes * 60
        streams = subprocess.Popen(
            [sys.executable, os.path.join(ROOT, "bench", "streams.py"), "--base", base,
             "--streams", str(args.streams), "--rate", str(args.comment_rate),
             "--seconds", str(seconds + 120), "--pid", str(server.pid),
             "--json", os.path.join(work, "streams.json")],
            stdout=open(os.path.join(work, "streams.log"), "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 900
        while (metric(metrics_url, "plaza_live_streams_open") or 0) < args.streams:
            if time.time() > deadline or streams.poll() is not None:
                sys.exit(f"the streams did not open (see {work}/streams.log)")
            time.sleep(1)

        # Counted once the streams' own accounts and events exist, so that every id asked for is there.
        events = max(1, total(base, "/events/?limit=1"))
        users = max(1, total(base, "/users/?limit=1"))
        script = os.path.join(work, "mix.lua")
        with open(script, "w") as mix:
            mix.write(MIX % {"events": events, "users": users, "deep": max(0, events - 20)})
        rows = []
        started = time.time()
        print(f"soak: {events} events, {args.streams} open streams, {args.comment_rate} comments/s, "
              f"wrk -c{args.connections}; one row a minute", flush=True)
        print(f"{'min':>4} {'req/s':>8} {'p99 ms':>8} {'RSS MiB':>8} {'HWM MiB':>8} {'fds':>6} {'threads':>7}"
              f" {'streams':>7}", flush=True)
        for minute in range(1, args.minutes + 1):
            load = wrk(base, script, 60, args.connections)
            sample = proc(server.pid)
            open_streams = metric(metrics_url, "plaza_live_streams_open")
            row = {"minute": minute, "elapsed_s": round(time.time() - started), **load, **sample,
                   "streams_open": open_streams}
            rows.append(row)
            print(f"{minute:>4} {load['req_per_s']:>8.0f} {load['p99_ms']:>8.2f} {sample['VmRSS']:>8.1f} "
                  f"{sample['VmHWM']:>8.1f} {sample['fds']:>6} {sample['threads']:>7} {open_streams:>7.0f}"
                  + (f"  non-2xx {load['non_2xx']}" if load["non_2xx"] else "")
                  + (f"  {load['socket_errors']}" if load["socket_errors"] else ""), flush=True)

        minutes = [row["minute"] for row in rows]
        slopes = {key: slope_per_hour(minutes, [row[key] for row in rows])
                  for key in ("req_per_s", "p99_ms", "VmRSS", "fds", "threads")}
        first, last = rows[0], rows[-1]
        print("from the first minute to the last, and the least-squares slope per hour:")
        for key, unit in (("VmRSS", "MiB"), ("fds", "fds"), ("p99_ms", "ms"), ("req_per_s", "req/s"),
                          ("threads", "threads")):
            print(f"  {key:<10} {first[key]:>10.1f} -> {last[key]:>10.1f}   slope {slopes[key]:+.2f} {unit}/h")
        code = streams.wait(timeout=seconds + 1800)
        with open(os.path.join(work, "streams.log")) as report:
            tail = report.read().strip().splitlines()[-12:]
        print("streams (bench/streams.py):", *tail, sep="\n  ")
        result = {"rows": rows, "slopes_per_hour": slopes, "streams_exit": code, "events": events,
                  "streams": args.streams, "connections": args.connections, "minutes": args.minutes}
        if args.json:
            with open(args.json, "w") as out:
                json.dump(result, out, indent=2)
        return 0 if code == 0 and all(row["non_2xx"] == 0 for row in rows) else 1
    finally:
        if streams and streams.poll() is None:
            streams.kill()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        print(f"(server log and stream report in {work})")


if __name__ == "__main__":
    sys.exit(main())
