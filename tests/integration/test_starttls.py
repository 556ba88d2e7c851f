"""STARTTLS (RFC 3207) end to end, with real clients: swaks --tls and openssl
s_client -starttls smtp complete transactions over TLS 1.3; Python's ssl
module checks what RFC 3207 4.2 and REFERENCE.md T-1 require (220 2.0.0
without trailer, the session starting over after the handshake, EHLO without
STARTTLS); commands pipelined in plaintext after STARTTLS are never run
(CVE-2011-0411 class: 523 5.7.10 and close); broken handshakes, clients that
vanish mid-handshake, TLS 1.1 and renegotiation attempts end their connection
and nothing else (the server still serves, and exits 0 under ASan's leak
check). The Received line says ESMTPS with version and cipher, the event has
"tls", and gmail-bulk's TLS rule (5.7.29) refuses only the plaintext copy.
The client is loopback, judged as 192.0.2.10 through --client-ip-map."""
import os
import re
import socket
import ssl
import subprocess
import tempfile

from harness import BIN, Checks, Server, connect, read_reply

c = Checks("starttls")
work = tempfile.mkdtemp(prefix="authsink-tls-test-")


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, **kw)


# A world where good.example passes everything gmail-bulk asks except TLS:
# SPF for 192.0.2.10, a DKIM key, DMARC p=reject, forward-confirmed rDNS.
p = run(BIN, "dkim", "keygen", "--selector", "s1", "--domain", "good.example",
        "--out", os.path.join(work, "good.example"))
c.eq("keygen", p.returncode, 0)
zone = os.path.join(work, "world.zone")
with open(zone, "w") as f:
    f.write("""$TTL 300
good.example.         IN TXT "v=spf1 ip4:192.0.2.10 -all"
_dmarc.good.example.  IN TXT "v=DMARC1; p=reject"
mail.good.example.    IN A   192.0.2.10
10.2.0.192.in-addr.arpa.   IN PTR mail.good.example.
""")
    f.write(open(os.path.join(work, "good.example.txt")).read() + "\n")

msg_path = os.path.join(work, "msg.eml")
with open(msg_path, "w") as f:
    f.write("From: News <news@good.example>\nTo: alice@gmail.com\nSubject: over TLS\n"
            "Date: Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <tls1@good.example>\n\n"
            "Hello over TLS.\n")
p = run(BIN, "dkim", "sign", "--key", os.path.join(work, "good.example.pem"), "--domain",
        "good.example", "--selector", "s1", msg_path)
c.eq("sign", p.returncode, 0)
signed = p.stdout.replace("\r\n", "\n").replace("\n", "\r\n").encode()

ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE


def ehlo(sock, name="mail.good.example", buf=b""):
    sock.sendall(b"EHLO " + name.encode() + b"\r\n")
    return read_reply(sock, buf)


def starttls(sock):
    """Plain EHLO, STARTTLS; returns the TLS socket and the plaintext EHLO lines."""
    code, banner, rest = read_reply(sock)
    code, lines, rest = ehlo(sock, buf=rest)
    sock.sendall(b"STARTTLS\r\n")
    code, ready, rest = read_reply(sock, rest)
    c.eq("STARTTLS reply (REFERENCE.md 1.1: no gsmtp trailer)", ready, ["220 2.0.0 Ready to start TLS"])
    c.eq("nothing after the 220", rest, b"")
    return ctx.wrap_socket(sock), lines


def transaction(sock, data=signed):
    """MAIL..DATA..QUIT on an EHLO'd socket; returns the end-of-data reply."""
    rest = b""
    for cmd in (b"MAIL FROM:<news@good.example>", b"RCPT TO:<alice@gmail.com>", b"DATA"):
        sock.sendall(cmd + b"\r\n")
        code, lines, rest = read_reply(sock, rest)
    sock.sendall(data + b".\r\n")
    code, lines, rest = read_reply(sock, rest)
    sock.sendall(b"QUIT\r\n")
    read_reply(sock, rest)
    return code, lines


def read_until(proc, marker, timeout=30):
    """Reads proc's output until marker (None: end of file), within timeout."""
    import select
    import time
    got, end = b"", time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while marker is None or marker not in got:
        left = end - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError("waited for %r; got %r" % (marker, got[-300:]))
        chunk = os.read(fd, 4096)
        if not chunk:
            if marker is None:
                break
            raise EOFError("end of output before %r; got %r" % (marker, got[-300:]))
        got += chunk
    return got


