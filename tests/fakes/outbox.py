"""Where the fake Authsignal "sends" its one-time codes: a list a test reads as a person reads
their mail, and a small HTML page the sandbox serves at ``/outbox`` (newest first).

Why an outbox and not a control that hands out the code: the app under test must get the code
the way a person does, from the message, and type it; nothing else knows it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

CHANNELS = frozenset({"email", "sms"})


@dataclass(frozen=True)
class OtpMessage:
    """One code sent: to whom (an email address or a phone number), the code, the channel."""

    to: str
    code: str
    channel: str  # "email" or "sms"
    sent_at: str  # ISO 8601 UTC


def last_code(messages: list[OtpMessage], to: str) -> str | None:
    """The code most recently sent to ``to`` (compared without case for an email), or None."""
    wanted = to.casefold()
    for message in reversed(messages):
        if message.to.casefold() == wanted:
            return message.code
    return None


def outbox_page(messages: list[OtpMessage]) -> str:
    """The outbox as a small HTML page, newest first: what a person opens beside the app."""
    rows = (
        "\n".join(
            f"<tr><td>{html.escape(m.sent_at)}</td><td>{html.escape(m.channel)}</td>"
            f"<td>{html.escape(m.to)}</td><td><code>{html.escape(m.code)}</code></td></tr>"
            for m in reversed(messages)
        )
        or '<tr><td colspan="4">No codes sent yet.</td></tr>'
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3">
<title>Outbox: fake Authsignal</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem}}td,th{{padding:.3rem .8rem;text-align:left}}
code{{font-size:1.3rem}}</style></head>
<body><h1>Outbox</h1><p>One-time codes the local fake Authsignal sent, newest first (refreshes every 3 s).</p>
<table><thead><tr><th>sent (UTC)</th><th>channel</th><th>to</th><th>code</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""
