# SPDX-License-Identifier: AGPL-3.0-or-later
"""The file daemon's end of a grpc-fd module, as Bareos 25's grpc-fd plugin starts one: three connected AF_UNIX socket
pairs, the module exec'd with no arguments and their other ends as its fds 3 (it serves bareos.plugin.Plugin), 4 (it
calls bareos.core.Core) and 5 (data); unary calls on fd 3 over HTTP/2 (python3-h2), timed from the exec."""
import os
import socket
import struct
import subprocess
import threading
import time

import h2.config
import h2.connection
import h2.events


class CoreServer(threading.Thread):
    """The daemon's bareos.core.Core on fd 4, as far as a test needs it: every unary call is recorded as (method, request
    bytes) and answered with an empty message and status 0, or with what `answers` holds for that method."""

    def __init__(self, sock, answers=None):
        threading.Thread.__init__(self, daemon=True)
        self.sock, self.answers, self.calls = sock, answers or {}, []
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))

    def run(self):
        self.h2.initiate_connection()
        self.sock.sendall(self.h2.data_to_send())
        paths, bodies = {}, {}
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return
                for event in self.h2.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        paths[event.stream_id] = dict(event.headers)[":path"]
                        bodies[event.stream_id] = b""
                    elif isinstance(event, h2.events.DataReceived):
                        bodies[event.stream_id] += event.data
                        self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        method = paths[event.stream_id].rsplit("/", 1)[1]
                        self.calls.append((method, bodies[event.stream_id][5:]))
                        answer = self.answers.get(method, b"")
                        self.h2.send_headers(event.stream_id, [(":status", "200"), ("content-type", "application/grpc")])
                        self.h2.send_data(event.stream_id, struct.pack(">BI", 0, len(answer)) + answer)
                        self.h2.send_headers(event.stream_id, [("grpc-status", "0")], end_stream=True)
                out = self.h2.data_to_send()
                if out:
                    self.sock.sendall(out)
        except OSError:
            return


def varints(data):
    """The numbers of a packed repeated varint field's bytes (tag and length already taken off)."""
    out, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            out.append(value)
            value, shift = 0, 0
    return out


class ModuleProcess:
    def __init__(self, binary, stderr_path):
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(3)]
        ends = [p[1].fileno() for p in pairs]

        def as_3_4_5():
            for i, fd in enumerate(ends):
                os.dup2(fd, 3 + i)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([binary], preexec_fn=as_3_4_5, pass_fds=(3, 4, 5), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(stderr_path, "wb"))
        for p in pairs:
            p[1].close()
        self.plugin, self.core, self.data = (p[0] for p in pairs)
        self.core_server = CoreServer(self.core)
        self.core_server.start()
        self.plugin.settimeout(30)
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.h2.initiate_connection()

    def unary(self, method, payload=b""):
        """Calls /bareos.plugin.Plugin/<method>; returns (grpc-status, message bytes)."""
        sid = self.h2.get_next_available_stream_id()
        self.h2.send_headers(sid, [(":method", "POST"), (":scheme", "http"), (":path", "/bareos.plugin.Plugin/" + method),
                                   (":authority", "bareos-fd"), ("content-type", "application/grpc"), ("te", "trailers")])
        self.h2.send_data(sid, struct.pack(">BI", 0, len(payload)) + payload, end_stream=True)
        self.plugin.sendall(self.h2.data_to_send())
        body, status = b"", None
        while status is None:
            data = self.plugin.recv(65536)
            if not data:
                raise ConnectionError("the module closed the connection")
            for event in self.h2.receive_data(data):
                if isinstance(event, h2.events.DataReceived) and event.stream_id == sid:
                    body += event.data
                    self.h2.acknowledge_received_data(event.flow_controlled_length, sid)
                elif isinstance(event, (h2.events.TrailersReceived, h2.events.ResponseReceived)) and event.stream_id == sid:
                    headers = dict(event.headers)
                    if "grpc-status" in headers:
                        status = int(headers["grpc-status"])
            out = self.h2.data_to_send()
            if out:
                self.plugin.sendall(out)
        return status, body[5:]

    def close(self):
        """What the daemon does at the end of a job: closes its ends; the module must be gone within its 1 s."""
        for s in (self.plugin, self.core, self.data):
            s.close()
