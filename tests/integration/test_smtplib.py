"""Python's smtplib against authsink: send_message with SMTPUTF8 (an
internationalized address and header), and a message sent with BDAT chunks
(CHUNKING, RFC 3030) including the BDAT 0 LAST form."""
import email.message
import smtplib

from harness import Checks, Server

c = Checks("smtplib")
with Server() as srv:
    with smtplib.SMTP(srv.host, srv.port, timeout=30) as s:
        code, caps = s.ehlo("client.example")
        c.eq("EHLO", code, 250)
        c.true("SMTPUTF8 offered", s.has_extn("smtputf8"))
        c.true("CHUNKING offered", s.has_extn("chunking"))
        c.eq("SIZE offered", s.esmtp_features.get("size"), "157286400")
        msg = email.message.EmailMessage()
        msg["From"] = "Jörg <jörg@bücher.example>"
        msg["To"] = "zoë@gmail.com"
        msg["Subject"] = "Grüße"
        msg["Message-ID"] = "<utf8-1@bücher.example>"
        msg.set_content("Schöne Grüße\n")
        refused = s.send_message(msg, mail_options=["SMTPUTF8"])
        c.eq("send_message refused nobody", refused, {})

        # BDAT: two chunks, then an empty last one.
        c.eq("MAIL", s.docmd("MAIL", "FROM:<chunks@example.com>")[0], 250)
        c.eq("RCPT", s.docmd("RCPT", "TO:<alice@gmail.com>")[0], 250)
        part1 = b"Subject: chunked\r\n\r\nline one\r\n.\r\n"
        part2 = b"..line two\r\n"
        s.send(b"BDAT %d\r\n" % len(part1) + part1)
        c.eq("BDAT chunk 1", s.getreply()[0], 250)
        s.send(b"BDAT %d\r\n" % len(part2) + part2)
        c.eq("BDAT chunk 2", s.getreply()[0], 250)
        s.send(b"BDAT 0 LAST\r\n")
        code, text = s.getreply()
        c.eq("BDAT 0 LAST", code, 250)
        c.true("end reply is Gmail's", text.startswith(b"2.0.0 OK  "), text)
    # The log is written by its own thread: stop the server to have it all.
    c.eq("exit status", srv.stop(), 0)
    files = srv.stored()
    c.eq("stored", len(files), 2)
    utf8 = [open(f, "rb").read() for f in files if b"chunked" not in open(f, "rb").read()][0]
    c.true("UTF-8 header kept byte for byte", "Subject: Grüße".encode() in utf8)
    c.true("UTF-8 envelope in Return-Path", "Return-Path: <jörg@bücher.example>".encode() in utf8)
    chunked = [open(f, "rb").read() for f in files if b"chunked" in open(f, "rb").read()][0]
    body = chunked.split(b"\r\n\r\n", 1)[1]
    # BDAT content is taken literally: no dot-stuffing, no end-of-data marker.
    c.eq("BDAT content literal", body, b"line one\r\n.\r\n..line two\r\n")
    ev = srv.events()
    c.eq("events", [e["end"] for e in ev], ["data", "bdat"])
    c.eq("UTF-8 recipient logged", ev[0]["rcpt"], ["zoë@gmail.com"])
c.done()
