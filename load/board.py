"""The fixture job board `make load` points every tenant's source at: the Greenhouse Job
Board API (`GET /v1/boards/<board>/jobs?content=true`), LOAD_BOARD_SIZE postings per board,
the same ones on every fetch. Serves on 127.0.0.1 only.

Usage: python load/board.py PORT
"""

import json
import os
import re
import sys
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIZE = int(os.environ.get("LOAD_BOARD_SIZE", "20"))
PATH = re.compile(r"^/v1/boards/([A-Za-z0-9._-]+)/jobs$")


def board(name):
    base = zlib.crc32(name.encode()) * 1000
    jobs = [
        {
            "id": base + i,
            "internal_job_id": base + i,
            "title": f"Software Engineer {i}",
            "company_name": "Acme",
            "absolute_url": f"https://boards.example.com/{name}/jobs/{base + i}",
            "location": {"name": "Berlin" if i % 2 == 0 else "Remote"},
            "updated_at": "2026-11-20T10:00:00-05:00",
            "first_published": "2026-11-01T09:00:00-05:00",
            "content": f"&lt;p&gt;Build &lt;strong&gt;Rust&lt;/strong&gt; services #{i}.&lt;/p&gt;",
            "departments": [{"id": 1, "name": "Engineering"}],
            "offices": [{"id": 2, "name": "Berlin", "location": "Berlin, Germany"}],
        }
        for i in range(SIZE)
    ]
    return json.dumps({"jobs": jobs, "meta": {"total": len(jobs)}}).encode()


class Board(BaseHTTPRequestHandler):
    def do_GET(self):
        match = PATH.match(self.path.split("?", 1)[0])
        if not match:
            self.send_error(404)
            return
        body = board(match.group(1))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Board).serve_forever()
