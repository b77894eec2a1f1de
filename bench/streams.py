#!/usr/bin/env python3
"""Holds thousands of live notification streams open on one Plaza and checks what each of them receives.

Seeds through the API, then:

  1. opens one stream per stream holder (`GET /notifications/stream`, all N open at once) and parses the
     Server-Sent Events (`retry:`, `event:`, `id:`, `data:`, `: keep-alive` comments);
  2. while they are open, posts comments at a steady rate from separate author accounts, recording for
     each the time just before the POST was sent and just after its response arrived;
  3. afterwards compares, per holder, the notification ids received on its stream with the ones
     `GET /notifications/` lists: lost (in the table, never received), duplicates (received twice), extra
     (received but not that holder's notification of this run). The goal is 0 lost and 0 duplicates.

Seeding (all through the API): N stream holders, split into groups of F (`--fanout`, default 50). Group g
has an owner account that owns event g, and one author account. Every holder of group g comments once on
event g before the streams open, so it takes part. During the run only group g's author comments on
event g, one comment at a time, so each comment notifies exactly the F holders of the group and the
owner (never the author) and each holder expects exactly as many notifications as comments were
acknowledged on its event (comments are spread round-robin over the groups). Because a group's comments
are posted one after another, the k-th notification (by id) a holder has from its author belongs to the
k-th comment on its event: that is how each received notification is matched to its POST.

Latency of a notification = its receive time on the stream minus the time the POST was sent (an upper
bound on the delay from the comment's commit) and minus the time its response arrived (a lower bound;
negative when the stream was faster than the HTTP answer); p50/p90/p99/max of both, plus the time until
the last of the F holders had it. The server's VmRSS/VmHWM (/proc/<pid>/status), threads and open files
are sampled before the streams open, with all of them open, after the comments, and after they close.

`--reconnect [K]` (K = 50 by default): K holders drop their connection at a random moment in the middle of
the comment phase, wait `--reconnect-pause` seconds, and reconnect with `Last-Event-ID: <last id seen>`
(`--reconnect-via after` uses `?after=` instead); the lost/duplicate check must still hold for them, and
the report says how many notifications came by replay. `--auth ticket` opens every stream with a
single-use ticket (`POST /notifications/stream/ticket`, then `?ticket=`, reconnects with `?after=`), as a
browser's EventSource does.

Usage:
  bench/streams.py --base http://127.0.0.1:18500 [--streams 2000] [--fanout 50] [--rate 20] [--seconds 30]
                   [--reconnect [50]] [--auth bearer|ticket] [--pid PID] [--json out.json]

The server must run on loopback only, with settings that let one address do all of this:

  ulimit -n 65536   # or as high as the hard limit allows
  D=$(mktemp -d); cd $D && DATABASE_URL=$D/plaza.db AVATAR_DIR=$D/avatars HOST=127.0.0.1 PORT=18500 \\
    BCRYPT_COST=4 MAX_CONNECTIONS_PER_CLIENT=5000 RATE_LIMIT_PER_SECOND=0 RATE_LIMIT_AUTH_PER_MINUTE=0 \\
    STREAMS_TOTAL=10000 plaza serve

- BCRYPT_COST=4: seeding logs in N + 2N/F accounts; at the default cost 12 that is ~8 logins per second.
- MAX_CONNECTIONS_PER_CLIENT above N (all streams come from 127.0.0.1), STREAMS_TOTAL >= N (default 10000).
- RATE_LIMIT_PER_SECOND=0 and RATE_LIMIT_AUTH_PER_MINUTE=0.
- The login throttle lets one address have one login in progress at a time, so seeding logs in from
  `--seed-concurrency` loopback addresses (127.0.0.10 and up); comments come from 127.0.0.2.
This script raises its own RLIMIT_NOFILE (soft up to the hard limit) and stops if that is below N + 256.
Exit status 0 when every check held (nothing lost, duplicated, extra or malformed), 1 otherwise.
"""

import argparse
import asyncio
import json
import os
import random
import re
import resource
import subprocess
import sys
import time
import urllib.parse
import uuid

PASSWORD = "stream-password-1"
STREAM_SOURCE = "127.0.0.1"
COMMENT_SOURCE = "127.0.0.2"
FETCH_SOURCE = "127.0.0.3"
SEED_SOURCE_BASE = 10  # 127.0.0.10, .11, ...
NOTIFICATION_KEYS = {"id", "message", "created_at", "sender", "sender_id", "owner_id", "event_id", "read", "kind",
                     "params"}
MAX_EXAMPLES = 20


def now():
    return time.monotonic()


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def summary_ms(values):
    """p50/p90/p99/max in milliseconds of values in seconds."""
    if not values:
        return {"count": 0, "p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    return {"count": len(values),
            **{f"p{p}_ms": round(percentile(values, p) * 1000, 2) for p in (50, 90, 99)},
            "max_ms": round(max(values) * 1000, 2)}


def fmt(s):
    if s["count"] == 0:
        return "n/a"
    return f"p50 {s['p50_ms']} ms  p90 {s['p90_ms']} ms  p99 {s['p99_ms']} ms  max {s['max_ms']} ms  (n={s['count']})"


# --------------------------------------------------------------------------------------------------
# A minimal HTTP/1.1 client on asyncio streams (one connection per request, `Connection: close`).
# --------------------------------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body, t_send, t_resp):
        self.status, self.headers, self.body, self.t_send, self.t_resp = status, headers, body, t_send, t_resp

    def json(self):
        return json.loads(self.body) if self.body else None

    def retry_after(self):
        try:
            return float(self.headers.get("retry-after", "1"))
        except ValueError:
            return 1.0


