#!/usr/bin/env python3
"""Writes an e-mail message as a mail client would, with Python's standard `email` package
(not Coffre's code): the tests feed its output to `coffre import` and to a real IMAP server.

usage: compose_mail.py OUT --subject S --body TEXT [--html] [--message-id ID]
                       [--attach PATH[:NAME]]... [--inline PATH[:NAME]]...
                       [--inline-image PATH[:NAME]]... [--forward EML]... [--count N]

--attach adds an attachment; --inline a part with Content-Disposition: inline; --inline-image
an inline image referenced from an HTML body by its Content-ID (a logo); --forward attaches a
message file as message/rfc822. --count N writes N messages OUT/0000.eml... instead, message i
with subject "S i" and each attachment followed by a PDF comment naming i after its end (so
every attachment differs, as every invoice does).
"""
import argparse
import email.policy
import email.utils
import mimetypes
import os
import struct
import sys
import zlib
from email.message import EmailMessage


def small_png(width=120, height=40):
    """A small blue PNG, as a signature's logo."""
    raw = b"".join(b"\x00" + b"\x10\x40\xc0" * width for _ in range(height))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def split(spec):
    path, _, name = spec.partition(":")
    return path, name or os.path.basename(path)


def guess(name):
    mime, _ = mimetypes.guess_type(name)
    return (mime or "application/octet-stream").split("/", 1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--subject", required=True)
    p.add_argument("--body", required=True)
    p.add_argument("--html", action="store_true")
    p.add_argument("--message-id")
    p.add_argument("--from", dest="sender", default="Factures Fournisseur <factures@fournisseur.example>")
    p.add_argument("--to", default="Compta <compta@boutique.example>")
    p.add_argument("--date", default="Tue, 03 Mar 2026 09:15:00 +0100")
    p.add_argument("--attach", action="append", default=[])
    p.add_argument("--inline", action="append", default=[])
    p.add_argument("--inline-image", action="append", default=[])
    p.add_argument("--forward", action="append", default=[])
    p.add_argument("--count", type=int)
    a = p.parse_args()
    if a.count is None:
        write(a, a.out, None)
        return 0
    os.makedirs(a.out, exist_ok=True)
    for i in range(a.count):
        write(a, os.path.join(a.out, f"{i:04}.eml"), i)
    return 0


def write(a, out, i):
    """Writes one message to `out`; `i` numbers it within a --count series."""
    def read(path):
        with open(path, "rb") as f:
            data = f.read()
        return data if i is None else data + f"\n%coffre-series {i}\n".encode()

    m = EmailMessage()
    m["From"] = a.sender
    m["To"] = a.to
    m["Date"] = a.date
    m["Subject"] = a.subject if i is None else f"{a.subject} {i}"
    m["Message-ID"] = a.message_id or email.utils.make_msgid(domain="fournisseur.example")
    m.set_content(a.body)
    if a.html or a.inline_image:
        cids = []
        for spec in a.inline_image:
            cids.append(email.utils.make_msgid(domain="fournisseur.example"))
        imgs = "".join(f'<img src="cid:{c[1:-1]}">' for c in cids)
        m.add_alternative(f"<html><body><p>{a.body}</p>{imgs}</body></html>", subtype="html")
        html = m.get_payload()[1]
        for spec, cid in zip(a.inline_image, cids):
            if spec == "logo":
                data, name = small_png(), "logo.png"
            else:
                path, name = split(spec)
                with open(path, "rb") as f:
                    data = f.read()
            maintype, subtype = guess(name)
            html.add_related(data, maintype=maintype, subtype=subtype, cid=cid,
                             filename=name, disposition="inline")
    for spec in a.attach:
        path, name = split(spec)
        maintype, subtype = guess(name)
        m.add_attachment(read(path), maintype=maintype, subtype=subtype, filename=name)
    for spec in a.inline:
        path, name = split(spec)
        maintype, subtype = guess(name)
        m.add_attachment(read(path), maintype=maintype, subtype=subtype, filename=name,
                         disposition="inline")
    for path in a.forward:
        with open(path, "rb") as f:
            inner = email.message_from_binary_file(f, policy=email.policy.default)
        m.add_attachment(inner)
    with open(out, "wb") as f:
        f.write(m.as_bytes(policy=email.policy.SMTP))


if __name__ == "__main__":
    sys.exit(main())
