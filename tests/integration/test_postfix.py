"""A real MTA in the loop: Postfix (Debian's package) as a private instance
relaying to authsink, all on loopback.

The instance has its own config_directory, queue_directory and
data_directory in a temporary folder, listens on 127.0.0.1 on a high port
(never port 25), logs to its own file (maillog_file), and relays everything
to authsink (relayhost = [127.0.0.1]:PORT) with smtp_tls_security_level =
may.  authsink runs the gmail profile with a stub zone where pass.test has
SPF for the relay's public address and fail.test has neither SPF nor DKIM;
the relay's loopback address is judged as that public address through
--client-ip-map 127.0.0.1=192.0.2.25 (a staging MTA behind NAT).

Expected, from REFERENCE.md and Postfix's documented log format:
  - pass.test: Postfix logs status=sent with our "250 2.0.0 OK  <epoch> <id>
    - gsmtp", over TLS (smtp_tls_loglevel 1 logs the TLS connection);
  - fail.test: Postfix logs status=bounced with our 550-5.7.26 lines as it
    joins them, and sends a bounce to the sender (routed by transport_maps
    to a second authsink, observe profile) whose text holds them too.
Postfix is stopped in a finally, whatever happens."""
import os
import re
import smtplib
import socket
import subprocess
import tempfile
import time

from harness import Checks, Server

c = Checks("postfix")
work = tempfile.mkdtemp(prefix="authsink-postfix-")
os.chmod(work, 0o755)   # Postfix's daemons run as the postfix user
DEADLINE = 90            # seconds for both deliveries and the bounce


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


zone = os.path.join(work, "world.zone")
with open(zone, "w") as f:
    f.write("""$TTL 300
pass.test.                 IN TXT "v=spf1 ip4:192.0.2.25 -all"
relay.pass.test.           IN A   192.0.2.25
25.2.0.192.in-addr.arpa.   IN PTR relay.pass.test.
1.0.0.127.in-addr.arpa.    IN PTR localhost.
localhost.                 IN A   127.0.0.1
""")

for d in ("mx", "sink"):
    os.mkdir(os.path.join(work, d))
mx = Server("--client-ip-map", "127.0.0.1=192.0.2.25", profile="gmail", zone=zone,
            workdir=os.path.join(work, "mx"))
sink = Server("--accept-domain", "*", profile="observe", workdir=os.path.join(work, "sink"))
pf_dir = os.path.join(work, "postfix")
os.mkdir(pf_dir)
maillog = os.path.join(work, "maillog")
started = False


def postfix(*args):
    return subprocess.run(["postfix", "-c", pf_dir, *args], capture_output=True, text=True,
                          timeout=60)


