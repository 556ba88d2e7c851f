"""authsink serve as a user meets it: --help, bad options, --config with
flags winning, IPv6, SIGTERM finishing a transaction in flight, the idle
timeout, and the per-client connection limit, each with Gmail's reply."""
import os
import socket
import subprocess
import time

from harness import BIN, LOOPBACK_ZONE, Checks, Server, connect, read_reply

c = Checks("serve_cli")


def run(*args):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=30)


p = run("serve", "--help")
c.eq("--help exits 0", p.returncode, 0)
for opt in ("--listen", "--hostname", "--maildir", "--log", "--accept-domain", "--xclient-from",
            "--config", "--profile"):
    c.true("--help names " + opt, opt in p.stdout)
c.eq("--version", run("serve", "--version").stdout.startswith("authsink "), True)
p = run("serve", "--bogus")
c.eq("unknown option: exit 2", p.returncode, 2)
# spec/cli.md: 2 for a usage error (a value that cannot be right), 1 for a
# failure (a right value that does not work here).
p = run("serve", "--listen", "nonsense")
c.eq("bad --listen: exit 2", p.returncode, 2)
c.true("bad --listen says why", "--listen nonsense" in p.stderr, p.stderr)
p = run("serve", "--client-ip-map", "127.0.0.1=not-an-address")
c.eq("bad --client-ip-map: exit 2", p.returncode, 2)
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
p = run("serve", "--listen", "127.0.0.1:%d" % busy.getsockname()[1], "--zone", LOOPBACK_ZONE,
        "--maildir", "none")
c.eq("a port in use: exit 1", p.returncode, 1)
c.true("a port in use says why", "cannot listen" in p.stderr, p.stderr)
busy.close()
p = run("serve", "--rcpt-max", "0")
c.eq("out-of-range limit: exit 2", p.returncode, 2)
p = run("serve", "--profile", "yahoo")
c.eq("unknown profile: exit 2", p.returncode, 2)

# --config: YAML; a key the receiver does not know is reported with its position.
tmp = Server().dir
bad = os.path.join(tmp, "bad.yaml")
open(bad, "w").write("hostname: mx.test\nlistn: 127.0.0.1:1\n")
p = run("serve", "--config", bad)
c.eq("unknown config key: exit 2", p.returncode, 2)
c.true("config error has FILE:LINE:COLUMN", "bad.yaml:2:1:" in p.stderr, p.stderr)
good = os.path.join(tmp, "good.yaml")
open(good, "w").write("hostname: mx.from-config.test\naccept-domain: [example.net]\n"
                      "rcpt-max: 2\n")
with Server("--config", good, "--hostname", "mx.flag.test") as srv:
    s = connect(srv)
    code, lines, buf = read_reply(s)
    c.true("flag wins over config", lines[0].startswith("220 mx.flag.test ESMTP"), lines)
    s.sendall(b"EHLO x\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<u@example.net>\r\n"
              b"RCPT TO:<u@gmail.com>\r\nRCPT TO:<v@example.net>\r\nRCPT TO:<w@example.net>\r\n")
    codes = []
    for _ in range(6):
        code, lines, buf = read_reply(s, buf)
        codes.append(code)
    c.eq("config's accept-domain and rcpt-max", codes, [250, 250, 250, 550, 250, 452])
    s.close()

# IPv6 on ::1.
with Server() as srv6:
    pass
srv6 = Server()
srv6.start(listen="[::1]:0")
s = socket.create_connection(("::1", srv6.port), timeout=30)
code, lines, buf = read_reply(s)
s.sendall(b"EHLO v6\r\n")
code, lines, buf = read_reply(s, buf)
c.eq("EHLO over IPv6 shows the v6 client", lines[0], "250-mx.google.com at your service, [::1]")
s.close()
srv6.stop()

# SIGTERM: a transaction in flight finishes; an idle session gets 421 at once.
srv = Server().start()
busy = connect(srv)
code, _, bbuf = read_reply(busy)
busy.sendall(b"EHLO busy\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<alice@gmail.com>\r\nDATA\r\n"
             b"Subject: in flight\r\n\r\nfirst half\r\n")
for _ in range(4):
    code, _, bbuf = read_reply(busy, bbuf)
idle = connect(srv)
code, _, ibuf = read_reply(idle)
idle.sendall(b"EHLO idle\r\n")
code, _, ibuf = read_reply(idle, ibuf)
srv.proc.send_signal(15)
code, lines, ibuf = read_reply(idle, ibuf)
c.eq("idle session told to go at shutdown", (code, lines[0][:9]), (421, "421 4.3.0"))
busy.sendall(b"second half\r\n.\r\n")
code, lines, bbuf = read_reply(busy, bbuf)
c.eq("transaction in flight completes after SIGTERM", code, 250)
code, lines, bbuf = read_reply(busy, bbuf)
c.eq("then the session is closed", code, 421)
c.eq("exit status 0", srv.proc.wait(timeout=60), 0)
c.eq("the in-flight message was stored", len(srv.stored()), 1)

# Idle timeout: 451 4.4.2, then the connection closes.
with Server("--idle-timeout", "1") as srv:
    s = connect(srv)
    read_reply(s)
    code, lines, buf = read_reply(s)   # waits for the server to give up
    c.eq("idle timeout reply", lines[0].split(" - gsmtp")[0].rsplit(" ", 1)[0],
         "451 4.4.2 Timeout - closing connection.")
    c.eq("closed after the timeout", s.recv(10), b"")

# Per-client connection limit.
with Server("--connections-per-ip-max", "1") as srv:
    a = connect(srv)
    read_reply(a)
    b = connect(srv)
    code, lines, _ = read_reply(b)
    c.eq("second connection from one address", (code, lines[0][:9]), (421, "421 4.7.0"))
    c.eq("and it is closed", b.recv(10), b"")
    a.close()
# --keep-rejected: refused mail is stored in MAILDIR/.Rejected/new and the log
# names it; accepted mail still goes to new/. The loopback zone has no SPF and
# nothing is signed, so the gmail profile refuses as unauthenticated (5.7.26).
with Server("--keep-rejected", profile="gmail") as srv:
    s = connect(srv)
    code, lines, buf = read_reply(s)
    s.sendall(b"EHLO localhost\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<alice@gmail.com>\r\n"
              b"DATA\r\nFrom: a@example.com\r\nMessage-ID: <k@example.com>\r\n\r\nhi\r\n.\r\n")
    for _ in range(5):
        code, lines, buf = read_reply(s, buf)
    c.eq("unauthenticated mail refused", lines[-1][:10], "550 5.7.26")
    s.close()
    c.eq("stopped", srv.stop(), 0)
    rejected = os.path.join(srv.maildir, ".Rejected", "new")
    kept = os.listdir(rejected) if os.path.isdir(rejected) else []
    c.eq("one message kept in .Rejected/new", len(kept), 1)
    c.eq("nothing in new/", srv.stored(), [])
    ev = srv.events()
    c.true("the log names the kept file", ev and ev[-1]["stored"] and
           ev[-1]["stored"].endswith(kept[0] if kept else "?"), ev[-1:] if ev else ev)
c.done()
