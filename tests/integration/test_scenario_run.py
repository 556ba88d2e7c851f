"""authsink scenario run as a user meets it: passing and failing scenarios
with their TAP report and diagnostics (what was expected, what came, the
receiver's whole reply), raw conversations, exit statuses 0/1/2, --junit
XML, independence of scenarios, result and header expectations, and
--target / --target-log against a separately started `authsink serve`.

Expected replies are Gmail's (shared/gmail/REFERENCE.md: T-2 for an
unauthenticated sender, 503 5.5.1 for commands out of sequence), not our
receiver's output. Everything listens on 127.0.0.1; DNS is a stub zone."""
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import xml.etree.ElementTree as ET

from harness import BIN, Checks, Server

c = Checks("scenario_run")
D = tempfile.mkdtemp(prefix="authsink-scenario-test-")

ZONE = """\
example.com.              300 IN TXT "v=spf1 ip4:192.0.2.10 ~all"
_dmarc.example.com.       300 IN TXT "v=DMARC1; p=none"
mail.example.com.         300 IN A   192.0.2.10
10.2.0.192.in-addr.arpa.  300 IN PTR mail.example.com.
out.example.com.          300 IN A   203.0.113.5
5.113.0.203.in-addr.arpa. 300 IN PTR out.example.com.
"""

# One message conversation; the client's address decides the outcome.
MESSAGE = """\
scenario: {name}
dns:
  files: [world.zone]
conversations:
  - client: {{ip: {ip}}}
    mail_from: bounce@example.com
    rcpt_to: [alice@gmail.com]
    message:
      headers:
        - From: news@example.com
        - Subject: Hello
      body: |
        Hello.
    expect:
      at: data
      reply: {reply}
{extra}"""


def unauth(name, reply, extra=""):
    """An unlisted IP, no DKIM: Gmail's T-2 (550 5.7.26 "sender is unauthenticated")."""
    return MESSAGE.format(name=name, ip="203.0.113.5", reply=reply, extra=extra)


def accept(name, extra=""):
    """A listed IP: accepted, SPF pass."""
    return MESSAGE.format(name=name, ip="192.0.2.10", reply="250 2.0.0", extra=extra)


RAW = """\
scenario: {name}
dns:
  files: [world.zone]
conversations:
  - raw:
      - {{expect: "220"}}
      - {{send: EHLO client.example.com}}
      - {{expect: "250"}}
      - {{send: "RCPT TO:<alice@gmail.com>"}}
      - {{expect: "{code}"}}
      - {{send: QUIT}}
      - {{expect: "221 2.0.0"}}
"""


