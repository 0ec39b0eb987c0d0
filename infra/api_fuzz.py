#!/usr/bin/env python3
"""`make api-fuzz`: schemathesis against the local stack, with a valid token.

Starts the already built `target/debug/jobmon-local` (its own moto, with DynamoDB requests
serialised: infra/moto_serialized.py; every function of template.yaml) on a free
127.0.0.1 port, registers a user (the admin of a fresh tenant), gives the tenant five
scored jobs from an RSS feed served on loopback, runs `schemathesis run
<stack>/v1/openapi.json` with that user's bearer token and the checks "no 5xx" and "every
response as the document says" (status code, content type, headers, body schema), then
stops the gateway by its PID (it stops its own children on SIGTERM). Nothing leaves the
machine: the job boards' hosts and every fuzzed feed URL point at loopback. Exit status:
schemathesis's.

Bounded: at most API_FUZZ_MAX_EXAMPLES test cases per operation and phase (default 25)
and API_FUZZ_MAX_TIME seconds (default 180) for the whole run; schemathesis spends the
whole budget (fuzzing and stateful phases repeat until it is used). API_FUZZ_SEED makes
the generated data reproducible; API_FUZZ_ARGS adds schemathesis options (e.g. `--report
junit`, written under target/api-fuzz/). The gateway's output goes to
target/api-fuzz/gateway.log.
"""


import http.server
import json
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = ROOT / "target" / "debug" / "jobmon-local"
VENV_BIN = ROOT / ".venv" / "bin"
OUT = ROOT / "target" / "api-fuzz"

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])

# Every job board's host, replaced by a loopback port where nothing listens: a fuzzed
# source is never fetched from the network (rss/jsonfeed URLs: api_fuzz_hooks.py).
NOWHERE = "http://127.0.0.1:9"
BOARD_HOSTS = [
    "GREENHOUSE", "LEVER", "LEVER_EU", "ASHBY", "WORKABLE", "SMARTRECRUITERS",
    "RECRUITEE", "PERSONIO",
]


def log(message):
    print(f"[api-fuzz] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gateway(port, log_path):
    env = dict(os.environ)
    # Always a private moto started by the gateway, whatever the caller's shell points at.
    # Its default launcher, .venv/bin/jobmon-moto, runs infra/moto_serialized.py.
    for name in ("AWS_ENDPOINT_URL", "JOBMON_PORT", "JOBMON_REAL_AWS", "JOBMON_MOTO_SERVER"):
        env.pop(name, None)
    # The keys and JOBMON_ALLOW_PRIVATE_SOURCES=1: jobmon-local's local-only defaults.
    for name in ("JOBMON_SECRET_KEY", "JOBMON_UNSUBSCRIBE_KEY", "JOBMON_ALLOW_PRIVATE_SOURCES"):
        env.pop(name, None)
    env["JOBMON_PREFIX"] = f"jobmon-fuzz-{port}"
    for host in BOARD_HOSTS:
        env[f"JOBMON_{host}_BASE_URL"] = NOWHERE
    process = subprocess.Popen(
        [str(GATEWAY), "--port", str(port)],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
    )
    ready = threading.Event()

    def pump():
        with open(log_path, "w") as out:
            for line in process.stdout:
                out.write(line)
                out.flush()
                if "ready in" in line:
                    ready.set()

    threading.Thread(target=pump, daemon=True).start()
    return process, ready


def stop_gateway(process):
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def tail(path, lines=40):
    try:
        return "".join(Path(path).read_text(errors="replace").splitlines(True)[-lines:])
    except OSError:
        return ""


FEED_ITEMS = [
    ("Senior Rust Engineer (Remote)", "rust-1", "Build services in Rust on AWS Lambda. Remote, EU time zones."),
    ("Backend Developer, Python", "python-2", "Django, PostgreSQL; Berlin office, hybrid."),
    ("Staff Platform Engineer", "platform-3", "Kubernetes, Terraform, on-call; \"quotes\", commas, and <b>HTML</b>."),
    ("Data Engineer", "data-4", "Spark and Airflow. Salary 70,000-90,000 EUR."),
    ("Frontend Engineer — React", "react-5", "TypeScript, React 19; Zürich or remote."),
]


def feed_xml(base):
    items = "".join(
        f"<item><title>{title}</title><link>{base}/jobs/{slug}</link><guid>{slug}</guid>"
        f"<description><![CDATA[{text}]]></description>"
        "<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>"
        for title, slug, text in FEED_ITEMS)
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
            f"<title>Fuzz Corp</title><link>{base}/</link><description>jobs</description>"
            f"{items}</channel></rss>").encode()


