"""Opens a software key that speaks CTAPHID over TCP as a python-fido2 CtapHidDevice.

Framing (the pico-keys emulation's, which `fido2-manage sim --listen` serves): every 64-byte
HID report goes each way preceded by its length as 2 bytes big-endian. Kept here, in the
repository, so the python cross-checks need nothing but Debian's python3-fido2 (0.9.1).
"""
import socket
import struct

from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor

REPORT_SIZE = 64


class _TcpConnection(CtapHidConnection):
    def __init__(self, host, port, timeout):
        self._sock = socket.create_connection((host, port), timeout=timeout)
        # One report per write: without NODELAY, Nagle holds back every second report.
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _recv_exact(self, n):
        chunks, left = [], n
        while left:
            chunk = self._sock.recv(left)
            if not chunk:
                raise OSError("the key closed the TCP connection")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def write_packet(self, data):
        report = bytes(data)
        self._sock.sendall(struct.pack(">H", len(report)) + report)

    def read_packet(self):
        (length,) = struct.unpack(">H", self._recv_exact(2))
        return self._recv_exact(length)

    def close(self):
        self._sock.close()


def open_device(host, port, timeout=20):
    """A CtapHidDevice on the key at host:port (CTAPHID INIT is done by the constructor)."""
    fields = {
        "path": "tcp:%s:%d" % (host, port),
        "vid": 0,
        "pid": 0,
        "report_size_in": REPORT_SIZE,
        "report_size_out": REPORT_SIZE,
        "product_name": "fido2-manage test key",
        "serial_number": None,
    }
    descriptor = HidDescriptor(*[fields.get(name) for name in HidDescriptor._fields])
    return CtapHidDevice(descriptor, _TcpConnection(host, int(port), timeout))
