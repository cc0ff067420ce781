"""Step runner shared by the Python clients of the compatibility suite.

Each client script runs a fixed sequence of steps against Floe and prints
one line per step: "ok <step>" or "fail <step>: <error>". The connection
comes from the environment: FLOE_HOST, FLOE_PORT, FLOE_USER, FLOE_PASSWORD,
FLOE_DB; COMPAT_TABLE names the table the script creates (and drops first).
"""
import datetime
import decimal
import os
import sys

HOST = os.environ.get("FLOE_HOST", "127.0.0.1")
PORT = int(os.environ.get("FLOE_PORT", "0"))
USER = os.environ.get("FLOE_USER", "")
PASSWORD = os.environ.get("FLOE_PASSWORD", "")
DB = os.environ.get("FLOE_DB", "")
TABLE = os.environ.get("COMPAT_TABLE", "compat_py")

# The rows every client inserts: id, name, active, price, created, note.
ROWS = [
    (1, "alpha", True, decimal.Decimal("12.50"), datetime.datetime(2024, 1, 2, 3, 4, 5), None),
    (2, "beta", False, decimal.Decimal("7.25"), datetime.datetime(2024, 2, 3, 4, 5, 6), "second"),
    (3, "gamma", True, decimal.Decimal("100.01"), datetime.datetime(2024, 3, 4, 5, 6, 7), "third"),
]


class Failed(Exception):
    """A step's check did not hold."""


def expect(got, want, what):
    if got != want:
        raise Failed("%s: got %r, want %r" % (what, got, want))


def one_line(e):
    s = "%s: %s" % (type(e).__name__, e)
    return " ".join(s.split())[:400]


class Runner:
    """Runs steps, prints their outcome; a failed step does not stop the run
    unless it is marked fatal (nothing after it can work)."""

    def __init__(self, on_error=None):
        self.on_error = on_error
        self.failed = 0

    def step(self, name, fn, fatal=False):
        try:
            fn()
        except BaseException as e:  # noqa: BLE001 — every failure is reported
            self.failed += 1
            print("fail %s: %s" % (name, one_line(e)), flush=True)
            if self.on_error is not None:
                try:
                    self.on_error()
                except BaseException:  # noqa: BLE001
                    pass
            if fatal:
                sys.exit(0)
            return False
        print("ok %s" % name, flush=True)
        return True


def num(v):
    """A numeric result as Decimal, whatever type the driver returned."""
    if isinstance(v, decimal.Decimal):
        return v
    if isinstance(v, (int, float, str)):
        return decimal.Decimal(str(v))
    raise Failed("not a number: %r" % (v,))
