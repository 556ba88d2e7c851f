"""authsink check gives the verdict serve gives, for the same inputs.

A small world (a stub zone with SPF, DKIM keys, DMARC policies and reverse
DNS) and a set of messages that reach different rules of the gmail,
gmail-bulk, gmail-tempfail and observe profiles.  Each message is judged by
`authsink check --json` and delivered over SMTP (XCLIENT for the client
address) to `authsink serve` with the same zone and profile; the replies
must be identical line for line, and the results (SPF, DKIM, DMARC, iprev,
the deciding rule) equal to those in the receiver's log.  The expected
reply codes are those REFERENCE.md and DECISIONS.md give for each case."""
import json
import os
import subprocess
import tempfile

from harness import BIN, Checks, Server, connect, read_reply

c = Checks("check_serve")
work = tempfile.mkdtemp(prefix="authsink-agree-")


def run(*args, stdin=None):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120, input=stdin)


# Keys: one for good.example, one for esp.example (a sender's ESP).
for dom in ("good.example", "esp.example"):
    p = run("dkim", "keygen", "--selector", "s1", "--domain", dom,
            "--out", os.path.join(work, dom))
    c.eq("keygen " + dom, p.returncode, 0)

zone = os.path.join(work, "world.zone")
with open(zone, "w") as f:
    f.write("""$TTL 300
good.example.         IN TXT "v=spf1 ip4:192.0.2.10 -all"
_dmarc.good.example.  IN TXT "v=DMARC1; p=reject"
soft.example.         IN TXT "v=spf1 ip4:192.0.2.10 ~all"
_dmarc.soft.example.  IN TXT "v=DMARC1; p=none"
rej.example.          IN TXT "v=spf1 ip4:192.0.2.10 -all"
_dmarc.rej.example.   IN TXT "v=DMARC1; p=reject"
quar.example.         IN TXT "v=spf1 ip4:192.0.2.10 ~all"
_dmarc.quar.example.  IN TXT "v=DMARC1; p=quarantine"
esp.example.          IN TXT "v=spf1 ip4:192.0.2.10 -all"
mail.good.example.    IN A   192.0.2.10
10.2.0.192.in-addr.arpa.   IN PTR mail.good.example.
out.other.example.    IN A   203.0.113.9
9.113.0.203.in-addr.arpa.  IN PTR out.other.example.
99.100.51.198.in-addr.arpa. IN PTR nowhere.example.
""")
    for dom in ("good.example", "esp.example"):
        f.write(open(os.path.join(work, dom + ".txt")).read() + "\n")


def message(name, frm, signer=None, extra=""):
    path = os.path.join(work, name + ".eml")
    text = ("From: %s\nTo: alice@gmail.com\nSubject: %s\nDate: Thu, 26 Nov 2026 10:00:00 +0000\n"
            "Message-ID: <%s@agree.example>\n%s\nHello from %s.\n" % (frm, name, name, extra, name))
    with open(path, "w") as f:
        f.write(text)
    if signer:
        p = run("dkim", "sign", "--key", os.path.join(work, signer + ".pem"), "--domain", signer,
                "--selector", "s1", path)
        c.eq("sign " + name, p.returncode, 0)
        with open(path, "w") as f:
            f.write(p.stdout)
    return path


# name, profile, client ip, mail from, message, expected "code enhanced"
cases = [
    ("aligned-pass", "gmail", "192.0.2.10", "news@good.example",
     message("aligned", "News <news@good.example>", "good.example"), "250 2.0.0"),
    ("spf-hardfail", "gmail", "203.0.113.9", "news@good.example",
     message("hardfail", "news@good.example"), "550 5.7.26"),
    ("unauthenticated", "gmail", "203.0.113.9", "news@soft.example",
     message("unauth", "news@soft.example"), "550 5.7.26"),
    ("dmarc-reject", "gmail", "203.0.113.9", "news@rej.example",
     message("dmarcrej", "news@rej.example", "esp.example"), "550 5.7.26"),
    ("no-ptr", "gmail", "198.51.100.99", "news@good.example",
     message("noptr", "news@good.example", "good.example"), "550 5.7.25"),
    ("two-from", "gmail", "192.0.2.10", "news@good.example",
     message("twofrom", "news@good.example", "good.example", "From: other@good.example\n"),
     "550 5.7.1"),
    ("quarantine", "gmail", "203.0.113.9", "news@quar.example",
     message("quar", "news@quar.example", "esp.example"), "250 2.0.0"),
    ("bulk-no-dkim", "gmail-bulk", "192.0.2.10", "news@good.example",
     message("bulk", "news@good.example"), "550 5.7.30"),
    ("tempfail-unauth", "gmail-tempfail", "203.0.113.9", "news@soft.example",
     message("tempunauth", "news@soft.example"), "421 4.7.26"),
    ("observe-unauth", "observe", "203.0.113.9", "news@soft.example",
     message("obsunauth", "news@soft.example"), "250 2.0.0"),
]

