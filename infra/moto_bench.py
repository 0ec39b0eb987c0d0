"""`make moto-bench`: what the project's moto launcher (infra/moto_serialized.py) changes
for SQS, side by side with plain `moto_server` in one run: the time to receive 10 messages
(and delete them) from a queue holding 150 and 1,000 of them. Figures, not a test; the
tests that hold the launcher to SQS's delivery rules are tests/tests/moto_queues.rs.

Starts both servers itself on free loopback ports from this virtualenv and stops them (by
their PIDs) at the end.
"""

import os
import socket
import subprocess
import sys
import time

import boto3

BIN = os.path.dirname(sys.executable)
SERVERS = [
    ("moto_server", [os.path.join(BIN, "moto_server")]),
    ("jobmon-moto", [os.path.join(BIN, "jobmon-moto")]),
]
SIZES = [150, 1000]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command):
    port = free_port()
    child = subprocess.Popen(
        [*command, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise SystemExit(f"{command[0]} exited during start-up")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return child, port
        except OSError:
            time.sleep(0.1)
    child.kill()
    raise SystemExit(f"{command[0]} did not listen within 30 s")


def drain(port, size):
    """Milliseconds per receive and per delete, draining a queue of `size` messages."""
    sqs = boto3.client(
        "sqs",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    queue = sqs.create_queue(QueueName=f"bench-{size}-{time.monotonic_ns()}")["QueueUrl"]
    body = "x" * 600  # about a scoring message
    for _ in range(0, size, 10):
        entries = [{"Id": str(i), "MessageBody": body} for i in range(10)]
        sqs.send_message_batch(QueueUrl=queue, Entries=entries)
    receiving = deleting = 0.0
    batches = 0
    while True:
        started = time.perf_counter()
        messages = sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
        receiving += time.perf_counter() - started
        if not messages:
            break
        started = time.perf_counter()
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        sqs.delete_message_batch(QueueUrl=queue, Entries=entries)
        deleting += time.perf_counter() - started
        batches += 1
    return receiving / batches * 1000, deleting / batches * 1000


def main():
    children = []
    try:
        ports = {}
        for name, command in SERVERS:
            child, port = start(command)
            children.append(child)
            ports[name] = port
        print("SQS on moto, 10 messages per receive (times move with the machine's load:")
        print("read the two servers against each other, measured in the same run)")
        print(f"{'server':<14}{'queue':>8}{'receive':>12}{'delete':>12}")
        for size in SIZES:
            for name, _ in SERVERS:
                receive, delete = drain(ports[name], size)
                print(f"{name:<14}{size:>8}{receive:>9.1f} ms{delete:>9.1f} ms")
    finally:
        for child in children:
            child.terminate()
            child.wait()


if __name__ == "__main__":
    main()
