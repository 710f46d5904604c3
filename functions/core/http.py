"""What the HTTP functions the apps call share (the upload function, and any other a signed-in
user calls from the browser): CORS for the viewer's origins."""

from __future__ import annotations


def cors(origin: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """CORS headers for an allowed origin; none for any other (the browser then refuses)."""
    if not origin or origin not in allowed:
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Vary": "Origin",
    }
