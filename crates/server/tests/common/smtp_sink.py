#!/usr/bin/env python3
"""A real SMTP server for Plaza's tests (Debian's python3-aiosmtpd), that keeps every mail it accepts.

    smtp_sink.py DIR [--port PORT]

Listens on 127.0.0.1 (PORT, or a free one), prints `listening on PORT` once it accepts connections, and
writes each mail it accepts to DIR as NNNNNN.eml (the bytes received) and NNNNNN.json (the envelope and
the decoded headers, text and HTML, for tests that only need to read it), each file complete once it
appears. Stops on SIGTERM or when its standard input closes.
"""

import argparse
import email
import itertools
import json
import os
import signal
import socket
import sys
import threading
from email import policy

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    def write(self, name, data):
        path = os.path.join(self.directory, name)
        with open(path + ".part", "wb") as out:
            out.write(data)
        os.rename(path + ".part", path)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=policy.default)
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        attachments = [
            {"filename": part.get_filename(), "content_type": part.get_content_type(),
             "content": part.get_content() if part.get_content_maintype() == "text" else None}
            for part in message.iter_attachments()
        ]
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "headers": {name.lower(): str(value) for name, value in message.items()},
            "subject": str(message["subject"]),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
            "attachments": attachments,
        }
        with self.lock:
            number = next(self.counter)
        self.write(f"{number:06}.eml", raw)
        self.write(f"{number:06}.json", json.dumps(record, ensure_ascii=False).encode())
        return "250 OK kept"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    port = args.port or free_port()
    controller = Controller(Sink(args.directory), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening on {port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
