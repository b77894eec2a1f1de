#!/usr/bin/env python3
"""Floods one Plaza from loopback and measures what everyone else gets meanwhile.

Each scenario seeds what it needs through the API, measures a baseline (other clients alone, with wrk),
then runs the flood and measures the same clients again:

  search   48 clients repeating a search of 16 one-letter words over 2,000 events with 10 KB descriptions
  bodies   300 connections that send `Content-Length: 1000` and one byte, and then nothing
  logins   32 clients logging in as ever new unknown names (bcrypt at the server's cost), while a real
           user logs in from another loopback address (127.0.0.2)

The flood comes from 127.0.0.2; other clients are `wrk -t2 -c8` from 127.0.0.1 on GET /events/{id} and
GET /health (plus, for `logins`, a real user's own logins from 127.0.0.3). Printed per phase: requests
answered, p50 and p99, non-2xx and timeouts.

Usage: bench/floods.py --base http://127.0.0.1:8001 --scenario search [--seconds 10] [--json out.json]
The server should run with RATE_LIMIT settings off if it has any; loopback only.
"""

import argparse
import http.client
import json
import re
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid


ATTACKER = "127.0.0.2"
REAL_USER = "127.0.0.3"


def request(host, port, method, path, body=None, headers=None, source=None, timeout=30):
    conn = http.client.HTTPConnection(host, port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, data
    finally:
        conn.close()


def post_json(host, port, path, payload, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    status, data = request(host, port, "POST", path, json.dumps(payload).encode(), headers)
    return status, (json.loads(data) if data else None)


def login(host, port, username, password, source=None):
    body = urllib.parse.urlencode({"username": username, "password": password}).encode()
    return request(host, port, "POST", "/token", body,
                   {"Content-Type": "application/x-www-form-urlencoded"}, source=source)


def user(host, port, name):
    password = "flood-password-1"
    status, _ = post_json(host, port, "/users/", {"username": name, "email": f"{name}@example.org",
                                                 "password": password})
    status, data = login(host, port, name, password)
    assert status == 200, (status, data)
    return json.loads(data)["access_token"], password


def wrk(url, seconds, connections=8):
    """Runs wrk and returns its figures: requests, rps, p50/p99 in ms, non-2xx, timeouts, errors."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s",
                          url], capture_output=True, text=True).stdout

    def ms(label):
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return None
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    requests = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": int(requests.group(1)) if requests else 0,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)) if requests else 0.0,
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "timeouts": int(errors.group(4)) if errors else 0,
        "socket_errors": sum(int(x) for x in errors.groups()[:3]) if errors else 0,
    }


def others(base, event_id, seconds):
    """wrk on a single-row read and on /health at the same time."""
    results = {}

    def run(name, url):
        results[name] = wrk(url, seconds)

    threads = [threading.Thread(target=run, args=("event", f"{base}/events/{event_id}")),
               threading.Thread(target=run, args=("health", f"{base}/health"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Flood:
    def __init__(self):
        self.stop = threading.Event()
        self.threads = []
        self.statuses = {}
        self.lock = threading.Lock()

    def count(self, status):
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def spawn(self, target, n):
        for i in range(n):
            t = threading.Thread(target=target, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=15)


def scenario_search(host, port, base, seconds):
    token, _ = user(host, port, f"seed{uuid.uuid4().hex[:8]}")
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma"
    description = (words + " ") * 55
    first = None
    for i in range(2000):
        status, event = post_json(host, port, "/events/", {
            "name": f"Flood event {i}", "event_time": "2027-01-01T10:00:00Z",
            "description": description[:10000], "duration_hours": 1, "duration_minutes": 0,
            "max_tickets": 10}, token)
        assert status == 200, (status, event)
        first = first or event["id"]
    query = "/events/?search=" + urllib.parse.quote("a b c d e f g h i j k l m n o p")
    baseline = others(base, first, seconds)
    flood = Flood()

    def searcher(_):
        while not flood.stop.is_set():
            try:
                status, _ = request(host, port, "GET", query, source=ATTACKER, timeout=60)
            except Exception:
                status = 0
            flood.count(status)

    flood.spawn(searcher, 48)
    time.sleep(1)
    during = others(base, first, seconds)
    flood.finish()
    return {"baseline": baseline, "during": during, "flood_statuses": flood.statuses}


def scenario_bodies(host, port, base, seconds):
    token, _ = user(host, port, f"seed{uuid.uuid4().hex[:8]}")
    _, event = post_json(host, port, "/events/", {
        "name": "Victim", "event_time": "2027-01-01T10:00:00Z", "description": "", "duration_hours": 1,
        "duration_minutes": 0, "max_tickets": 10}, token)
    baseline = others(base, event["id"], seconds)
    sockets, refused = [], 0
    for _ in range(300):
        try:
            s = socket.create_connection((host, port), timeout=5, source_address=(ATTACKER, 0))
            s.sendall(b"POST /users/ HTTP/1.1\r\nHost: plaza\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 1000\r\n\r\n{")
            sockets.append(s)
        except OSError:
            refused += 1
    time.sleep(1)
    during = others(base, event["id"], seconds)
    closed_by_server = 0
    for s in sockets:
        s.setblocking(False)
        try:
            if s.recv(65536) is not None:
                closed_by_server += 1
        except BlockingIOError:
            pass
        except OSError:
            closed_by_server += 1
        s.close()
    return {"baseline": baseline, "during": during,
            "flood": {"opened": len(sockets), "refused": refused, "answered_or_closed": closed_by_server}}


def scenario_logins(host, port, base, seconds):
    token, _ = user(host, port, f"seed{uuid.uuid4().hex[:8]}")
    real, password = user(host, port, f"real{uuid.uuid4().hex[:8]}")
    real_name = json.loads(request(host, port, "GET", "/users/me",
                                   headers={"Authorization": f"Bearer {real}"})[1])["username"]
    _, event = post_json(host, port, "/events/", {
        "name": "Victim", "event_time": "2027-01-01T10:00:00Z", "description": "", "duration_hours": 1,
        "duration_minutes": 0, "max_tickets": 10}, token)

    def real_logins(until):
        times, statuses = [], {}
        while time.time() < until:
            start = time.time()
            status, _ = login(host, port, real_name, password, source=REAL_USER)
            times.append((time.time() - start) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
        return {"logins": len(times), "p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99),
                "statuses": statuses}

    baseline_real = {}
    t = threading.Thread(target=lambda: baseline_real.update(real_logins(time.time() + seconds)))
    t.start()
    baseline = others(base, event["id"], seconds)
    t.join()
    flood = Flood()

    def attacker(_):
        while not flood.stop.is_set():
            try:
                body = urllib.parse.urlencode({"username": f"nobody{uuid.uuid4().hex}",
                                               "password": "guess-guess-1"}).encode()
                status, _ = request(host, port, "POST", "/token", body,
                                    {"Content-Type": "application/x-www-form-urlencoded"},
                                    source=ATTACKER, timeout=60)
            except Exception:
                status = 0
            flood.count(status)

    flood.spawn(attacker, 32)
    time.sleep(1)
    during_real = {}
    t = threading.Thread(target=lambda: during_real.update(real_logins(time.time() + seconds)))
    t.start()
    during = others(base, event["id"], seconds)
    t.join()
    flood.finish()
    baseline["real_user_login"] = baseline_real
    during["real_user_login"] = during_real
    return {"baseline": baseline, "during": during, "flood_statuses": flood.statuses}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8001")
    parser.add_argument("--scenario", choices=["search", "bodies", "logins"], required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--json")
    args = parser.parse_args()
    url = urllib.parse.urlparse(args.base)
    if url.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("floods go to loopback addresses only")
    run = {"search": scenario_search, "bodies": scenario_bodies, "logins": scenario_logins}[args.scenario]
    result = run(url.hostname, url.port, args.base, args.seconds)
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
