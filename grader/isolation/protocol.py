"""The worker channel: length-prefixed JSON headers plus raw float64 array buffers.

Nothing on this channel can execute code when decoded: a message is one JSON header
and zero or more byte buffers, and values are rebuilt only as None, bool, int, float,
str, float64 arrays, lists, tuples, str-keyed dicts and callback references. Every size
is checked before anything is read, so a hostile or broken peer gets a ProtocolError,
never a crash, a hang on a huge allocation, or an object of its choosing.

Frame:  u32 header length | header (UTF-8 JSON) | u32 buffer count | (u64 length | bytes)*
Values: JSON scalars and lists as themselves, and tagged objects:
        {"$a": i, "s": [shape]} array from buffer i;  {"$t": [...]} tuple;
        {"$d": [[key, value], ...]} dict;  {"$f": "nan" | "inf" | "-inf"} float;
        {"$c": n} the caller's callable number n;
        {"$x": [family, part, params]} a grader.isolation.formulas.Formula, rebuilt by the worker;
        {"$o": name} a grader.isolation.figures.OutputFile (a path the worker makes);
        {"$b": i} raw bytes from buffer i (a file learner code wrote).

Memory stays bounded whatever the peer sends: a header is at most MAX_HEADER bytes of
JSON with at most MAX_CONTAINERS lists and objects (so decoding it costs a small multiple
of its size), and buffers at most MAX_TOTAL bytes in all.
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from grader.isolation import figures, formulas

MAX_HEADER = 1024 * 1024          # the largest legitimate header, a long loss list, is ~0.2 MB
MAX_CONTAINERS = 100_000          # lists and objects in one header
MAX_BUFFERS = 4096
MAX_BUFFER = 64 * 1024 * 1024     # no check needs more than 8 million float64 numbers
MAX_TOTAL = 64 * 1024 * 1024


class ProtocolError(Exception):
    """A message that breaks the channel's format or limits."""


class ChannelTimeout(Exception):
    """No complete message arrived before the deadline."""


class ChannelClosed(Exception):
    """The peer closed its end (it exited or crashed)."""


# --------------------------------------------------------------------------- encoding

def encode(message: dict, callables: list | None = None) -> bytes:
    """One frame for message; callables found in it are numbered into `callables`."""
    buffers: list[bytes] = []
    header = json.dumps(_pack(message, buffers, callables), allow_nan=False,
                        separators=(",", ":")).encode()
    parts = [struct.pack(">I", len(header)), header, struct.pack(">I", len(buffers))]
    for buffer in buffers:
        parts += [struct.pack(">Q", len(buffer)), buffer]
    return b"".join(parts)


def _pack(value: Any, buffers: list[bytes], callables: list | None) -> Any:
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if math.isfinite(value) else {"$f": repr(value)}
    if kind is np.ndarray:
        buffers.append(np.ascontiguousarray(value, dtype="<f8").tobytes())
        return {"$a": len(buffers) - 1, "s": list(value.shape)}
    if kind is bytes:
        buffers.append(value)
        return {"$b": len(buffers) - 1}
    if kind is figures.OutputFile:
        return {"$o": value.name}
    if kind is list:
        return [_pack(item, buffers, callables) for item in value]
    if kind is tuple:
        return {"$t": [_pack(item, buffers, callables) for item in value]}
    if kind is dict:
        return {"$d": [[str(k), _pack(v, buffers, callables)] for k, v in value.items()]}
    if callables is not None and kind is formulas.Formula:   # evaluated in the worker
        return {"$x": [value.family, value.part, _pack(value.params, buffers, callables)]}
    if callables is not None and callable(value):
        callables.append(value)
        return {"$c": len(callables) - 1}
    raise ProtocolError(f"cannot send an object of type {kind.__name__}")


# --------------------------------------------------------------------------- decoding

def decode(header: bytes, buffers: list[bytes],
           make_callable: Callable[[int], Any] | None = None,
           make_output: Callable[[str], Any] | None = None) -> dict:
    """Rebuild a message; callable references become make_callable(n) and output files
    make_output(name) (each refused if None)."""
    if header.count(b"[") + header.count(b"{") > MAX_CONTAINERS:
        raise ProtocolError("header holds too many lists and objects")
    try:
        raw = json.loads(header.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"header is not JSON: {type(exc).__name__}") from None
    if type(raw) is not dict:
        raise ProtocolError("header is not an object")
    used: set[int] = set()
    message = _unpack(raw, buffers, (make_callable, make_output), used, depth=0)
    if not isinstance(message, dict):
        raise ProtocolError("message is not a dict")
    return message


