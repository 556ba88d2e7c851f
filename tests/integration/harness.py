"""Start and stop the real authsink binary on loopback for integration tests.

Every server listens on 127.0.0.1 (or ::1) on a port the kernel picks, with a
fresh Maildir and log in a temporary directory; nothing reaches outside.
"""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

BIN = os.environ.get("AUTHSINK", "authsink")
HERE = os.path.dirname(os.path.abspath(__file__))
LOOPBACK_ZONE = os.path.join(HERE, "data", "loopback.zone")


class Server:
    def __init__(self, *args, maildir=True, workdir=None, profile="observe", zone=LOOPBACK_ZONE):
        """A receiver on loopback. It never asks real DNS: it answers from
        zone (a stub), and the protocol tests judge with the observe profile
        unless they ask for another."""
        self.dir = workdir or tempfile.mkdtemp(prefix="authsink-test-")
        self.maildir = os.path.join(self.dir, "mail")
        self.log = os.path.join(self.dir, "events.jsonl")
        self.args = list(args) + ["--profile", profile]
        if zone:
            self.args += ["--zone", zone]
        self.proc = None
        self.port = None
        self.maildir_on = maildir

    def start(self, listen="127.0.0.1:0"):
        cmd = [BIN, "serve", "--listen", listen, "--log", self.log,
               "--maildir", self.maildir if self.maildir_on else "none"] + self.args
        self.stderr = open(os.path.join(self.dir, "stderr.txt"), "ab")
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
        # The server says where it listens before it serves.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline().decode()
            if not line:
                raise RuntimeError("authsink exited: rc=%s" % self.proc.wait())
            self.stderr.write(line.encode())
            m = re.search(r"listening on \[?([0-9a-f:.]+)\]?:(\d+)", line)
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
            if "serving" in line:
                return self
        raise RuntimeError("authsink did not start")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            rest = self.proc.stderr.read()
            self.stderr.write(rest)
        rc = self.proc.wait(timeout=timeout)
        self.stderr.close()
        return rc

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.stop()

    def events(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(l) for l in f if l.strip()]

    def stored(self):
        d = os.path.join(self.maildir, "new")
        return sorted(os.path.join(d, n) for n in os.listdir(d)) if os.path.isdir(d) else []


def read_reply(sock, buf=b""):
    """Reads one whole SMTP reply; returns (code, lines, rest)."""
    lines = []
    while True:
        while b"\r\n" not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; had %r" % buf)
            buf += chunk
        line, buf = buf.split(b"\r\n", 1)
        lines.append(line.decode("utf-8", "replace"))
        if len(line) >= 4 and line[3:4] == b" ":
            return int(line[:3]), lines, buf


def connect(server, timeout=30):
    s = socket.create_connection((server.host, server.port), timeout=timeout)
    return s


class Checks:
    """Counts assertions so each test ends with a line of its own."""
    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def eq(self, what, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL %s: %s\n  got:  %r\n  want: %r" % (self.name, what, got, want))

    def true(self, what, cond, detail=""):
        self.eq(what + (" (%s)" % detail if detail else ""), bool(cond), True)

    def done(self):
        print("%s: %d checks passed, %d failed" % (self.name, self.passed, self.failed))
        raise SystemExit(1 if self.failed or not self.passed else 0)