async def read_head(reader):
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise ValueError(f"bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        key = name.strip().lower()
        headers[key] = (headers[key] + ", " + value.strip()) if key in headers else value.strip()
    return int(parts[1]), headers


async def body_chunks(reader, headers):
    """Yields the body's bytes as they arrive: chunked, Content-Length or until EOF."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        while True:
            line = await reader.readline()
            if not line:
                raise asyncio.IncompleteReadError(b"", None)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                    pass
                return
            data = await reader.readexactly(size)
            await reader.readexactly(2)
            yield data
    elif "content-length" in headers:
        left = int(headers["content-length"])
        while left > 0:
            data = await reader.read(min(left, 65536))
            if not data:
                raise asyncio.IncompleteReadError(b"", left)
            left -= len(data)
            yield data
    else:
        while True:
            data = await reader.read(65536)
            if not data:
                return
            yield data


def encode_request(method, host, port, path, body=b"", headers=None):
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def http(host, port, method, path, body=b"", headers=None, source=None, timeout=60):
    """One request on a new connection. t_send is taken once connected, just before the request is written."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, local_addr=(source, 0) if source else None), timeout)
    try:
        data = encode_request(method, host, port, path, body, {**(headers or {}), "Connection": "close"})
        t_send = now()
        writer.write(data)
        await writer.drain()

        async def rest():
            status, response_headers = await read_head(reader)
            parts = []
            if status not in (204, 304) and method != "HEAD":
                async for part in body_chunks(reader, response_headers):
                    parts.append(part)
            return status, response_headers, b"".join(parts)

        status, response_headers, payload = await asyncio.wait_for(rest(), timeout)
        return Response(status, response_headers, payload, t_send, now())
    finally:
        writer.transport.abort()


# --------------------------------------------------------------------------------------------------
# Server-Sent Events parsing (WHATWG rules: lines end in CRLF, LF or CR; a blank line ends a block;
# `:` starts a comment; `field: value` with one optional space after the colon; data lines join with LF).
# --------------------------------------------------------------------------------------------------

LINE_END = re.compile(rb"\r\n|\r|\n")


class SseParser:
    def __init__(self):
        self.buffer = b""
        self.fields = []

    def feed(self, data):
        """Returns ("comment", text) and ("block", [(field, value), ...]) items, in order."""
        self.buffer += data
        out = []
        while True:
            m = LINE_END.search(self.buffer)
            if not m or (m.group() == b"\r" and m.end() == len(self.buffer)):
                break  # no whole line yet, or a CR that may be the first half of a CRLF
            raw, self.buffer = self.buffer[:m.start()], self.buffer[m.end():]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                out.append(("malformed", f"invalid UTF-8 line {raw[:80]!r}"))
                continue
            if line == "":
                if self.fields:
                    out.append(("block", self.fields))
                    self.fields = []
            elif line.startswith(":"):
                out.append(("comment", line[1:]))
            else:
                name, colon, value = line.partition(":")
                if colon and value.startswith(" "):
                    value = value[1:]
                self.fields.append((name, value))
        return out


# --------------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------------

class Holder:
    def __init__(self, index, group):
        self.index, self.group = index, group
        self.name = None
        self.user_id = None
        self.token = None
        self.floor_id = 0           # the holder's newest notification id before the run (reconnects without one seen)
        self.received = {}          # notification id -> [(receive time, connection number), ...]
        self.order = []             # notification ids in arrival order
        self.last_id = None
        self.unread_frames = 0
        self.last_unread = None
        self.keepalives = 0
        self.other_comments = []
        self.ends = []
        self.problems = []
        self.connections = []       # dicts: t_start, t_head, t_first_unread, status, after, via, reason_closed
        self.writer = None
        self.dropping = False
        self.drop_at = None
        self.pause = None
        self.reconnect_holder = False
        self.connected = None       # asyncio.Event set once the first stream is open (or failed for good)
        self.failed = None
        self.table = None
        self.table_unread = None

    def problem(self, text):
        if len(self.problems) < 50:
            self.problems.append(text)


class Context:
    def __init__(self, args, host, port):
        self.args, self.host, self.port = args, host, port
        self.stop = asyncio.Event()
        self.retries = {}
        self.header_problems = {}

    def count_retry(self, label, status):
        key = f"{label} {status}"
        self.retries[key] = self.retries.get(key, 0) + 1

    async def api(self, method, path, payload=None, token=None, form=None, source=None, label=None,
                  accept=(200,), attempts=30):
        """A request with JSON (or form) body, retried on 429/503 after Retry-After."""
        headers = {}
        body = b""
        if payload is not None:
            body = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        for attempt in range(attempts):
            try:
                r = await http(self.host, self.port, method, path, body, headers, source)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
                self.count_retry(label or path, type(e).__name__)
                await asyncio.sleep(0.5)
                continue
            if r.status in (429, 503) and attempt + 1 < attempts:
                self.count_retry(label or path, r.status)
                await asyncio.sleep(min(r.retry_after(), 5) * (0.5 + random.random()))
                continue
            if r.status not in accept:
                raise RuntimeError(f"{method} {path}: {r.status} {r.body[:300]!r}")
            return r
        raise RuntimeError(f"{method} {path}: gave up after {attempts} attempts")


# --------------------------------------------------------------------------------------------------
# Server process figures
# --------------------------------------------------------------------------------------------------

def find_pid(port):
    try:
        out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True,
                             timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"pid=(\d+)", out)
    return int(m.group(1)) if m else None