def start_feed():
    """A job feed on a free loopback port: the seeded source, and every fuzzed rss/jsonfeed
    source (api_fuzz_hooks.py points them here), fetch it."""
    class Feed(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = feed_xml(f"http://127.0.0.1:{self.server.server_port}")
            self.send_response(200)
            self.send_header("content-type", "application/rss+xml")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def call(base, method, path, token=None, body=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return response.status, (json.loads(text) if text else None)


def seed_jobs(base, token, feed_url):
    """One rss source on the local feed, fetched and scored, so that the job routes have
    jobs to read, archive, restore and rescore."""
    status, source = call(base, "POST", "/v1/sources", token,
                          {"name": "Fuzz feed", "kind": "rss", "config": {"url": feed_url}})
    if status != 201:
        raise RuntimeError(f"creating the seed source answered {status}")
    call(base, "POST", "/v1/jobs/fetch", token, {"sourceId": source["id"]})
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        _, page = call(base, "GET", "/v1/jobs?status=scored&limit=100", token)
        if len(page["items"]) >= len(FEED_ITEMS):
            return len(page["items"])
        time.sleep(0.5)
    raise RuntimeError("the seeded jobs were not scored within 90 s")


def register(base):
    status, session = call(base, "POST", "/v1/auth/register", body={
        "email": f"fuzz-{secrets.token_hex(6)}@example.com",
        "password": secrets.token_urlsafe(18),
        "tenantName": "API fuzz",
    })
    if status != 201:
        raise RuntimeError(f"register answered {status}")
    return session["accessToken"]


def main():
    if not GATEWAY.exists():
        log(f"{GATEWAY} is missing: run `cargo build --workspace` first")
        return 2
    schemathesis = VENV_BIN / "schemathesis"
    if not schemathesis.exists():
        log(f"{schemathesis} is missing: run `make .venv/.installed`")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    log_path = OUT / "gateway.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    feed = start_feed()
    feed_url = f"http://127.0.0.1:{feed.server_port}/feed.xml"
    process, ready = start_gateway(port, log_path)
    log(f"jobmon-local pid {process.pid} on {base} (log: {log_path.relative_to(ROOT)})")
    try:
        deadline = time.monotonic() + 120
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                log("the local stack did not become ready:\n" + tail(log_path))
                return 1
        log(f"stack ready in {time.monotonic() - started:.1f} s")
        token = register(base)
        log("registered the admin of a fresh tenant")
        jobs = seed_jobs(base, token, feed_url)
        log(f"seeded {jobs} scored jobs from a loopback feed")
        max_examples = os.environ.get("API_FUZZ_MAX_EXAMPLES", "25")
        max_time = os.environ.get("API_FUZZ_MAX_TIME", "180")
        command = [
            str(schemathesis), "run", f"{base}/v1/openapi.json",
            "--url", base,
            "--header", f"Authorization: Bearer {token}",
            "--checks", CHECKS,
            "--max-examples", max_examples,
            "--max-time", max_time,
            "--request-timeout", "30",
            "--workers", os.environ.get("API_FUZZ_WORKERS", "2"),
            "--generation-database", "none",
            "--suppress-health-check", "too_slow,filter_too_much",
            "--no-color",
        ]
        if os.environ.get("API_FUZZ_SEED"):
            command += ["--seed", os.environ["API_FUZZ_SEED"]]
        command += shlex.split(os.environ.get("API_FUZZ_ARGS", ""))
        env = dict(os.environ)
        env["SCHEMATHESIS_HOOKS"] = "api_fuzz_hooks"
        env["API_FUZZ_FEED_URL"] = feed_url
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in [str(ROOT / "infra"), env.get("PYTHONPATH", "")] if p)
        log(f"schemathesis: at most {max_examples} examples per operation, {max_time} s")
        fuzz_started = time.monotonic()
        result = subprocess.run(command, cwd=OUT, env=env, stdin=subprocess.DEVNULL)
        log(f"schemathesis exited {result.returncode} after {time.monotonic() - fuzz_started:.0f} s")
        if result.returncode != 0:
            log("last lines of the gateway's log:\n" + tail(log_path))
        return result.returncode
    except (urllib.error.URLError, RuntimeError, OSError) as e:
        log(f"failed: {e}\n" + tail(log_path))
        return 1
    finally:
        stop_gateway(process)
        feed.shutdown()
        log(f"jobmon-local stopped (exit {process.returncode})")


if __name__ == "__main__":
    sys.exit(main())