srv = Server("--client-ip-map", "127.0.0.1=192.0.2.10", profile="gmail-bulk", zone=zone,
             workdir=work)
srv.start()
try:
    # 1. Python ssl: T-1 with STARTTLS, the reset after the handshake, TLS 1.3.
    s = connect(srv)
    t, plain = starttls(s)
    c.true("plaintext EHLO offers STARTTLS (T-1)", "250-STARTTLS" in plain, plain)
    c.eq("TLS version negotiated", t.version(), "TLSv1.3")
    c.eq("TLS 1.3 cipher (REFERENCE.md T-1)", t.cipher()[0], "TLS_AES_256_GCM_SHA384")
    # RFC 3207 4.2: the EHLO before TLS is forgotten; MAIL needs a new EHLO.
    t.sendall(b"MAIL FROM:<news@good.example>\r\n")
    code, lines, rest = read_reply(t)
    c.eq("MAIL right after TLS needs EHLO again", (code, lines[0][:9]), (503, "503-5.5.1"))
    code, lines, rest = ehlo(t, buf=rest)
    c.eq("EHLO over TLS (T-1: the list without STARTTLS)", lines[1:],
         ["250-SIZE 157286400", "250-8BITMIME", "250-ENHANCEDSTATUSCODES", "250-PIPELINING",
          "250-CHUNKING", "250 SMTPUTF8"])
    c.true("NAT map: EHLO greets the mapped address",
           lines[0] == "250-mx.google.com at your service, [192.0.2.10]", lines[0])
    t.sendall(b"STARTTLS\r\n")
    code, lines, rest = read_reply(t, rest)
    c.eq("STARTTLS over TLS is not offered", code, 502)
    code, lines = transaction(t)
    c.eq("gmail-bulk over TLS: accepted", (code, lines[0][:9]), (250, "250 2.0.0"))
    t.close()

    # 2. The same message in plaintext: gmail-bulk's TLS rule refuses it.
    s = connect(srv)
    code, banner, rest = read_reply(s)
    ehlo(s, buf=rest)
    code, lines = transaction(s)
    c.eq("gmail-bulk in plaintext: 550 5.7.29", (code, lines[0][:10]), (550, "550-5.7.29"))
    s.close()

    # 3. STARTTLS injection (CVE-2011-0411): a command pipelined after STARTTLS
    # in plaintext is never run, neither in plaintext nor after a handshake.
    for tail in (b"MAIL FROM:<evil@example.com>\r\n", b"RSET\r\n", b"\x16\x03\x01"):
        s = connect(srv)
        code, banner, rest = read_reply(s)
        code, lines, rest = ehlo(s, buf=rest)
        s.sendall(b"STARTTLS\r\n" + tail)
        code, lines, rest = read_reply(s, rest)
        c.eq("pipelined after STARTTLS: 523 5.7.10 (REFERENCE.md 1.1)", (code, lines[0][:10]),
             (523, "523-5.7.10"))
        got = rest
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except OSError:
            pass
        c.eq("then the connection closes, the injected command unanswered", got, b"")
        s.close()

    # 4. Broken handshakes end only their own connection.
    s = connect(srv)
    code, banner, rest = read_reply(s)
    ehlo(s, buf=rest)
    s.sendall(b"STARTTLS\r\n")
    read_reply(s)
    s.sendall(b"EHLO not-a-client-hello\r\n")
    data = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    c.true("plaintext after 220: a TLS alert at most, then close",
           data == b"" or data[:1] == b"\x15", data[:20])
    s.close()
    # A client that vanishes halfway through its ClientHello.
    s = connect(srv)
    code, banner, rest = read_reply(s)
    ehlo(s, buf=rest)
    s.sendall(b"STARTTLS\r\n")
    read_reply(s)
    s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    s.close()
    # TLS 1.1 is refused (1.2 and 1.3 only).
    p = run("openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:%d" % srv.port,
            "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", input="QUIT\n")
    c.true("TLS 1.1 handshake refused", p.returncode != 0 and "New, (NONE)" in p.stdout,
           p.stdout[-400:])
    # A renegotiation attempt (TLS 1.2; s_client's "R" command) ends the connection.
    # s_client takes "R" as a command only when it arrives alone on its input.
    proc = subprocess.Popen(["openssl", "s_client", "-starttls", "smtp", "-connect",
                             "127.0.0.1:%d" % srv.port, "-tls1_2", "-crlf"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = b""
    try:
        out += read_until(proc, b"250 SMTPUTF8\r\n")   # printed once the handshake is done
        proc.stdin.write(b"EHLO renegotiator.example\n")
        proc.stdin.flush()
        out += read_until(proc, b"250 SMTPUTF8\r\n")
        proc.stdin.write(b"R\n")
        proc.stdin.flush()
        out += read_until(proc, None)                 # to the end: the server closes
        c.true("renegotiation attempt: the server ends the connection",
               b"RENEGOTIATING" in out and proc.wait(timeout=30) is not None, out[-600:])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    # 5. swaks --tls and openssl s_client -starttls smtp, TLS 1.3, whole transactions.
    p = run("swaks", "--server", "127.0.0.1:%d" % srv.port, "--tls", "--tls-protocol", "tlsv1_3",
            "--helo", "mail.good.example", "--from", "news@good.example", "--to",
            "alice@gmail.com", "--data", "-",
            input=signed.decode())
    c.eq("swaks --tls exit status", p.returncode, 0)
    c.true("swaks: TLS 1.3 started", re.search(r"=== TLS started with cipher TLSv1\.3:"
                                               r"TLS_AES_256_GCM_SHA384", p.stdout), p.stdout[:1500])
    c.true("swaks: accepted over TLS", re.search(r"<~  250 2\.0\.0 OK  \d+ \S+ - gsmtp", p.stdout),
           p.stdout[-800:])
    lines = ["EHLO mail.good.example", "MAIL FROM:<news@good.example>",
             "RCPT TO:<alice@gmail.com>", "DATA"] + signed.decode().split("\r\n")[:-1] + \
            [".", "QUIT"]
    p = run("openssl", "s_client", "-starttls", "smtp", "-connect", "127.0.0.1:%d" % srv.port,
            "-tls1_3", "-crlf", "-ign_eof", "-nocommands", input="\n".join(lines) + "\n")
    c.eq("openssl s_client exit status", p.returncode, 0)
    c.true("s_client: TLS 1.3", "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" in p.stdout,
           p.stdout[:2000])
    c.true("s_client: accepted over TLS", re.search(r"\n250 2\.0\.0 OK  \d+ \S+ - gsmtp", p.stdout),
           p.stdout[-800:])
finally:
    rc = srv.stop()
c.eq("exit status after SIGTERM (ASan: no leaks)", rc, 0)

# The stored messages (every TLS one) and the log.
files = srv.stored()
c.eq("messages stored (ssl, swaks, s_client)", len(files), 3)
for f in files:
    data = open(f, "rb").read()
    c.true("Received says ESMTPS with the TLS line (REFERENCE.md 5.1)", re.search(
        rb"Received: from mail\.good\.example \(mail\.good\.example\. \[192\.0\.2\.10\]\)\r\n"
        rb"        by mx\.google\.com with ESMTPS id \S+\r\n        for <alice@gmail\.com>\r\n"
        rb"        \(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256\);\r\n", data),
        data[:600])
ev = [e for e in srv.events() if e.get("end") == "data"]
c.eq("data events", len(ev), 4)
tls_ev = [e for e in ev if e["tls"]]
c.eq("events over TLS", len(tls_ev), 3)
for e in tls_ev:
    c.eq("event tls", e["tls"], {"version": "TLSv1.3", "cipher": "TLS_AES_256_GCM_SHA384"})
    c.eq("event client (mapped)", (e["client"]["ip"], e["client"]["source"]), ("192.0.2.10", "map"))
    c.eq("event reply", e["reply"]["code"], 250)
plain_ev = [e for e in ev if not e["tls"]]
c.eq("plaintext event refused with 5.7.29", [(e["reply"]["code"], e["reply"]["enhanced"])
                                            for e in plain_ev], [(550, "5.7.29")])
c.done()