def proc_sample(pid, label):
    sample = {"label": label}
    if not pid:
        return sample
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    sample[key + "_MiB"] = round(int(value.split()[0]) / 1024, 1)
                elif key == "Threads":
                    sample["threads"] = int(value)
        sample["open_fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError as e:
        sample["error"] = str(e)
    return sample


def compilers_running():
    names = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    comm = f.read().strip()
            except OSError:
                continue
            if comm in ("cargo", "rustc") or comm.startswith("rustc"):
                names.append(comm)
    return {name: names.count(name) for name in set(names)}


def raise_nofile(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed * 2)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        raise SystemExit(f"open-file limit {soft} (hard {hard}) is below the {needed} this run needs: "
                         f"raise it (ulimit -Hn) or use fewer --streams")
    return soft


# --------------------------------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------------------------------

async def seed(ctx, holders, groups):
    """Registers and logs in every account, creates the events, and has every holder comment once."""
    args = ctx.args
    run = uuid.uuid4().hex[:6]
    accounts = []
    for h in holders:
        h.name = f"st{run}h{h.index}"
        accounts.append(h)
    for g in groups:
        g["owner"] = {"name": f"st{run}o{g['index']}"}
        g["author"] = {"name": f"st{run}a{g['index']}"}
        accounts.append(g["owner"])
        accounts.append(g["author"])
    queue = asyncio.Queue()
    for account in accounts:
        queue.put_nowait(account)
    done = [0]
    started = now()

    async def sign_up(account, source):
        name = account.name if isinstance(account, Holder) else account["name"]
        r = await ctx.api("POST", "/users/", {"username": name, "email": f"{name}@example.org",
                                              "password": PASSWORD}, source=source, label="register",
                          accept=(200, 409))  # 409: a retried registration that had gone through
        user_id = r.json()["id"] if r.status == 200 else None
        r = await ctx.api("POST", "/token", form={"username": name, "password": PASSWORD}, source=source,
                          label="login")
        token = r.json()["access_token"]
        if user_id is None:
            user_id = (await ctx.api("GET", "/users/me", token=token, source=source, label="me")).json()["id"]
        if isinstance(account, Holder):
            account.user_id, account.token = user_id, token
        else:
            account["id"], account["token"] = user_id, token

    async def worker(w):
        source = f"127.0.0.{SEED_SOURCE_BASE + w}"
        while True:
            try:
                account = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await sign_up(account, source)
            done[0] += 1
            if done[0] % 500 == 0:
                print(f"  seeded {done[0]}/{len(accounts)} accounts ({now() - started:.0f} s)", flush=True)

    await asyncio.gather(*(worker(w) for w in range(args.seed_concurrency)))
    for g in groups:
        r = await ctx.api("POST", "/events/", {
            "name": f"Stream check {g['index']}", "event_time": "2027-01-01T10:00:00Z", "description": "",
            "duration_hours": 1, "duration_minutes": 0, "max_tickets": 10}, token=g["owner"]["token"],
            source=COMMENT_SOURCE, label="event")
        g["event_id"] = r.json()["id"]
    queue = asyncio.Queue()
    for h in holders:
        queue.put_nowait(h)

    async def commenter(w):
        source = f"127.0.0.{SEED_SOURCE_BASE + w}"
        while True:
            try:
                h = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await ctx.api("POST", f"/comments/{groups[h.group]['event_id']}", {"content": "Count me in"},
                          token=h.token, source=source, label="seed comment")

    await asyncio.gather(*(commenter(w) for w in range(args.seed_concurrency)))

    async def floor(h):
        r = await ctx.api("GET", "/notifications/?limit=1", token=h.token, source=FETCH_SOURCE,
                          label="floor", accept=(200, 204))
        items = r.json() if r.status == 200 else []
        h.floor_id = items[0]["id"] if items else 0

    reconnecting = [h for h in holders if h.reconnect_holder]
    for i in range(0, len(reconnecting), 16):
        await asyncio.gather(*(floor(h) for h in reconnecting[i:i + 16]))
    return {"accounts": len(accounts), "seconds": round(now() - started, 1)}


# --------------------------------------------------------------------------------------------------
# Streams
# --------------------------------------------------------------------------------------------------

def handle_block(ctx, h, fields, t, conn):
    info = h.connections[conn]
    first = info["blocks"] == 0
    info["blocks"] += 1
    values = {}
    for name, value in fields:
        if name == "data":
            values["data"] = value if "data" not in values else values["data"] + "\n" + value
        elif name in ("event", "id", "retry"):
            if name in values:
                h.problem(f"conn {conn}: field {name!r} twice in one block: {fields!r}")
            values[name] = value
        else:
            h.problem(f"conn {conn}: unknown field {name!r} in {fields!r}")
    if "retry" in values:
        info["retry"] = values["retry"]
        if values["retry"] != "3000":
            h.problem(f"conn {conn}: retry {values['retry']!r}, expected 3000")
    if first and "retry" not in values:
        h.problem(f"conn {conn}: first block has no retry: {fields!r}")
    if "data" not in values:
        if set(values) - {"retry"}:
            h.problem(f"conn {conn}: block without data: {fields!r}")
        return
    event = values.get("event", "message")
    try:
        data = json.loads(values["data"])
    except ValueError:
        h.problem(f"conn {conn}: data is not JSON: {values['data'][:200]!r}")
        return
    if event == "unread":
        h.unread_frames += 1
        if info["t_first_unread"] is None:
            info["t_first_unread"] = t
        if "id" in values:
            h.problem(f"conn {conn}: unread event with an id: {fields!r}")
        if not isinstance(data, dict) or not isinstance(data.get("unread"), int) or data["unread"] < 0:
            h.problem(f"conn {conn}: bad unread data {values['data'][:200]!r}")
        else:
            h.last_unread = data["unread"]
    elif event == "notification":
        info["notifications"] += 1
        if info["t_first_unread"] is None:
            # the spec has `unread` "right after opening"; the server sends a replay (after=/Last-Event-ID)
            # first and the count after it: counted, not a failure
            info["before_first_unread"] += 1
        if not isinstance(data, dict):
            h.problem(f"conn {conn}: notification data not an object: {values['data'][:200]!r}")
            return
        if set(data) != NOTIFICATION_KEYS:
            h.problem(f"conn {conn}: notification keys {sorted(data)}")
        nid = data.get("id")
        if "id" not in values or not values["id"].isdigit() or int(values["id"]) != nid:
            h.problem(f"conn {conn}: id field {values.get('id')!r} vs data id {nid!r}")
        if data.get("owner_id") != h.user_id:
            h.problem(f"conn {conn}: FOREIGN notification {nid} for owner {data.get('owner_id')} "
                      f"on the stream of user {h.user_id}")
        if not isinstance(nid, int):
            return
        if h.last_id is not None and nid <= h.last_id:
            info["out_of_order"] += 1
        h.received.setdefault(nid, []).append((t, conn))
        h.order.append(nid)
        h.last_id = nid if h.last_id is None else max(h.last_id, nid)
        ctx.frames_notification += 1
    elif event == "end":
        reason = data.get("reason") if isinstance(data, dict) else None
        h.ends.append(reason)
        info["end"] = reason
        if reason not in ("token_expired", "signed_out", "shutting_down"):
            h.problem(f"conn {conn}: end with unknown reason {values['data'][:200]!r}")
    else:
        h.problem(f"conn {conn}: unknown event {event!r}")


async def open_stream(ctx, h, after, via):
    query = {}
    headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
    if ctx.args.auth == "ticket":
        r = await ctx.api("POST", "/notifications/stream/ticket", token=h.token, source=FETCH_SOURCE,
                          label="ticket")
        ticket = r.json()
        if not isinstance(ticket, dict) or not isinstance(ticket.get("ticket"), str):
            h.problem(f"ticket answer {r.body[:200]!r}")
        query["ticket"] = ticket["ticket"]
        if after is not None:
            query["after"] = after
    else:
        headers["Authorization"] = f"Bearer {h.token}"
        if after is not None:
            if via == "header":
                headers["Last-Event-ID"] = str(after)
            else:
                query["after"] = after
    path = "/notifications/stream" + ("?" + urllib.parse.urlencode(query) if query else "")
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(ctx.host, ctx.port, local_addr=(STREAM_SOURCE, 0)), 30)
    try:
        writer.write(encode_request("GET", ctx.host, ctx.port, path, headers=headers))
        await writer.drain()
        status, response_headers = await asyncio.wait_for(read_head(reader), 30)
    except BaseException:
        writer.transport.abort()
        raise
    return reader, writer, status, response_headers


