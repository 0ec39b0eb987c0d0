"""moto's server with DynamoDB requests serialised, for `make api-fuzz`.

moto runs requests on threads, and its TransactWriteItems is not isolated: it deep-copies
the tables, applies the actions one by one and, when one is cancelled, puts the copies
back, undoing whatever other requests wrote meanwhile. Under concurrent requests that
breaks what DynamoDB guarantees (a conditional move and its counter ADDs happen together
or not at all), and a fuzz run then sees impossible states such as negative counters.
One lock around each DynamoDB request restores the guarantee; other services (SQS long
polls) stay concurrent. Arguments are moto_server's.
"""

import functools
import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_LOCK = threading.RLock()
_call_action = DynamoHandler.call_action


@functools.wraps(_call_action)
def _serialised(self, *args, **kwargs):
    with _LOCK:
        return _call_action(self, *args, **kwargs)


DynamoHandler.call_action = _serialised

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
