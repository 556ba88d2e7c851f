"""--proxy-protocol: the PROXY header (HAProxy's proxy-protocol.txt, v1 and v2)
is read before the banner and its source becomes the client (source
"proxy"); a malformed or missing header closes the connection without a
word.  Then HAProxy itself (Debian's package) in front of authsink with
send-proxy-v2: the address authsink records is the one HAProxy saw
(a client bound to 127.0.0.2, while HAProxy connects from 127.0.0.1), also
with STARTTLS (swaks --tls through the proxy)."""
import os
import re
import socket
import struct
import subprocess
import tempfile
import time

from harness import Checks, Server, read_reply

c = Checks("proxy_protocol")
work = tempfile.mkdtemp(prefix="authsink-proxy-test-")
V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(command, family, src, dst, sport, dport, tlvs=b""):
    if family == socket.AF_INET:
        addr = socket.inet_pton(family, src) + socket.inet_pton(family, dst) + \
            struct.pack("!HH", sport, dport)
        fam = 0x11
    elif family == socket.AF_INET6:
        addr = socket.inet_pton(family, src) + socket.inet_pton(family, dst) + \
            struct.pack("!HH", sport, dport)
        fam = 0x21
    else:
        addr, fam = b"", 0x00
    body = addr + tlvs
    return V2_SIG + bytes([0x20 | command, fam]) + struct.pack("!H", len(body)) + body


def drain(sock):
    """Everything the server says until it closes."""
    got = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return got
            got += chunk
    except OSError:
        return got


def session(port, header, helo="client.example", src=None, mail=True):
    """header, then a transaction; returns the EHLO reply's first line."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    if src:
        s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(header)
    code, banner, rest = read_reply(s)
    c.true("banner after the header", banner[0].startswith("220 mx.google.com ESMTP"), banner)
    s.sendall(b"EHLO " + helo.encode() + b"\r\n")
    code, lines, rest = read_reply(s, rest)
    if mail:
        for cmd in (b"MAIL FROM:<a@example.com>", b"RCPT TO:<alice@gmail.com>", b"DATA",
                    b"Subject: proxied\r\n\r\nhi\r\n.", b"QUIT"):
            s.sendall(cmd + b"\r\n")
            code, r, rest = read_reply(s, rest)
        c.eq("QUIT answered", code, 221)
    s.close()
    return lines[0]


srv = Server("--proxy-protocol", workdir=work)
srv.start()
try:
    p = srv.port
    # v1 (spec 2.1), the whole line in one segment.
    first = session(p, b"PROXY TCP4 198.51.100.7 192.0.2.1 40000 25\r\n")
    c.eq("v1: EHLO greets the proxied client", first,
         "250-mx.google.com at your service, [198.51.100.7]")
    # v1 followed at once by the client's first command (same segment).
    s = socket.create_connection(("127.0.0.1", p), timeout=30)
    s.sendall(b"PROXY TCP6 2001:db8::7 2001:db8::1 40001 25\r\nEHLO early.example\r\n")
    code, banner, rest = read_reply(s)
    code, lines, rest = read_reply(s, rest)
    c.eq("v1 + EHLO in one segment: banner then EHLO", (banner[0][:3], lines[0]),
         ("220", "250-mx.google.com at your service, [2001:db8::7]"))
    s.close()
    # v2 with TLVs (an authority and a unique id), IPv4 and IPv6 (spec 2.2).
    tlvs = b"\x02" + struct.pack("!H", 11) + b"example.com" + b"\x05" + struct.pack("!H", 4) + b"abcd"
    first = session(p, v2(1, socket.AF_INET, "203.0.113.77", "192.0.2.1", 40002, 25, tlvs))
    c.eq("v2 with TLVs skipped: EHLO greets the proxied client", first,
         "250-mx.google.com at your service, [203.0.113.77]")
    first = session(p, v2(1, socket.AF_INET6, "2001:db8::77", "2001:db8::1", 40003, 25),
                    mail=False)
    c.eq("v2 IPv6", first, "250-mx.google.com at your service, [2001:db8::77]")
    # LOCAL (the proxy's health check): the socket's own address stays.
    first = session(p, v2(0, socket.AF_UNSPEC, None, None, 0, 0), mail=False)
    c.eq("v2 LOCAL keeps the socket address", first,
         "250-mx.google.com at your service, [127.0.0.1]")
    # Malformed or missing headers: closed, no banner, no reply.
    bad = [
        ("v1 with a bad address", b"PROXY TCP4 999.1.1.1 192.0.2.1 1 25\r\n"),
        ("v1 without CRLF within 107 bytes", b"PROXY TCP4 " + b"1" * 120),
        ("v2 with a bad version", V2_SIG + b"\x30\x11\x00\x0c" + b"\x00" * 12),
        ("v2 with a truncated TLV", v2(1, socket.AF_INET, "192.0.2.9", "192.0.2.1", 1, 25,
                                       b"\x02\x00\x20ab")),
        ("no header: the client speaks SMTP", b"EHLO client.example\r\n"),
    ]
    for name, data in bad:
        s = socket.create_connection(("127.0.0.1", p), timeout=30)
        s.sendall(data)
        c.eq(name + ": closed without a word", drain(s), b"")
        s.close()
finally:
    rc = srv.stop()
c.eq("exit status after SIGTERM", rc, 0)
ev = srv.events()
c.eq("events (two v1/v2 transactions with MAIL, and the v1 one)", len(ev), 2)
c.eq("event clients", sorted((e["client"]["ip"], e["client"]["source"], e["client"]["port"])
                             for e in ev),
     [("198.51.100.7", "proxy", 40000), ("203.0.113.77", "proxy", 40002)])


# A client that sends nothing: closed at the idle timeout, still without a word.
srv = Server("--proxy-protocol", "--idle-timeout", "1", workdir=tempfile.mkdtemp(
    prefix="authsink-proxy-idle-"))
srv.start()
try:
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=30)
    c.eq("no header within --idle-timeout: closed without a word", drain(s), b"")
    s.close()
finally:
    c.eq("exit status (idle run)", srv.stop(), 0)


# HAProxy in front, send-proxy-v2.
def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


srv = Server("--proxy-protocol", workdir=tempfile.mkdtemp(prefix="authsink-haproxy-"))
srv.start()
hp = None
try:
    hport = free_port()
    cfg = os.path.join(work, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write("""global
    maxconn 100