def check_stream_headers(ctx, headers):
    expect = {"content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no"}
    for name, value in expect.items():
        got = headers.get(name, "")
        if value not in got.lower():
            key = f"{name}: {got!r}"
            ctx.header_problems[key] = ctx.header_problems.get(key, 0) + 1


async def holder_task(ctx, h, open_sem):
    args = ctx.args
    after, via = None, "none"
    failures = 0
    while not ctx.stop.is_set():
        conn = len(h.connections)
        info = {"t_start": now(), "t_head": None, "t_first_unread": None, "status": None, "after": after,
                "via": via, "t_closed": None, "blocks": 0, "before_first_unread": 0, "notifications": 0, "out_of_order": 0, "end": None, "closed": None}
        h.connections.append(info)
        try:
            if conn == 0:
                async with open_sem:  # the open time starts once this client lets the open go
                    info["t_start"] = now()
                    reader, writer, status, headers = await open_stream(ctx, h, after, via)
            else:
                reader, writer, status, headers = await open_stream(ctx, h, after, via)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError, RuntimeError) as e:
            info["status"] = type(e).__name__
            info["closed"] = f"open failed: {e}"
            failures += 1
            if failures >= 5 or ctx.stop.is_set():
                h.failed = f"could not open: {e}"
                h.connected.set()
                return
            await asyncio.sleep(1)
            continue
        info["status"] = status
        info["t_head"] = now()
        if status != 200:
            body = b""
            try:
                async def read_all():
                    return b"".join([part async for part in body_chunks(reader, headers)])
                body = await asyncio.wait_for(read_all(), 5)
            except Exception:
                pass
            writer.transport.abort()
            info["closed"] = f"status {status}: {body[:200]!r}"
            failures += 1
            if failures >= 5 or ctx.stop.is_set() or status not in (429, 503):
                h.failed = info["closed"]
                h.connected.set()
                return
            retry = float(headers.get("retry-after", "1")) if headers.get("retry-after", "1").isdigit() else 1
            await asyncio.sleep(min(retry, 5))
            continue
        failures = 0
        check_stream_headers(ctx, headers)
        h.writer = writer
        h.connected.set()
        parser = SseParser()
        reason = "eof"
        try:
            async for chunk in body_chunks(reader, headers):
                t = now()
                for kind, item in parser.feed(chunk):
                    if kind == "block":
                        handle_block(ctx, h, item, t, conn)
                    elif kind == "comment":
                        if item.strip() == "keep-alive":
                            h.keepalives += 1
                        else:
                            h.other_comments.append(item[:100])
                    else:
                        h.problem(f"conn {conn}: {item}")
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            reason = type(e).__name__
        finally:
            writer.transport.abort()
            h.writer = None
            info["t_closed"] = now()
        if parser.buffer or parser.fields:
            if not (ctx.stop.is_set() or h.dropping):
                h.problem(f"conn {conn}: stream ended inside a block: {parser.buffer[:100]!r} {parser.fields!r}")
        if ctx.stop.is_set():
            info["closed"] = "by us at the end"
            return
        if h.dropping:
            info["closed"] = "dropped by us"
            h.dropping = False
            await asyncio.sleep(h.pause)
            via = args.reconnect_via if args.auth == "bearer" else "after"
        else:
            info["closed"] = f"by the server ({reason}, end={info['end']})"
            ctx.unexpected_closes += 1
            if info["end"] in ("token_expired", "signed_out"):
                return
            await asyncio.sleep(1)
            via = "header" if args.auth == "bearer" else "after"
        after = h.last_id if h.last_id is not None else h.floor_id


async def holder_main(ctx, h, open_sem):
    try:
        await holder_task(ctx, h, open_sem)
    except Exception as e:  # a bug here must not hang the run
        h.failed = h.failed or f"stream task crashed: {e!r}"
        h.problem(h.failed)
    finally:
        h.connected.set()