def log_text():
    try:
        with open(maillog, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


try:
    mx.start()
    sink.start()
    submit_port = free_port()
    with open(os.path.join(pf_dir, "main.cf"), "w") as f:
        f.write("""compatibility_level = 3.6
queue_directory = {work}/queue
data_directory = {work}/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = authsink-test-postfix
maillog_file = {maillog}
maillog_file_prefixes = {work}
myhostname = relay.pass.test
mydomain = pass.test
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:{mx}
transport_maps = texthash:{work}/transport
smtp_tls_security_level = may
smtp_tls_loglevel = 1
smtp_bind_address = 127.0.0.1
smtp_connection_cache_on_demand = no
# No DNS at all: the relay targets are literal addresses, and the client's
# name is not looked up (tests never reach real DNS).
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
biff = no
""".format(work=work, maillog=maillog, mx=mx.port, sink=sink.port))
    with open(os.path.join(work, "transport"), "w") as f:
        f.write("fail.test smtp:[127.0.0.1]:%d\n" % sink.port)
    # Only what a relay needs, none of it chrooted (the queue is a temp dir).
    with open(os.path.join(pf_dir, "master.cf"), "w") as f:
        f.write("""127.0.0.1:{port} inet n - n - - smtpd
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
""".format(port=submit_port))
    os.mkdir(os.path.join(work, "queue"))   # postfix start makes its subdirectories
    p = postfix("start")
    c.eq("postfix start", p.returncode, 0)
    if p.returncode != 0:
        print(p.stdout, p.stderr)
    started = p.returncode == 0

    # Submit both messages to the private Postfix over SMTP (bounded connect wait).
    deadline = time.monotonic() + 30
    while True:
        try:
            smtp = smtplib.SMTP("127.0.0.1", submit_port, timeout=30)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    for dom in ("pass.test", "fail.test"):
        msg = ("From: News <news@{d}>\r\nTo: alice@gmail.com\r\nSubject: via Postfix ({d})\r\n"
               "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{d}.1@{d}>\r\n\r\n"
               "Hello through a real MTA.\r\n").format(d=dom)
        smtp.sendmail("news@" + dom, ["alice@gmail.com"], msg)
    smtp.quit()

    # Wait (bounded) for: the pass delivery, the fail bounce, and the bounce's delivery.
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        text = log_text()
        if ("status=bounced" in text and re.search(r"to=<alice@gmail\.com>.*status=sent", text)
                and re.search(r"to=<news@fail\.test>.*status=sent", text)):
            break
        time.sleep(0.1)
    text = log_text()
    sent = [l for l in text.splitlines() if "to=<alice@gmail.com>" in l and "status=sent" in l]
    bounced = [l for l in text.splitlines() if "status=bounced" in l]
    print("--- Postfix log, the pass.test delivery:")
    print("\n".join(sent))
    print("--- Postfix log, the fail.test refusal:")
    print("\n".join(bounced))
    c.eq("one delivery to authsink", len(sent), 1)
    c.true("status=sent with our 250 (REFERENCE.md 1.1 / T-1)", sent and re.search(
        r"relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d, .*status=sent \(250 2\.0\.0 OK  \d+ \S+ - gsmtp\)"
        % mx.port, sent[0]), sent)
    c.true("Postfix used TLS to authsink (may)", re.search(
        r"(?:Anonymous|Untrusted) TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:%d: TLSv1\.3 with "
        r"cipher TLS_AES_256_GCM_SHA384" % mx.port, text), text[-1500:])
    c.eq("one refusal", len(bounced), 1)
    c.true("status=bounced with our 550-5.7.26 lines, joined (REFERENCE.md T-2)", bounced and re.search(
        r"status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 550-5\.7\.26 .* 550 5\.7\.26 "
        r".* - gsmtp \(in reply to end of DATA command\)\)", bounced[0]), bounced)

    # The bounce, as the sender gets it (stored by the sink).
    bounce = None
    for path in sink.stored():
        data = open(path, "rb").read().decode("utf-8", "replace")
        if "Undelivered Mail Returned to Sender" in data:
            bounce = data
    c.true("the bounce reached the sender's sink", bounce is not None)
    if bounce:
        m = re.search(r"<alice@gmail\.com>: host 127\.0\.0\.1\[127\.0\.0\.1\] said:.*?"
                      r"\(in\s+reply\s+to\s+end\s+of\s+DATA\s+command\)", bounce, re.S)
        print("--- the bounce's text:")
        print(m.group(0) if m else bounce[:3000])
        c.true("bounce text holds our 550-5.7.26 lines", m and "550-5.7.26" in m.group(0)
               and re.search(r"550\s+5\.7\.26", m.group(0)), bounce[:3000])
finally:
    if started:
        p = postfix("stop")
        c.eq("postfix stop", p.returncode, 0)
        # master exits moments after "stop": wait for its pid file to go (bounded).
        pidfile = os.path.join(work, "queue", "pid", "master.pid")
        deadline = time.monotonic() + 30
        while os.path.exists(pidfile) and time.monotonic() < deadline:
            try:
                pid = int(open(pidfile).read().strip() or 0)
                os.kill(pid, 0)
            except (ValueError, ProcessLookupError, FileNotFoundError):
                break
            time.sleep(0.05)
    for s in (mx, sink):
        if s.proc and s.proc.poll() is None:
            c.eq("authsink exit status", s.stop(), 0)

ev = mx.events()
c.eq("authsink logged both", sorted((e["mail_from"], e["reply"]["code"]) for e in ev),
     [("news@fail.test", 550), ("news@pass.test", 250)])
for e in ev:
    c.eq("client judged as the NAT's public address", (e["client"]["ip"], e["client"]["source"]),
         ("192.0.2.25", "map"))
    c.eq("over TLS", e["tls"] and e["tls"]["version"], "TLSv1.3")
c.done()
