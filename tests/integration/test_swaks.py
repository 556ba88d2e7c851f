"""swaks (a real SMTP client) against authsink: a plain and a pipelined
transaction are accepted with Gmail's replies, stored, and logged."""
import re
import subprocess

from harness import Checks, Server

c = Checks("swaks")
with Server() as srv:
    for pipeline in (False, True):
        cmd = ["swaks", "--server", "%s:%d" % (srv.host, srv.port), "--to", "alice@gmail.com",
               "--from", "you@example.com", "--header", "Subject: swaks %s" % pipeline,
               "--body", "hello from swaks"]
        if pipeline:
            cmd.append("--pipeline")
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        out = p.stdout
        c.eq("swaks exit status (pipeline=%s)" % pipeline, p.returncode, 0)
        c.true("banner", re.search(r"<-  220 mx\.google\.com ESMTP \S+ - gsmtp", out), out[:300])
        # REFERENCE.md T-1: the plaintext list offers STARTTLS (a TLS context always exists).
        c.true("EHLO capabilities in Gmail's order", re.search(
            r"250-mx\.google\.com at your service, \[127\.0\.0\.1\]\n<-  250-SIZE 157286400\n"
            r"<-  250-8BITMIME\n<-  250-STARTTLS\n<-  250-ENHANCEDSTATUSCODES\n<-  250-PIPELINING\n"
            r"<-  250-CHUNKING\n<-  250 SMTPUTF8", out), out)
        c.true("end of data accepted", re.search(r"<-  250 2\.0\.0 OK  \d+ \S+ - gsmtp", out), out)
        c.true("QUIT", re.search(r"<-  221 2\.0\.0 closing connection \S+ - gsmtp", out), out)
    rc = srv.stop()
    c.eq("exit status after SIGTERM", rc, 0)
    files = srv.stored()
    c.eq("messages stored", len(files), 2)
    for f in files:
        data = open(f, "rb").read()
        c.true("Return-Path first", data.startswith(b"Return-Path: <you@example.com>\r\n"))
        c.true("Received header", re.search(
            rb"Received: from \S+ \(localhost\. \[127\.0\.0\.1\]\)\r\n        by mx\.google\.com with ESMTP id "
            rb"\S+\.\d{4}\.\d\d\.\d\d\.\d\d\.\d\d\.\d\d\r\n        for <alice@gmail\.com>;\r\n"
            rb"        \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d -0[78]00 \(P[DS]T\)\r\n", data))
        c.true("body kept", b"hello from swaks" in data)
        # The loopback zone has no SPF record for example.com (REFERENCE.md 5.3 spf=none).
        c.true("Received-SPF then Authentication-Results", re.search(
            rb"\r\nReceived-SPF: none \(google\.com: .*\) client-ip=127\.0\.0\.1;\r\n"
            rb"Authentication-Results: mx\.google\.com;\r\n       spf=none ", data), data[:900])
    ev = srv.events()
    c.eq("one event per transaction", len(ev), 2)
    for e in ev:
        c.eq("event reply code", e["reply"]["code"], 250)
        c.eq("event envelope", (e["mail_from"], e["rcpt"]), ("you@example.com", ["alice@gmail.com"]))
        c.eq("event client source", e["client"]["source"], "socket")
        c.true("event stored file exists", e["stored"] in files, e["stored"])
c.done()
