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
read sent mail from it).

And its TransactWriteItems takes time in proportion to the table for that same deep copy:
0.5 scorings a second at 7,000 items, where a transaction touches five. Here a transaction
keeps a copy of only the items its actions name (at most 100, by DynamoDB's limit) and, if
it fails for any reason, puts exactly those back; moto's own copy is skipped by handing it
the table itself. Under the lock above nothing else writes meanwhile, so restoring the
touched items is restoring the table. Streams are not enabled in template.yaml, so the
stream records a rolled-back action may leave are not undone.

Last, moto's Query on an index sorts the whole table first (`Table.all_items`, for every
index query and scan) with comparisons that convert both values on every call: at 50,000
items (a 10,000-job tenant) one list page took 2.7 s, and a page that merges several index
ranges many times that. The sorts here order by the same keys, computed once per item, and
string values compare without conversion; the order is unchanged (keys of one attribute
have one type).

SQS, too, slowed down as a queue filled: a ReceiveMessage checked each message it returned
against the retention period by computing every attribute of the queue, three of which
count the queue's messages, each message's visibility read through two `datetime`
conversions; 10 messages received from a queue of 1,000 took 300 ms (a scoring backlog
after one large fetch drained at a third of its speed). Here the retention period is read
from the queue itself and a queue's visible messages are picked with one clock reading;
what is visible, delayed, in flight or returned is unchanged. Arguments are moto_server's.
"""

import contextlib
import copy
import functools
import sys
import threading
import types

import moto.dynamodb.models as dynamodb_models
from moto.core.common_models import BaseModel
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.core.utils import unix_time, unix_time_millis
from moto.server import main
from moto.sqs.models import Queue, SQSBackend

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

_transact_write_items = DynamoDBBackend.transact_write_items


def _deepcopy_but_tables(value, memo=None):
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


@contextlib.contextmanager
def _tables_not_copied():
    """moto's transaction, seeing this `copy`, "backs up" a table as the table itself, so
    its own rollback is a no-op and `_restore` below does the work."""
    shim = types.SimpleNamespace(deepcopy=_deepcopy_but_tables, copy=copy.copy)
    dynamodb_models.copy = shim
    try:
        yield
    finally:
        dynamodb_models.copy = copy


def _key_of(table, op_type, op):
    """The (hash, range) of the item an action names, or None when the action is
    malformed (moto refuses it before it writes anything)."""
    try:
        attrs = op["Item"] if op_type == "Put" else op["Key"]
        hash_value = DynamoType(attrs[table.hash_key_attr])
        range_value = None
        if table.range_key_attr is not None:
            range_value = DynamoType(attrs[table.range_key_attr])
        return hash_value, range_value
    except (KeyError, TypeError, AttributeError):
        return None


def _snapshot(backend, transact_items):
    """Each named item as it is now (a copy, or None when absent), in action order."""
    saved = []
    for action in transact_items:
        if not isinstance(action, dict) or not action:
            continue
        op_type, op = next(iter(action.items()))
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        key = _key_of(table, op_type, op) if table is not None else None
        if key is None:
            continue
        before = table.get_item(*key)
        saved.append((table, key, copy.deepcopy(before)))
    return saved


def _restore(saved):
    # Backwards: when two actions name one item (which moto refuses), the first copy is
    # the item as it was before the transaction, and it is put back last.
    for table, (hash_value, range_value), before in reversed(saved):
        if range_value is None:
            if before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before
            continue
        if before is None:
            table.items.get(hash_value, {}).pop(range_value, None)
            if not table.items.get(hash_value):
                table.items.pop(hash_value, None)
        else:
            table.items[hash_value][range_value] = before


@functools.wraps(_transact_write_items)
def _transact_touching_only_named_items(self, transact_items):
    saved = _snapshot(self, transact_items)
    try:
        with _tables_not_copied():
            return _transact_write_items(self, transact_items)
    except BaseException:
        _restore(saved)
        raise


DynamoDBBackend.transact_write_items = _transact_touching_only_named_items


def _plain(value):
    """A key value as Python compares it, computed once (moto's own compare converts
    both sides on every comparison)."""
    return value.value if value.type == "S" else value.cast_value


def _all_items_by_key(self):
    items = []
    for hash_set in self.items.values():
        if self.range_key_attr:
            items.extend(hash_set.values())
        else:
            items.append(hash_set)
    if self.range_key_attr:
        items.sort(
            key=lambda x: (_plain(x.hash_key), _plain(x.range_key))
            if x.range_key
            else (_plain(x.hash_key),)
        )
    else:
        items.sort(key=lambda x: _plain(x.hash_key))
    return items


def _sorted_items_by_key(self, hash_key_attrs, range_key_attrs, items):
    attrs = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
    items.sort(key=lambda x: tuple(_plain(x.attrs[a]) for a in attrs))
    return items


_eq, _lt = DynamoType.__eq__, DynamoType.__lt__


def _fast_eq(self, other):
    if self.type == "S" and getattr(other, "type", None) == "S":
        return self.value == other.value
    return _eq(self, other)


def _fast_ne(self, other):
    return not _fast_eq(self, other)


def _fast_lt(self, other):
    if self.type == "S" and getattr(other, "type", None) == "S":
        return self.value < other.value
    return _lt(self, other)


Table.all_items = _all_items_by_key
Table.sorted_items = _sorted_items_by_key
DynamoType.__eq__ = _fast_eq
DynamoType.__ne__ = _fast_ne
DynamoType.__lt__ = _fast_lt


def _retained(self, queue_name, message):
    """Whether `message` is within its queue's retention period, as moto decides it, with
    the period read from the queue rather than from all of its attributes."""
    retention_period = self.get_queue(queue_name).message_retention_period
    return int(retention_period) + message.sent_timestamp / 1000 > unix_time()


def _visible_messages(self):
    """The queue's messages neither in flight nor delayed (moto's `Message.visible` and
    `not Message.delayed`), judged against one reading of the clock."""
    now = unix_time_millis()
    return [m for m in self._messages if now > m.visible_at and now >= m.delayed_until]


SQSBackend.is_message_valid_based_on_retention_period = _retained
Queue.messages = property(_visible_messages)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
