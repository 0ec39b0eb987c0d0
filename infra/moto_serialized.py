"""moto's server as the tests, the local stack and the benchmarks run it (`make` installs
it as .venv/bin/jobmon-moto): DynamoDB requests serialised, DynamoDB objects untracked.

moto runs requests on threads, and its TransactWriteItems is not isolated: it deep-copies
the tables, applies the actions one by one and, when one is cancelled, puts the copies
back, undoing whatever other requests wrote meanwhile. Under concurrent requests that
breaks what DynamoDB guarantees (a conditional move and its counter ADDs happen together
or not at all), and a fuzz run then sees impossible states such as negative counters.
One lock around each DynamoDB request restores the guarantee; other services (SQS long
polls) stay concurrent.

moto also keeps every model object it ever creates in a class-wide list for its dashboard
(`/moto-api/data.json`), and the deep copy above creates a whole table's items per
transaction, so a long run (the local stack, a benchmark) keeps a copy of the table per
TransactWriteItems: 1,000 scorings of a 7,000-item table grew moto past 20 GB. DynamoDB's
objects are therefore not tracked; the dashboard still lists other services (the tests
read sent mail from it). Arguments are moto_server's.
"""

import functools
import sys
import threading

from moto.core.common_models import BaseModel
from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_LOCK = threading.RLock()
_call_action = DynamoHandler.call_action


@functools.wraps(_call_action)
def _serialised(self, *args, **kwargs):
    with _LOCK:
        return _call_action(self, *args, **kwargs)


DynamoHandler.call_action = _serialised

_tracked_new = BaseModel.__new__


def _new(cls, *args, **kwargs):
    if cls.__module__.startswith("moto.dynamodb."):
        return super(BaseModel, cls).__new__(cls)
    return _tracked_new(cls, *args, **kwargs)


BaseModel.__new__ = staticmethod(_new)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
