"""schemathesis hooks for `make api-fuzz` (loaded through SCHEMATHESIS_HOOKS).

Keeps every request the fuzzed stack makes on this machine: a generated source whose
configuration names a feed URL (`rss`, `jsonfeed`) gets the loopback feed of
infra/api_fuzz.py instead, so previews and fetches of fuzzed sources never reach out.
The job boards' hosts are replaced the same way through `JOBMON_*_BASE_URL` (see
infra/api_fuzz.py).
"""

import os

import schemathesis

# The loopback feed api_fuzz.py serves (nothing listens on port 9 if it is not set).
LOOPBACK_FEED = os.environ.get("API_FUZZ_FEED_URL", "http://127.0.0.1:9/feed")


@schemathesis.hook
def before_call(context, case, kwargs):
    body = case.body
    if not isinstance(body, dict):
        return
    config = body.get("config")
    if isinstance(config, dict) and isinstance(config.get("url"), str):
        config["url"] = LOOPBACK_FEED