def _unpack(value: Any, buffers: list[bytes], makers: Any, used: set, depth: int) -> Any:
    if depth > 32:
        raise ProtocolError("value nested too deeply")
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is list:
        return [_unpack(item, buffers, makers, used, depth + 1) for item in value]
    if kind is not dict or len(value) not in (1, 2):
        raise ProtocolError("unknown value in message")
    if "$a" in value:
        return _array(value, buffers, used)
    if "$t" in value and type(value["$t"]) is list:
        return tuple(_unpack(item, buffers, makers, used, depth + 1) for item in value["$t"])
    if "$d" in value and type(value["$d"]) is list:
        return _dict(value["$d"], buffers, makers, used, depth)
    if "$f" in value and value["$f"] in ("nan", "inf", "-inf"):
        return float(value["$f"])
    if "$b" in value:
        return _bytes(value["$b"], buffers, used)
    callable_maker, output_maker = makers
    if "$c" in value and type(value["$c"]) is int and callable_maker is not None:
        return callable_maker(value["$c"])
    if "$o" in value and type(value["$o"]) is str and output_maker is not None:
        return output_maker(value["$o"])
    if "$x" in value and type(value["$x"]) is list and len(value["$x"]) == 3 \
            and callable_maker is not None:
        return _formula(value["$x"], buffers, used, depth)
    raise ProtocolError("unknown tagged value in message")


def _dict(pairs: list, buffers: list[bytes], makers: Any, used: set, depth: int) -> dict:
    result = {}
    for pair in pairs:
        if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
            raise ProtocolError("malformed dict entry")
        result[pair[0]] = _unpack(pair[1], buffers, makers, used, depth + 1)
    return result


def _formula(parts: list, buffers: list[bytes], used: set, depth: int) -> formulas.Formula:
    family, part, params = parts
    try:
        return formulas.rebuild(family, part,
                                _unpack(params, buffers, (None, None), used, depth + 1))
    except ValueError as exc:
        raise ProtocolError(str(exc)) from None


def _bytes(index: Any, buffers: list[bytes], used: set) -> bytes:
    if type(index) is not int or not 0 <= index < len(buffers) or index in used:
        raise ProtocolError("bytes refer to a missing buffer")
    used.add(index)
    return buffers[index]


def _array(value: dict, buffers: list[bytes], used: set) -> np.ndarray:
    index, shape = value.get("$a"), value.get("s")
    if type(index) is not int or not 0 <= index < len(buffers) or index in used:
        raise ProtocolError("array refers to a missing buffer")
    if type(shape) is not list or len(shape) > 32 or not all(
            type(n) is int and 0 <= n < 2**31 for n in shape):
        raise ProtocolError("array has a malformed shape")
    if math.prod(shape) * 8 != len(buffers[index]):
        raise ProtocolError("array shape does not match its buffer")
    used.add(index)
    try:
        return np.frombuffer(buffers[index], dtype="<f8").reshape(shape).astype(np.float64)
    except (ValueError, MemoryError) as exc:
        raise ProtocolError(f"array cannot be built ({type(exc).__name__})") from None


# --------------------------------------------------------------------------- file descriptors

class Channel:
    """Frames over a pair of pipe file descriptors, with deadlines on reads."""

    def __init__(self, read_fd: int, write_fd: int, nonblocking_writes: bool = False):
        self.read_fd, self.write_fd = read_fd, write_fd
        self._pending = bytearray()  # bytes read ahead of the current frame
        if nonblocking_writes:       # so a peer that stops reading cannot block us forever
            os.set_blocking(write_fd, False)

    def send(self, frame: bytes, deadline: float | None = None) -> None:
        """Write the whole frame; ChannelTimeout if the peer stops reading past deadline."""
        view = memoryview(frame)
        while view:
            try:
                written = os.write(self.write_fd, view)
            except BlockingIOError:
                written = 0
            except OSError:
                raise ChannelClosed("the peer closed the channel") from None
            view = view[written:]
            if view and not self._writable(deadline):
                raise ChannelTimeout()

    def _writable(self, deadline: float | None) -> bool:
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            return False
        return bool(select.select([], [self.write_fd], [], wait)[1])

    def receive(self, deadline: float | None = None) -> tuple[bytes, list[bytes]]:
        """(header, buffers) of the next frame; raises ChannelTimeout past deadline."""
        (header_length,) = struct.unpack(">I", self._read(4, deadline))
        if header_length > MAX_HEADER:
            raise ProtocolError(f"header of {header_length} bytes is too large")
        header = self._read(header_length, deadline)
        (count,) = struct.unpack(">I", self._read(4, deadline))
        if count > MAX_BUFFERS:
            raise ProtocolError(f"{count} buffers is too many")
        buffers, total = [], 0
        for _ in range(count):
            (length,) = struct.unpack(">Q", self._read(8, deadline))
            total += length
            if length > MAX_BUFFER or total > MAX_TOTAL:
                raise ProtocolError("array data is too large")
            buffers.append(self._read(length, deadline))
        return header, buffers

    def _read(self, size: int, deadline: float | None) -> bytes:
        """Exactly size bytes, reading ahead in large chunks (one syscall per small frame)."""
        while len(self._pending) < size:
            if deadline is not None:
                wait = deadline - time.monotonic()
                if wait <= 0 or not select.select([self.read_fd], [], [], wait)[0]:
                    raise ChannelTimeout()
            chunk = os.read(self.read_fd, max(size - len(self._pending), 1 << 16))
            if not chunk:
                raise ChannelClosed("the peer closed the channel")
            self._pending += chunk
        data = bytes(self._pending[:size])
        del self._pending[:size]
        return data

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            try:
                os.close(fd)
            except OSError:
                pass
