# SPDX-License-Identifier: AGPL-3.0-or-later
"""A minimal gRPC client over HTTP/2 (prior knowledge, no TLS) on a Unix socket, on Debian's python3-h2.

Unary calls only (what the shim needs), one at a time or started ahead and collected later (start/result: the
next batch of entries is asked for while the current one is handed out). Every call has a deadline (grpc-timeout
and socket timeouts); abort() may be called from another thread (the file daemon's cancel thread) and makes a
blocked call fail at once. See ARCHITECTURE.md, "The shim's transport".
"""
import socket
import struct
import threading
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import hyperframe.frame

# h2 4.1 formats repr(frame) of every received frame for a debug log it then drops; hyperframe's repr
# hexlifies the whole payload. Only look at the first bytes.
hyperframe.frame._raw_data_repr = lambda data: "<%d bytes>" % len(data) if data else "None"

WINDOW = 16 * 1024 * 1024
MAX_FRAME = 1024 * 1024
# h2's frame buffer copies what is left of a read after each frame it takes out: reads much larger than a frame
# (Kestrel sends about 16 KiB) cost more than they save in system calls (measured: 1 MiB reads doubled the CPU of
# receiving a batch of entries).
RECV = 64 * 1024

# grpc status codes used in messages
STATUS_NAMES = {
    0: "OK", 1: "CANCELLED", 2: "UNKNOWN", 3: "INVALID_ARGUMENT", 4: "DEADLINE_EXCEEDED", 5: "NOT_FOUND",
    6: "ALREADY_EXISTS", 7: "PERMISSION_DENIED", 8: "RESOURCE_EXHAUSTED", 9: "FAILED_PRECONDITION", 10: "ABORTED",
    11: "OUT_OF_RANGE", 12: "UNIMPLEMENTED", 13: "INTERNAL", 14: "UNAVAILABLE", 15: "DATA_LOSS", 16: "UNAUTHENTICATED",
}


class RpcError(Exception):
    """A call failed: `code` is the gRPC status (14 UNAVAILABLE for transport failures)."""

    def __init__(self, code, message):
        Exception.__init__(self, "%s: %s" % (STATUS_NAMES.get(code, code), message))
        self.code = code
        self.detail = message