defaults
    mode tcp
    timeout connect 10s
    timeout client 60s
    timeout server 60s
frontend smtp_in
    bind 127.0.0.1:%d
    default_backend authsink
backend authsink
    server sink 127.0.0.1:%d send-proxy-v2
""" % (hport, srv.port))
    hp = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                          stderr=open(os.path.join(work, "haproxy.log"), "wb"))
    deadline = time.monotonic() + 30
    while True:   # until HAProxy listens (bounded)
        try:
            socket.create_connection(("127.0.0.1", hport), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or hp.poll() is not None:
                raise RuntimeError("haproxy did not start")
            time.sleep(0.05)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    s.bind(("127.0.0.2", 0))
    client_port = s.getsockname()[1]
    s.connect(("127.0.0.1", hport))
    code, banner, rest = read_reply(s)
    s.sendall(b"EHLO behind.example\r\n")
    code, lines, rest = read_reply(s, rest)
    c.eq("through HAProxy: EHLO greets the address HAProxy saw", lines[0],
         "250-mx.google.com at your service, [127.0.0.2]")
    for cmd in (b"MAIL FROM:<a@example.com>", b"RCPT TO:<alice@gmail.com>", b"DATA",
                b"Subject: via haproxy\r\n\r\nhi\r\n.", b"QUIT"):
        s.sendall(cmd + b"\r\n")
        code, r, rest = read_reply(s, rest)
    s.close()
    p = subprocess.run(["swaks", "--server", "127.0.0.1:%d" % hport, "--tls", "--to",
                        "alice@gmail.com", "--from", "b@example.com", "--helo", "tls.example"],
                       capture_output=True, text=True, timeout=60)
    c.eq("swaks --tls through HAProxy", p.returncode, 0)
    c.true("STARTTLS through the proxy: TLS 1.3", "TLS started with cipher TLSv1.3" in p.stdout,
           p.stdout[-800:])
finally:
    if hp:
        hp.terminate()
        try:
            hp.wait(timeout=30)
        except subprocess.TimeoutExpired:
            hp.kill()
            hp.wait()
    rc = srv.stop()
c.eq("exit status after SIGTERM (HAProxy run)", rc, 0)
ev = srv.events()
c.eq("events through HAProxy", len(ev), 2)
c.eq("recorded client: HAProxy's view", (ev[0]["client"]["ip"], ev[0]["client"]["source"],
                                         ev[0]["client"]["port"]),
     ("127.0.0.2", "proxy", client_port))
c.eq("the TLS transaction through HAProxy", (ev[1]["client"]["ip"], ev[1]["client"]["source"],
                                              ev[1]["tls"]["version"] if ev[1]["tls"] else None),
     ("127.0.0.1", "proxy", "TLSv1.3"))
c.done()
