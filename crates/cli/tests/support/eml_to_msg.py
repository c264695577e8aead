#!/usr/bin/env python3
"""Converts an e-mail message (.eml) into an Outlook .msg with a third-party writer
(aspose-email-foss, MIT, pure Python; not Coffre's code): the tests feed its output to
`coffre import`. Run with the interpreter of the virtual environment `cargo xtask setup` makes
(`~/.cache/coffre/py-mail/bin/python`).

usage: eml_to_msg.py IN.eml OUT.msg
"""
import email
import email.policy
import sys

from aspose.email_foss.msg import MapiMessage


def main():
    with open(sys.argv[1], "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    MapiMessage.from_email_message(message).save(sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