# check: one JSON verdict per case.
checked = {}
for name, profile, ip, mf, path, want in cases:
    p = run("check", "--json", "--zone", zone, "--profile", profile, "--ip", ip,
            "--helo", "client.example", "--mail-from", mf, path)
    c.eq("check exit status (%s)" % name, p.returncode, 0)
    j = json.loads(p.stdout)
    checked[name] = j
    got = "%d %s" % (j["reply"]["code"], j["reply"]["enhanced"])
    c.eq("check reply (%s)" % name, got, want)
    if name == "quarantine":
        # REFERENCE.md 6: p=quarantine failing is accepted, stamped dis=QUARANTINE.
        c.true("dis=QUARANTINE stamped", any("dmarc=fail (p=QUARANTINE sp=QUARANTINE "
                                             "dis=QUARANTINE) header.from=quar.example" in h
                                             for h in j["headers"]), j["headers"])

# serve: the same messages over SMTP, one receiver per profile.
servers = {}
served = {}
for profile in sorted({case[1] for case in cases}):
    servers[profile] = Server(profile=profile, zone=zone).start()
for name, profile, ip, mf, path, want in cases:
    srv = servers[profile]
    s = connect(srv)
    code, lines, buf = read_reply(s)
    s.sendall(b"EHLO agree.example\r\nXCLIENT ADDR=%s\r\n" % ip.encode())
    for _ in range(2):
        code, lines, buf = read_reply(s, buf)
    c.eq("XCLIENT accepted (%s)" % name, code, 220)
    s.sendall(b"EHLO client.example\r\nMAIL FROM:<%s>\r\nRCPT TO:<alice@gmail.com>\r\nDATA\r\n"
              % mf.encode())
    for _ in range(4):
        code, lines, buf = read_reply(s, buf)
    data = open(path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    data = b"\r\n".join((b"." + l if l.startswith(b".") else l) for l in data.split(b"\r\n"))
    s.sendall(data + (b"" if data.endswith(b"\r\n") else b"\r\n") + b".\r\n")
    code, lines, buf = read_reply(s, buf)
    s.close()
    served[name] = lines
for srv in servers.values():
    c.eq("receiver stops cleanly", srv.stop(), 0)

events = {}
for srv in servers.values():
    for e in srv.events():
        events[e["session"]] = e

for name, profile, ip, mf, path, want in cases:
    j = checked[name]
    lines = served[name]
    sid = lines[-1].rsplit(" - gsmtp", 1)[0].rsplit(" ", 1)[1]
    # The wire text of serve, without codes and the trailer, is check's text.
    text = [l[4:].split(" ", 1)[1] if j["reply"]["enhanced"] else l[4:] for l in lines]
    text[-1] = text[-1].rsplit(" " + sid + " - gsmtp", 1)[0]
    if j["reply"]["code"] == 250:
        # The epoch in "OK  <epoch>" is the time of each judgement.
        text = [t.split("  ")[0] for t in text]
        j["reply"]["text"] = [t.split("  ")[0] for t in j["reply"]["text"]]
    c.eq("serve reply code (%s)" % name, int(lines[-1][:3]), j["reply"]["code"])
    c.eq("serve reply text = check's (%s)" % name, text, j["reply"]["text"])
    e = events.get(sid)
    c.true("serve logged the transaction (%s)" % name, e is not None)
    if e is None:
        continue
    c.eq("SPF agrees (%s)" % name, e["spf"]["result"], j["spf"]["result"])
    c.eq("DKIM agrees (%s)" % name, [d["result"] for d in e["dkim"]],
         [d["result"] for d in j["dkim"]])
    c.eq("DMARC agrees (%s)" % name, e["dmarc"] and e["dmarc"]["result"],
         j["dmarc"] and j["dmarc"]["result"])
    c.eq("iprev agrees (%s)" % name, e["iprev"]["result"], j["iprev"]["result"])
    c.eq("deciding rule agrees (%s)" % name, e["verdict"]["rule"], j["verdict"]["rule"])
c.done()
