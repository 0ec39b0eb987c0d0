"""`make load`: many tenants against the local stack (locust, headless).

Each simulated user is one tenant: it registers, adds a Greenhouse source pointing at the
fixture board that `load/board.py` serves on 127.0.0.1, opens its dashboard's live
updates (ws-ticket, then the WebSocket), and then lists jobs, opens jobs and asks for
fetches until the run ends. When it ends, every tenant's jobs are read back until none is
`queued` (or `LOAD_DRAIN_SECONDS` pass) and the run prints how many postings were stored,
scored and lost.

Registration is limited to 20 an hour per client IP, and the local gateway reports the TCP
peer as the client IP, as API Gateway does. Rather than a knob that turns the limit off,
each user connects from its own loopback address (127.0.<n>.<m>: Linux routes all of
127/8 to the loopback interface), so the limit stays real and is never reached.
"""

import itertools
import json
import os
import threading
import time
import uuid

import gevent
import requests
import websocket
from locust import HttpUser, between, events, task
from requests.adapters import HTTPAdapter

BOARD_URL = os.environ.get("LOAD_BOARD_URL", "http://127.0.0.1:3101")
BOARD_SIZE = int(os.environ.get("LOAD_BOARD_SIZE", "20"))
DRAIN_SECONDS = float(os.environ.get("LOAD_DRAIN_SECONDS", "600"))

_numbers = itertools.count(1)
_tenants = []  # (token, board) of every registered tenant, for the check at the end
_tenants_lock = threading.Lock()
_ws_messages = itertools.count()
_check_errors = 0  # 5xx answers to the check's own reads after the run


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a given local address."""

    def __init__(self, address, **kwargs):
        self._address = (address, 0)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = self._address
        super().init_poolmanager(*args, **kwargs)


def loopback_address(n):
    return f"127.0.{(n // 250) + 1}.{(n % 250) + 2}"


def fire(name, started, length=0, exception=None):
    events.request.fire(
        request_type="WS",
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=length,
        exception=exception,
        context={},
    )


class Tenant(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        n = next(_numbers)
        adapter = SourceAddressAdapter(loopback_address(n))
        self.client.mount("http://", adapter)
        self.board = f"load{n}-{uuid.uuid4().hex[:8]}"
        self.jobs = []
        self.ws = None
        email = f"load{n}-{uuid.uuid4().hex[:8]}@example.com"
        with self.client.post(
            "/v1/auth/register",
            json={"email": email, "password": "load-test-password", "tenantName": f"Load {n}"},
            name="POST /v1/auth/register",
            catch_response=True,
        ) as r:
            if r.status_code != 201 and r.status_code != 200:
                r.failure(f"{r.status_code} {r.text[:200]}")
                self.stop()
                return
            self.token = r.json()["accessToken"]
        self.client.headers["Authorization"] = f"Bearer {self.token}"
        with _tenants_lock:
            _tenants.append((self.token, self.board))
        self.client.post(
            "/v1/sources",
            json={"name": "Load board", "kind": "greenhouse", "config": {"board": self.board}},
            name="POST /v1/sources",
        )
        self.open_dashboard()

    def open_dashboard(self):
        r = self.client.post("/v1/auth/ws-ticket", name="POST /v1/auth/ws-ticket")
        if r.status_code != 200:
            return
        ticket = r.json()["ticket"]
        url = self.host.replace("http://", "ws://") + f"/ws?ticket={ticket}"
        started = time.perf_counter()
        try:
            self.ws = websocket.create_connection(url, timeout=10)
        except Exception as e:  # noqa: BLE001 - reported as a failed request
            fire("WS /ws connect", started, exception=e)
            return
        fire("WS /ws connect", started)
        self.listener = gevent.spawn(self.listen)

    def listen(self):
        while self.ws is not None:
            try:
                message = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except Exception:  # noqa: BLE001 - closed at the end of the run
                return
            if message:
                next(_ws_messages)
                kind = json.loads(message).get("type", "message")
                fire(f"WS message {kind}", time.perf_counter(), len(message))

    def on_stop(self):
        if self.ws is not None:
            ws, self.ws = self.ws, None
            ws.close()

    @task(5)
    def list_jobs(self):
        r = self.client.get("/v1/jobs?limit=25", name="GET /v1/jobs")
        if r.status_code == 200:
            self.jobs = [j["id"] for j in r.json()["items"]]

    @task(3)
    def open_job(self):
        if self.jobs:
            job = self.jobs[hash(time.perf_counter()) % len(self.jobs)]
            self.client.get(f"/v1/jobs/{job}", name="GET /v1/jobs/{id}")

    @task(1)
    def fetch(self):
        self.client.post("/v1/jobs/fetch", json={}, name="POST /v1/jobs/fetch")


def jobs_of(host, token):
    """Every job card of the tenant."""
    cards, cursor = [], None
    while True:
        params = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        r = requests.get(
            f"{host}/v1/jobs",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        if r.status_code >= 500:
            # The stack is still draining the scoring backlog: count it and ask again.
            global _check_errors
            _check_errors += 1
            time.sleep(2)
            continue
        r.raise_for_status()
        page = r.json()
        cards.extend(page["items"])
        cursor = page.get("nextCursor")
        if not cursor:
            return cards


@events.quitting.add_listener
def check_nothing_lost(environment, **_kwargs):
    """After the run: every posting of every board stored once and scored, none queued."""
    host = environment.host
    with _tenants_lock:
        tenants = list(_tenants)
    deadline = time.monotonic() + DRAIN_SECONDS
    while True:
        statuses = {}
        stored = 0
        for token, _board in tenants:
            cards = jobs_of(host, token)
            stored += len(cards)
            for card in cards:
                statuses[card["status"]] = statuses.get(card["status"], 0) + 1
        waiting = statuses.get("queued", 0) + statuses.get("new", 0)
        fetched_all = stored >= len(tenants) * BOARD_SIZE
        if (fetched_all and waiting == 0) or time.monotonic() > deadline:
            break
        time.sleep(3)
    expected = len(tenants) * BOARD_SIZE
    scored = statuses.get("scored", 0)
    lost = expected - scored
    print()
    print("== jobs after the run ==")
    print(f"tenants registered:         {len(tenants)}")
    print(f"postings on their boards:   {expected}")
    print(f"jobs stored:                {stored}")
    print(f"jobs by status:             {json.dumps(statuses, sort_keys=True)}")
    print(f"live messages received:     {next(_ws_messages)}")
    print(f"not scored by the end:      {lost}  (0 = nothing lost)")
    print(f"5xx during the check:       {_check_errors}")
    print(f"drained after the run in:   {DRAIN_SECONDS - max(0.0, deadline - time.monotonic()):.0f} s")
    if lost != 0 or stored != expected:
        environment.process_exit_code = 1