async def dropper(ctx, h):
    await asyncio.sleep(max(0, h.drop_at - now()))
    if ctx.stop.is_set() or h.writer is None:
        return
    h.dropping = True
    h.dropped_at = now()
    h.writer.transport.abort()


# --------------------------------------------------------------------------------------------------
# Comments
# --------------------------------------------------------------------------------------------------

async def post_comments(ctx, groups, t0):
    args = ctx.args
    total = int(round(args.rate * args.seconds))
    queues = [asyncio.Queue() for _ in groups]
    comments = []

    async def group_worker(g, q):
        while True:
            item = await q.get()
            if item is None:
                return
            record = item
            await asyncio.sleep(max(0, record["scheduled"] - now()))
            try:
                r = await http(ctx.host, ctx.port, "POST", f"/comments/{g['event_id']}",
                               json.dumps({"content": f"Comment {record['i']}"}).encode(),
                               {"Content-Type": "application/json",
                                "Authorization": f"Bearer {g['author']['token']}"},
                               source=COMMENT_SOURCE, timeout=30)
                record.update(t_send=r.t_send, t_resp=r.t_resp, status=r.status)
                if r.status == 200:
                    body = r.json()
                    record["comment_id"] = body["id"]
                    record["created_at"] = body["created_at"]
                else:
                    record["error"] = r.body[:200].decode("utf-8", "replace")
            except Exception as e:  # the outcome is unknown: the comment may or may not exist
                record.update(status=type(e).__name__, error=str(e)[:200])

    workers = [asyncio.create_task(group_worker(g, q)) for g, q in zip(groups, queues)]
    for i in range(total):
        g = i % len(groups)
        record = {"i": i, "group": g, "scheduled": t0 + i / args.rate, "t_send": None, "t_resp": None,
                  "status": None}
        comments.append(record)
        queues[g].put_nowait(record)
    for q in queues:
        q.put_nowait(None)
    await asyncio.gather(*workers)
    return comments


async def fetch_table(ctx, h):
    items, skip, total = [], 0, None
    while True:
        r = await ctx.api("GET", f"/notifications/?skip={skip}&limit=100", token=h.token, source=FETCH_SOURCE,
                          label="table", accept=(200, 204))
        total = int(r.headers.get("x-total-count", "-1"))
        h.table_unread = int(r.headers.get("x-unread-count", "-1"))
        if r.status == 204:
            break
        page = r.json()
        items.extend(page)
        skip += len(page)
        if skip >= total:
            break
    if total != len(items):
        h.problem(f"table: X-Total-Count {total} but {len(items)} items listed")
    h.table = items


# --------------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------------