def write(name, text):
    path = os.path.join(D, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def run(*args):
    return subprocess.run([BIN, "scenario", *args], capture_output=True, text=True, timeout=300)


write("world.zone", ZONE)
ok_unauth = write("a-unauth.yaml", unauth(
    name="unlisted IP refused", reply="550 5.7.26",
    extra="      text: sender is unauthenticated\n      spf: softfail\n"))
ok_accept = write("b-accept.yaml", accept(
    name="listed IP accepted",
    extra="      spf: pass\n      iprev: pass\n      headers:\n"
          "        Authentication-Results: \"spf=pass (google.com: domain of bounce@example.com"
          " designates 192.0.2.10 as permitted sender)\"\n"))
ok_raw = write("c-raw.yaml", RAW.format(name="RCPT before MAIL is out of sequence", code="503 5.5.1"))

# --help and usage errors
p = run("run", "--help")
c.eq("--help exits 0", p.returncode, 0)
for opt in ("--target", "--target-log", "--junit", "--verbose"):
    c.true("--help names " + opt, opt in p.stdout)
c.eq("no PATH: exit 2", run("run").returncode, 2)
c.eq("no subcommand: exit 2", run().returncode, 2)
c.eq("--target-log without --target: exit 2",
     run("run", "--target-log", "x", ok_raw).returncode, 2)
c.eq("unknown option: exit 2", run("run", "--bogus", ok_raw).returncode, 2)

# All passing: exit 0, TAP 14, last line.
p = run("run", ok_unauth, ok_accept, ok_raw)
out = p.stdout.splitlines()
c.eq("passing: exit 0", p.returncode, 0)
c.eq("TAP version line", out[:2], ["TAP version 14", "1..3"])
c.eq("ok lines", [l for l in out if l.startswith("ok ")],
     ["ok 1 - unlisted IP refused", "ok 2 - listed IP accepted",
      "ok 3 - RCPT before MAIL is out of sequence"])
c.eq("last line", out[-1], "3 passed, 0 failed")

# A folder runs every *.yaml in it, sorted.
p = run("run", D)
c.eq("folder: exit 0", p.returncode, 0)
c.eq("folder: last line", p.stdout.splitlines()[-1], "3 passed, 0 failed")

# A wrong expectation fails with an actionable diagnostic, and does not
# affect the scenario after it.
bad_reply = write("bad-reply.yaml", unauth(name="wrongly expects acceptance",
                                           reply="250 2.0.0", extra=""))
junit = os.path.join(D, "report.xml")
p = run("run", "--junit", junit, bad_reply, ok_accept)
out = p.stdout.splitlines()
c.eq("failing: exit 1", p.returncode, 1)
c.true("not ok line", "not ok 1 - wrongly expects acceptance" in out, p.stdout)
c.true("independence: the next scenario passes", "ok 2 - listed IP accepted" in out, p.stdout)
c.true("diagnostic: expected", "#   expected: 250 2.0.0 at data" in out, p.stdout)
c.true("diagnostic: got", "#   got:      550 5.7.26 at data" in out, p.stdout)
reply_lines = [l for l in out if l.startswith("#     550")]
c.true("diagnostic: the whole reply (T-2 has 9 lines)", len(reply_lines) == 9, p.stdout)
c.true("diagnostic: the reply's first line",
       reply_lines and "550-5.7.26 Your email has been blocked because the sender is "
       "unauthenticated." in reply_lines[0], p.stdout)
c.true("diagnostic: the reply's last line", reply_lines and reply_lines[-1].endswith(" - gsmtp"))
c.eq("failing: last line", out[-1], "1 passed, 1 failed")

# JUnit XML: well-formed, one testcase per scenario, the failure's text.
root = ET.parse(junit).getroot()
cases = root.findall(".//testcase")
c.eq("junit: testcases", [t.get("name") for t in cases],
     ["wrongly expects acceptance", "listed IP accepted"])
c.eq("junit: failures attribute", root.find("testsuite").get("failures"), "1")
fail = cases[0].find("failure")
c.true("junit: failure element", fail is not None)
c.true("junit: failure text has expected and got",
       fail is not None and "expected: 250 2.0.0" in fail.text and "got:      550 5.7.26" in fail.text)
c.true("junit: passing case has no failure", cases[1].find("failure") is None)

# Result and header expectations that do not hold.
bad_results = write("bad-results.yaml", accept(
    name="wrong results", extra="      spf: softfail\n      dkim: [pass]\n      headers:\n"
                                "        Authentication-Results: \"dkim=pass header.i=@example.com\"\n"))
p = run("run", bad_results)
c.eq("wrong results: exit 1", p.returncode, 1)
c.true("spf diagnostic", "#   expected: spf=softfail" in p.stdout and "#   got:      spf=pass" in p.stdout,
       p.stdout)
c.true("dkim diagnostic", "#   expected: [pass]" in p.stdout and "#   got:      []" in p.stdout, p.stdout)
c.true("header diagnostic", "header Authentication-Results" in p.stdout and
       "Authentication-Results: mx.google.com;" in p.stdout, p.stdout)

# A raw conversation whose expectation does not hold names the item.
bad_raw = write("bad-raw.yaml", RAW.format(name="raw wrong", code="250"))
p = run("run", bad_raw)
c.eq("raw wrong: exit 1", p.returncode, 1)
c.true("raw diagnostic names the item and line", "raw item 5 (line 10)" in p.stdout, p.stdout)
c.true("raw diagnostic: got 503 5.5.1", "#   got:      503 5.5.1" in p.stdout, p.stdout)

# A file that cannot be loaded: FILE:LINE:COLUMN, nothing runs, exit 2.
broken = write("broken.yaml", "scenario: broken\nconversations:\n  - client: {ip: 192.0.2.10}\n"
                              "    colour: blue\n")
p = run("run", ok_accept, broken)
c.eq("broken: exit 2", p.returncode, 2)
c.true("broken: FILE:LINE:COLUMN", broken + ":" in p.stderr and ":4:" in p.stderr, p.stderr)
c.eq("broken: nothing ran", p.stdout, "")

# --verbose adds the transcript, even for passing scenarios.
p = run("run", "--verbose", ok_accept)
c.true("verbose transcript", "#   C: XCLIENT ADDR=192.0.2.10 NAME=mail.example.com" in p.stdout, p.stdout)

# --target: a separately started receiver answering from the same zone.
zone = os.path.join(D, "world.zone")
with Server(profile="gmail", zone=zone) as srv:
    target = "%s:%d" % (srv.host, srv.port)
    p = run("run", "--target", target, ok_raw)
    c.eq("--target raw: exit 0", p.returncode, 0)
    p = run("run", "--target", target, ok_unauth)
    c.eq("--target without --target-log: results cannot pass silently", p.returncode, 1)
    c.true("--target without --target-log: says so", "--target-log" in p.stdout, p.stdout)
    p = run("run", "--target", target, "--target-log", srv.log, ok_unauth, ok_accept)
    c.eq("--target with --target-log: exit 0", p.returncode, 0)
    c.eq("--target with --target-log: last line", p.stdout.splitlines()[-1:], ["2 passed, 0 failed"])
p = run("run", "--target", "127.0.0.1:1", ok_raw)
c.eq("--target nobody listening: exit 1", p.returncode, 1)
c.true("--target nobody listening: says so", "cannot connect" in p.stdout, p.stdout)

# A receiver that does not offer STARTTLS, and one that answers garbage: a
# small fake on loopback, one connection each.
def fake_receiver(lines_for):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        f = conn.makefile("rb")
        conn.sendall(b"220 fake ESMTP\r\n")
        for line in f:
            verb = line.split(b" ")[0].strip().upper()
            reply = lines_for(verb)
            if reply is None:
                break
            conn.sendall(reply)
        conn.close()
        srv.close()
    threading.Thread(target=serve, daemon=True).start()
    return "127.0.0.1:%d" % srv.getsockname()[1]


tls_scenario = write("tls.yaml", """\
scenario: needs TLS
dns:
  files: [world.zone]
conversations:
  - client: {ip: 192.0.2.10, tls: true}
    mail_from: bounce@example.com
    rcpt_to: [alice@gmail.com]
    message:
      headers: [{From: news@example.com}]
      body: hi
    expect: {at: data, reply: 250 2.0.0}
""")
no_tls = {b"EHLO": b"250-fake\r\n250 PIPELINING\r\n", b"XCLIENT": b"220 fake ESMTP\r\n",
          b"QUIT": b"221 bye\r\n"}
p = run("run", "--target", fake_receiver(no_tls.get), tls_scenario)
c.eq("no STARTTLS offered: exit 1", p.returncode, 1)
c.true("no STARTTLS offered: says so", "the receiver did not offer STARTTLS" in p.stdout, p.stdout)

garbage = {b"EHLO": b"HTTP/1.1 400 Bad Request\r\n"}
p = run("run", "--target", fake_receiver(garbage.get), ok_accept)
c.eq("garbage reply: exit 1", p.returncode, 1)
c.true("garbage reply: says so", "a line that is not an SMTP reply" in p.stdout, p.stdout)
c.true("garbage reply: shows the line", "HTTP/1.1 400 Bad Request" in p.stdout, p.stdout)

shutil.rmtree(D, ignore_errors=True)
c.done()