def _unquote(text):
    # grpc-message is percent-encoded.
    out = bytearray()
    raw = text.encode("latin-1") if isinstance(text, str) else bytes(text)
    i = 0
    while i < len(raw):
        if raw[i] == 0x25 and i + 2 < len(raw):
            try:
                out.append(int(raw[i + 1:i + 3], 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(raw[i])
        i += 1
    return out.decode("utf-8", "replace")


class Channel:
    """One HTTP/2 connection to the host's Unix socket. Not thread-safe except abort()."""

    def __init__(self, path, connect_timeout=10.0):
        self.path = path
        self._aborted = False
        self._lock = threading.Lock()
        self._calls = {}  # stream id -> _Call started and not yet collected
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(connect_timeout)
        try:
            self.sock.connect(path)
        except OSError as e:
            self.sock.close()
            raise RpcError(14, "cannot connect to the BackupPlugins host at %s: %s" % (path, e.strerror or e))
        config = h2.config.H2Configuration(client_side=True, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(WINDOW)
        self.conn.update_settings({
            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW,
            h2.settings.SettingCodes.MAX_FRAME_SIZE: MAX_FRAME,
        })
        self._flush()

    def _flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def abort(self):
        """From any thread: shut the socket down so a blocked call returns at once."""
        self._aborted = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self):
        try:
            if not self._aborted:
                self.conn.close_connection()
                self._flush()
        except Exception:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def unary(self, method, payload, timeout):
        """Calls `method` (full path) with the encoded request; returns the encoded response."""
        return self.result(self.start(method, payload, timeout))

    def start(self, method, payload, timeout):
        """Sends a call without waiting for its answer (HTTP/2 runs calls side by side); result() collects it."""
        if self._aborted:
            raise RpcError(1, "the job was cancelled")
        call = _Call(time.monotonic() + timeout, timeout)
        try:
            self._guarded(self._start, call, method, payload)
        except RpcError:
            self._calls.pop(call.stream_id, None)
            raise
        return call

    def result(self, call):
        """The encoded response of a started call: waits for it, within the call's deadline."""
        try:
            if call.error is None:
                self._guarded(self._wait, call)
        finally:
            self._calls.pop(call.stream_id, None)
        if call.error is not None:
            raise call.error
        status = int(call.headers.get(b"grpc-status", b"2"))
        if status != 0:
            raise RpcError(status, _unquote(call.headers.get(b"grpc-message", b"(no message)")))
        return _message(call.body)

    def _guarded(self, step, call, *args):
        try:
            step(call, *args)
        except RpcError:
            raise
        except socket.timeout:
            self.abort()
            raise RpcError(4, "no answer from the host at %s within %.0f s" % (self.path, call.timeout))
        except (OSError, h2.exceptions.ProtocolError) as e:
            if self._aborted:
                raise RpcError(1, "the job was cancelled")
            raise self._lost(e.strerror if isinstance(e, OSError) and e.strerror else e)

    def _start(self, call, method, payload):
        conn = self.conn
        call.stream_id = conn.get_next_available_stream_id()
        self._calls[call.stream_id] = call
        conn.send_headers(call.stream_id, [
            (b":method", b"POST"), (b":scheme", b"http"), (b":path", method.encode("ascii")),
            (b":authority", b"localhost"), (b"content-type", b"application/grpc"), (b"te", b"trailers"),
            (b"grpc-timeout", b"%dm" % max(1, int(call.timeout * 1000))),
        ])
        self._send_body(call, struct.pack(">BI", 0, len(payload)) + payload)

    def _lost(self, why):
        """The connection broke in the middle of a job: a host stopped, killed or restarted. Its sessions die with it;
        a new host's start-up sweep undoes what they left (snapshots, mounts)."""
        return RpcError(14, "lost the connection to the BackupPlugins host at %s (%s): the host stopped during the job; "
                            "it undoes what the job left behind when it starts again" % (self.path, why))

    def _wait(self, call):
        while not call.done:
            self._receive(call.deadline)
        if call.error is not None:
            raise call.error

    def check(self):
        """Without waiting: takes in what the host has sent, and raises the lost-connection error if the host is gone
        (its connection closed). For a caller that works from entries it already has, to notice a dead host at once."""
        self._guarded(self._check, None)

    def _check(self, _call):
        self.sock.settimeout(0)  # with a timeout set, Python would wait for data before it tries the read
        while True:
            try:
                data = self.sock.recv(RECV, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return  # nothing more has come: the host is there
            self._take(data)

    def _receive(self, deadline):
        """Reads what the host sent and hands each event to its call."""
        self.sock.settimeout(max(0.001, deadline - time.monotonic()))
        self._take(self.sock.recv(RECV))

    def _take(self, data):
        if not data:
            if self._aborted:
                raise RpcError(1, "the job was cancelled")
            raise self._lost("it closed the connection")
        conn = self.conn
        for event in conn.receive_data(data):
            call = self._calls.get(getattr(event, "stream_id", None))
            if isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                if call is not None:
                    call.body.append(event.data)
            elif call is None:
                if isinstance(event, h2.events.ConnectionTerminated):
                    raise self._lost("it ended the connection, HTTP/2 error %s" % event.error_code)
            elif isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
                call.headers.update(event.headers)
            elif isinstance(event, h2.events.StreamEnded):
                call.done = True
            elif isinstance(event, h2.events.StreamReset):
                call.error = RpcError(14, "the host reset the call (error %s)" % event.error_code)
                call.done = True
        self._flush()

    def _send_body(self, call, body):
        conn = self.conn
        offset = 0
        while offset < len(body) or offset == 0:
            window = min(conn.local_flow_control_window(call.stream_id), conn.max_outbound_frame_size)
            if window <= 0:
                self._flush()
                self._receive(call.deadline)  # a window update, or answers of other calls
                continue
            chunk = body[offset:offset + window]
            offset += len(chunk)
            conn.send_data(call.stream_id, chunk, end_stream=offset >= len(body))
            self._flush()
            if offset >= len(body):
                break


def _message(chunks):
    """The one gRPC message of a unary reply, from its DATA chunks: copied once (replies can be a MiB)."""
    if not chunks or len(chunks[0]) < 5:
        chunks = [b"".join(chunks)]
    first = chunks[0]
    if len(first) < 5:
        raise RpcError(13, "empty response from the host")
    compressed, length = struct.unpack_from(">BI", first)
    if compressed:
        raise RpcError(13, "compressed responses are not supported")
    chunks[0] = first[5:]
    data = b"".join(chunks)
    if len(data) < length:
        raise RpcError(13, "the host's reply was cut short (%d of %d bytes)" % (len(data), length))
    return data if len(data) == length else data[:length]


class _Call:
    """One call's state: its stream, deadline, and what came back so far."""
    __slots__ = ("stream_id", "deadline", "timeout", "headers", "body", "done", "error")

    def __init__(self, deadline, timeout):
        self.stream_id = None
        self.deadline = deadline
        self.timeout = timeout
        self.headers = {}
        self.body = []  # DATA chunks
        self.done = False
        self.error = None