async def run(args, host, port):
    ctx = Context(args, host, port)
    ctx.frames_notification = 0
    ctx.unexpected_closes = 0
    rng = random.Random(args.seed)
    n, fanout = args.streams, args.fanout
    group_count = (n + fanout - 1) // fanout
    groups = [{"index": g} for g in range(group_count)]
    holders = [Holder(i, i // fanout) for i in range(n)]
    for h in holders:
        h.connected = asyncio.Event()
    for h in rng.sample(holders, min(args.reconnect, n)):
        h.reconnect_holder = True
    result = {"config": {"streams": n, "fanout": fanout, "groups": group_count, "rate_per_s": args.rate,
                         "seconds": args.seconds, "reconnect": args.reconnect, "auth": args.auth,
                         "reconnect_via": args.reconnect_via, "settle_s": args.settle},
              "compilers_running_at_start": compilers_running()}
    try:
        health = await http(host, port, "GET", "/health", timeout=10)
    except (OSError, asyncio.TimeoutError) as e:
        raise SystemExit(f"no server at {host}:{port}: {e}")
    if health.status != 200:
        raise SystemExit(f"GET /health answered {health.status}: {health.body[:200]!r}")
    pid = args.pid or find_pid(port)
    result["server_pid"] = pid
    if not pid:
        print("warning: server pid not found (give --pid); no RSS figures", flush=True)

    print(f"seeding {n} stream holders + {2 * group_count} owners/authors, {group_count} events ...", flush=True)
    result["seeding"] = await seed(ctx, holders, groups)
    print(f"  seeded in {result['seeding']['seconds']} s", flush=True)
    if result["seeding"]["accounts"] / max(result["seeding"]["seconds"], 0.001) < 20:
        print("  (slow: is the server running with BCRYPT_COST=4?)", flush=True)
    await asyncio.sleep(1)
    samples = [proc_sample(pid, "before streams")]

    print(f"opening {n} streams ...", flush=True)
    open_sem = asyncio.Semaphore(args.open_concurrency)
    t_open = now()
    tasks = [asyncio.create_task(holder_main(ctx, h, open_sem)) for h in holders]
    await asyncio.gather(*(h.connected.wait() for h in holders))
    # every stream has its 200; wait (bounded) for every first unread event too
    deadline = now() + 30
    while now() < deadline and any(h.failed is None and h.connections[-1]["t_first_unread"] is None
                                   for h in holders):
        await asyncio.sleep(0.1)
    open_seconds = now() - t_open
    opened = sum(1 for h in holders if h.failed is None)
    first = [next(c for c in h.connections if c["status"] == 200) for h in holders if h.failed is None]
    statuses = {}
    for h in holders:
        for c in h.connections:
            statuses[str(c["status"])] = statuses.get(str(c["status"]), 0) + 1
    result["streams"] = {
        "opened": opened, "failed": n - opened, "seconds_to_open_all": round(open_seconds, 2),
        "open_statuses": statuses,
        "open_to_200": summary_ms([c["t_head"] - c["t_start"] for c in first]),
        "open_to_first_unread": summary_ms([c["t_first_unread"] - c["t_start"] for c in first
                                            if c["t_first_unread"]]),
        "without_first_unread": sum(1 for c in first if not c["t_first_unread"]),
        "failures": [h.failed for h in holders if h.failed][:MAX_EXAMPLES],
    }
    print(f"  {opened}/{n} open in {open_seconds:.1f} s; statuses {statuses}", flush=True)
    await asyncio.sleep(2)
    samples.append(proc_sample(pid, "streams open"))

    t0 = now() + 0.5
    for h in holders:
        if h.reconnect_holder:
            h.drop_at = t0 + rng.uniform(0.25, 0.65) * args.seconds
            h.pause = rng.uniform(*args.reconnect_pause)
    droppers = [asyncio.create_task(dropper(ctx, h)) for h in holders if h.reconnect_holder]
    print(f"posting {int(round(args.rate * args.seconds))} comments at {args.rate}/s for {args.seconds} s"
          + (f", {len(droppers)} streams dropping and reconnecting" if droppers else "") + " ...", flush=True)
    comments = await post_comments(ctx, groups, t0)
    await asyncio.gather(*droppers)
    samples.append(proc_sample(pid, "after comments, streams open"))
    print(f"  done; settling {args.settle} s ...", flush=True)
    await asyncio.sleep(args.settle)

    print("reading every holder's GET /notifications/ ...", flush=True)
    sem = asyncio.Semaphore(16)

    async def fetch(h):
        async with sem:
            await fetch_table(ctx, h)

    await asyncio.gather(*(fetch(h) for h in holders))
    await asyncio.sleep(1)  # anything in the table by now and not received is counted lost
    samples.append(proc_sample(pid, "after the table reads, streams open"))
    ctx.stop.set()
    for h in holders:
        if h.writer is not None:
            h.writer.transport.abort()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(2)
    samples.append(proc_sample(pid, "2 s after streams closed"))
    if args.after_close_wait > 2:
        print(f"waiting {args.after_close_wait:.0f} s to see the server release closed streams ...", flush=True)
        await asyncio.sleep(args.after_close_wait - 2)
        samples.append(proc_sample(pid, f"{args.after_close_wait:.0f} s after streams closed"))
    result["server_process"] = samples
    result["compilers_running_at_end"] = compilers_running()
    result.update(analyse(ctx, holders, groups, comments))
    return result


def analyse(ctx, holders, groups, comments):
    author_ids = {g["author"]["id"]: g["index"] for g in groups}
    ok = {g["index"]: [] for g in groups}
    for c in comments:
        if c["status"] == 200:
            ok[c["group"]].append(c)
    for g in ok.values():
        g.sort(key=lambda c: c["comment_id"])
    unknown_outcome = [c for c in comments if c["status"] != 200]
    comment_statuses = {}
    for c in comments:
        comment_statuses[str(c["status"])] = comment_statuses.get(str(c["status"]), 0) + 1

    lost = dup = extra = extra_old = extra_unknown = table_short = table_long = 0
    unmapped_holders = unread_mismatch = no_unread = 0
    lost_examples, dup_examples, extra_examples, table_examples, unread_examples = [], [], [], [], []
    lat_send, lat_resp = [], []
    per_comment_last = {}     # comment i -> latest first-receipt time among its holders
    per_comment_missing = {}
    expected_total = received_total = 0
    replayed = 0
    reconnect = {"holders": 0, "dropped": 0, "reconnected": 0, "lost": 0, "dup": 0, "replayed": 0,
                 "reconnect_to_200": []}
    problems = []
    out_of_order = 0
    before_unread = [0, 0]  # notifications, connections
    keepalives = 0
    ends = {}
    for h in holders:
        group = groups[h.group]
        table = h.table or []
        table_ids = {item["id"] for item in table}
        expected = sorted(item["id"] for item in table if item["sender_id"] == group["author"]["id"])
        foreign_authors = [item["id"] for item in table
                           if item["sender_id"] in author_ids and item["sender_id"] != group["author"]["id"]]
        if foreign_authors:
            h.problem(f"table has notifications from other groups' authors: {foreign_authors[:5]}")
        acked = ok[h.group]
        if len(expected) < len(acked):
            table_short += 1
            if len(table_examples) < MAX_EXAMPLES:
                table_examples.append(f"user {h.user_id}: {len(acked)} comments acknowledged on event "
                                      f"{group['event_id']} but {len(expected)} notifications in the table")
        elif len(expected) > len(acked):
            table_long += 1  # a comment whose POST failed without an answer was written after all
        expected_total += len(expected)
        received = set(h.received)
        received_total += len(received)
        lost_ids = sorted(set(expected) - received)
        extra_ids = sorted(received - set(expected))
        dups = {nid: len(v) for nid, v in h.received.items() if len(v) > 1}
        lost += len(lost_ids)
        dup += sum(v - 1 for v in dups.values())
        extra += len(extra_ids)
        extra_old += sum(1 for nid in extra_ids if nid in table_ids)
        extra_unknown += sum(1 for nid in extra_ids if nid not in table_ids)
        if lost_ids and len(lost_examples) < MAX_EXAMPLES:
            lost_examples.append({"user_id": h.user_id, "lost": lost_ids[:10], "received": len(received),
                                  "expected": len(expected), "connections": len(h.connections),
                                  "reconnect_holder": h.reconnect_holder})
        if dups and len(dup_examples) < MAX_EXAMPLES:
            dup_examples.append({"user_id": h.user_id, "duplicated": dict(list(dups.items())[:10]),
                                 "reconnect_holder": h.reconnect_holder})
        if extra_ids and len(extra_examples) < MAX_EXAMPLES:
            extra_examples.append({"user_id": h.user_id, "extra": extra_ids[:10],
                                   "in_table_from_before_run": [i for i in extra_ids if i in table_ids][:10]})
        if h.last_unread is None:
            no_unread += 1
        elif h.table_unread is not None and h.last_unread != h.table_unread:
            unread_mismatch += 1
            if len(unread_examples) < MAX_EXAMPLES:
                unread_examples.append({"user_id": h.user_id, "last_unread_event": h.last_unread,
                                        "x_unread_count": h.table_unread})
        # map the k-th expected notification to the k-th acknowledged comment of the group
        if len(expected) == len(acked):
            # gaps: from a connection's end to the next one's 200; a comment whose POST overlaps a gap
            # reached this holder by replay (or late), and is left out of the latency figures
            gaps = []
            last_closed = None
            for info in h.connections:
                if last_closed is not None:
                    gaps.append((last_closed, info["t_head"] or float("inf")))
                if info["status"] == 200 and info["t_closed"] is not None:
                    last_closed = info["t_closed"]
            for nid, c in zip(expected, acked):
                got = h.received.get(nid)
                if not got:
                    per_comment_missing[c["i"]] = per_comment_missing.get(c["i"], 0) + 1
                    continue
                t, conn = got[0]
                if any(c["t_resp"] >= start and c["t_send"] <= end for start, end in gaps):
                    replayed += 1
                    if h.reconnect_holder:
                        reconnect["replayed"] += 1
                    continue
                lat_send.append(t - c["t_send"])
                lat_resp.append(t - c["t_resp"])
                per_comment_last[c["i"]] = max(per_comment_last.get(c["i"], t), t)
        else:
            unmapped_holders += 1
        for c in h.connections:
            out_of_order += c["out_of_order"]
            before_unread[0] += c["before_first_unread"]
            before_unread[1] += 1 if c["before_first_unread"] else 0
        keepalives += h.keepalives
        for reason in h.ends:
            ends[str(reason)] = ends.get(str(reason), 0) + 1
        if h.reconnect_holder:
            reconnect["holders"] += 1
            reconnect["dropped"] += sum(1 for c in h.connections if c["closed"] == "dropped by us")
            reconnect["reconnected"] += sum(1 for c in h.connections[1:] if c["status"] == 200)
            reconnect["lost"] += len(lost_ids)
            reconnect["dup"] += sum(v - 1 for v in dups.values())
            for prev, c in zip(h.connections, h.connections[1:]):
                if c["t_head"] and c["status"] == 200:
                    reconnect["reconnect_to_200"].append(c["t_head"] - c["t_start"])
        for p in h.problems:
            if len(problems) < 200:
                problems.append(f"user {h.user_id}: {p}")
    problem_count = sum(len(h.problems) for h in holders)
    reconnect["reconnect_to_200"] = summary_ms(reconnect["reconnect_to_200"])
    fanout_done = [per_comment_last[c["i"]] - c["t_send"] for g in ok.values() for c in g
                   if c["i"] in per_comment_last and c["i"] not in per_comment_missing]
    post_times = [c["t_resp"] - c["t_send"] for c in comments if c["status"] == 200]
    lags = [c["t_send"] - c["scheduled"] for c in comments if c["t_send"] is not None]
    expected_by_comments = sum(len(ok[h.group]) for h in holders)
    return {
        "comments": {"posted": len(comments), "acknowledged": sum(len(v) for v in ok.values()),
                     "statuses": comment_statuses,
                     "failed_examples": [f"{c['status']}: {c.get('error')}" for c in unknown_outcome][:MAX_EXAMPLES],
                     "post_latency": summary_ms(post_times),
                     "schedule_lag": summary_ms(lags)},
        "check": {"expected_from_acknowledged_comments": expected_by_comments,
                  "expected_in_tables": expected_total, "received_unique": received_total,
                  "lost": lost, "duplicates": dup, "extra": extra, "extra_from_before_run": extra_old,
                  "extra_not_in_table": extra_unknown,
                  "holders_with_table_short_of_acknowledged_comments": table_short,
                  "holders_with_table_beyond_acknowledged_comments": table_long,
                  "holders_unmapped_for_latency": unmapped_holders,
                  "unread_last_event_vs_x_unread_count_mismatches": unread_mismatch,
                  "holders_without_unread_event": no_unread,
                  "notifications_out_of_id_order": out_of_order,
                  "notifications_before_first_unread": {"notifications": before_unread[0],
                                                        "connections": before_unread[1]},
                  "unexpected_server_closes": ctx.unexpected_closes,
                  "end_events": ends,
                  "keepalive_comments": keepalives,
                  "stream_header_problems": ctx.header_problems,
                  "protocol_problems": problem_count,
                  "received_across_a_reconnect_gap": replayed,
                  "api_retries": ctx.retries},
        "reconnect": reconnect,
        "latency_from_post_sent": summary_ms(lat_send),
        "latency_from_post_answered": summary_ms(lat_resp),
        "fanout_complete_from_post_sent": summary_ms(fanout_done),
        "examples": {"lost": lost_examples, "duplicates": dup_examples, "extra": extra_examples,
                     "table_short": table_examples, "unread_mismatch": unread_examples,
                     "protocol_problems": problems},
    }


def report(result):
    c = result["config"]
    s = result["streams"]
    k = result["check"]
    cm = result["comments"]
    lines = [
        "",
        f"== Plaza notification streams: {c['streams']} streams ({c['auth']}), {c['groups']} events x "
        f"{c['fanout']} holders, {c['rate_per_s']} comments/s for {c['seconds']} s",
        f"seeding       {result['seeding']['accounts']} accounts in {result['seeding']['seconds']} s",
        f"streams       {s['opened']} open, {s['failed']} failed, all open in {s['seconds_to_open_all']} s; "
        f"statuses {s['open_statuses']}",
        f"  open -> 200            {fmt(s['open_to_200'])}",
        f"  open -> first unread   {fmt(s['open_to_first_unread'])}",
        f"comments      {cm['acknowledged']}/{cm['posted']} acknowledged, statuses {cm['statuses']}",
        f"  POST round trip        {fmt(cm['post_latency'])}",
        f"  send lag vs schedule   {fmt(cm['schedule_lag'])}",
        f"delivery      expected {k['expected_in_tables']} (from acknowledged comments: "
        f"{k['expected_from_acknowledged_comments']}), received {k['received_unique']}",
        f"  LOST {k['lost']}   DUPLICATES {k['duplicates']}   EXTRA {k['extra']} "
        f"(from before the run {k['extra_from_before_run']}, not in the table {k['extra_not_in_table']})",
        f"  tables short of acknowledged comments: {k['holders_with_table_short_of_acknowledged_comments']} "
        f"holders; beyond: {k['holders_with_table_beyond_acknowledged_comments']}",
        f"latency from POST sent (upper bound)      {fmt(result['latency_from_post_sent'])}",
        f"latency from POST answered (lower bound)  {fmt(result['latency_from_post_answered'])}",
        f"last of a comment's holders, from sent    {fmt(result['fanout_complete_from_post_sent'])}",
        f"protocol      problems {k['protocol_problems']}, header problems {k['stream_header_problems'] or 0}, "
        f"unread mismatches {k['unread_last_event_vs_x_unread_count_mismatches']}, "
        f"without unread {k['holders_without_unread_event']}, out of id order "
        f"{k['notifications_out_of_id_order']}, server closes {k['unexpected_server_closes']}, "
        f"end events {k['end_events'] or 0}, keep-alives {k['keepalive_comments']}",
        f"              notifications sent before a connection's first unread event (replays): "
        f"{k['notifications_before_first_unread']['notifications']} on "
        f"{k['notifications_before_first_unread']['connections']} connections",
    ]
    r = result["reconnect"]
    if r["holders"]:
        lines.append(f"reconnect     {r['holders']} holders: dropped {r['dropped']}, reconnected {r['reconnected']} "
                     f"({c['reconnect_via'] if c['auth'] == 'bearer' else 'ticket + after'}), "
                     f"notifications across the gap (replayed, left out of latency) {r['replayed']}, lost {r['lost']}, duplicates {r['dup']}; "
                     f"reconnect -> 200 {fmt(r['reconnect_to_200'])}")
    lines.append(f"api retries   {k['api_retries'] or 'none'}")
    lines.append("server        " + "; ".join(
        f"{p['label']}: RSS {p.get('VmRSS_MiB')} MiB, HWM {p.get('VmHWM_MiB')} MiB, "
        f"{p.get('threads')} threads, {p.get('open_fds')} fds" for p in result["server_process"]))
    lines.append(f"cargo/rustc running: at start {result['compilers_running_at_start'] or 'none'}, "
                 f"at end {result['compilers_running_at_end'] or 'none'}")
    if s["failures"]:
        lines.append(f"-- streams that could not be opened (first {min(len(s['failures']), 10)}):")
        lines.extend(f"   {f}" for f in s["failures"][:10])
    for name, examples in result["examples"].items():
        if examples:
            lines.append(f"-- {name} (first {min(len(examples), 10)}):")
            lines.extend(f"   {e}" for e in examples[:10])
    print("\n".join(lines), flush=True)


def passed(result):
    k = result["check"]
    return (result["streams"]["failed"] == 0 and k["lost"] == 0 and k["duplicates"] == 0 and k["extra"] == 0
            and k["protocol_problems"] == 0 and not k["stream_header_problems"]
            and k["holders_with_table_short_of_acknowledged_comments"] == 0
            and k["unread_last_event_vs_x_unread_count_mismatches"] == 0
            and k["holders_without_unread_event"] == 0 and k["unexpected_server_closes"] == 0
            and result["comments"]["acknowledged"] == result["comments"]["posted"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8001")
    parser.add_argument("--streams", type=int, default=2000, help="stream holders, one stream each")
    parser.add_argument("--fanout", type=int, default=50, help="holders notified by each comment")
    parser.add_argument("--rate", type=float, default=20, help="comments per second")
    parser.add_argument("--seconds", type=float, default=30, help="how long comments are posted")
    parser.add_argument("--settle", type=float, default=5, help="seconds after the last comment before checking")
    parser.add_argument("--reconnect", type=int, nargs="?", const=50, default=0,
                        help="holders that drop and reconnect mid-run (50 when given without a number)")
    parser.add_argument("--reconnect-pause", type=float, nargs=2, default=[1.0, 3.0], metavar=("MIN", "MAX"),
                        help="seconds between a drop and its reconnect (uniform)")
    parser.add_argument("--reconnect-via", choices=["header", "after"], default="header",
                        help="resume with Last-Event-ID (default) or ?after=")
    parser.add_argument("--after-close-wait", type=float, default=20,
                        help="seconds after closing the streams for the last server sample (keep-alives are 15 s)")
    parser.add_argument("--auth", choices=["bearer", "ticket"], default="bearer")
    parser.add_argument("--seed-concurrency", type=int, default=16,
                        help="parallel seeding clients, each from its own loopback address")
    parser.add_argument("--open-concurrency", type=int, default=64, help="streams being opened at once")
    parser.add_argument("--pid", type=int, help="server pid (default: the listener of the port, via ss)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (which holders reconnect, when)")
    parser.add_argument("--json")
    args = parser.parse_args()
    url = urllib.parse.urlparse(args.base)
    if url.hostname != "127.0.0.1":
        raise SystemExit("streams.py runs against 127.0.0.1 only (it uses other 127.0.0.x source addresses)")
    if args.rate <= 0 or args.seconds <= 0 or args.streams <= 0 or args.fanout <= 0:
        raise SystemExit("--rate, --seconds, --streams and --fanout must be positive")
    if args.seed_concurrency > 200:
        raise SystemExit("--seed-concurrency at most 200")
    raise_nofile(args.streams + 256)
    random.seed(args.seed)
    result = asyncio.run(run(args, url.hostname, url.port or 80))
    report(result)
    result["passed"] = passed(result)
    print("RESULT: " + ("PASS" if result["passed"] else "FAIL"))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    sys.exit(0 if result["passed"] else 1)


if __name__ == "__main__":
    main()
