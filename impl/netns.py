"""Sockets that belong to a network namespace.

A role of the reference implementation can keep its HTTPS interfaces on the host's loopback and open
its SIP sockets inside a network namespace (``/run/netns/<name>``, made by ``ip netns add``): a socket
belongs for good to the namespace it was created in, whatever thread later uses it. Entering a
namespace needs ``CAP_SYS_ADMIN``; without it :class:`NamespaceUnavailable` says so.
"""
from __future__ import annotations

import ctypes
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

_CLONE_NEWNET = 0x40000000


class NamespaceUnavailable(OSError):
    """The namespace does not exist or may not be entered here."""


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise NamespaceUnavailable(err, f"setns: {os.strerror(err)}")


@contextmanager
def entered(namespace: str) -> Iterator[None]:
    """Run the calling thread inside ``namespace``; back in its own namespace on exit."""
    original = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        try:
            target = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
        except OSError as exc:
            raise NamespaceUnavailable(exc.errno, f"no network namespace {namespace}: {exc.strerror}") from None
        try:
            _setns(target)
        finally:
            os.close(target)
        try:
            yield
        finally:
            _setns(original)
    finally:
        os.close(original)


def socket_in(namespace: str | None, family: int = socket.AF_INET, type: int = socket.SOCK_DGRAM,
              proto: int = 0) -> socket.socket:
    """A new socket in ``namespace`` (``None``: the caller's own namespace)."""
    if namespace is None:
        return socket.socket(family, type, proto)
    with entered(namespace):
        return socket.socket(family, type, proto)
