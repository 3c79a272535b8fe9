"""BFD packet recorder for bench/bfd_detect.py, run inside a lab node's namespace:

    bfd_sniff.py IFACE TIMEOUT_S

Reads every frame on IFACE (a packet socket: both directions) and prints, for each IPv4
UDP datagram to port 3784 or 4784, one JSON line with the kernel's receive timestamp
(SO_TIMESTAMPNS, CLOCK_REALTIME seconds), the addresses, and the BFD state, diagnostic and
discriminators. Prints "ready" once the socket is open; stops after TIMEOUT_S or when its
standard input is closed. The timestamps are the kernel's, taken when the frame crossed
the interface, so a busy machine delays the printing, not the figures.
"""

import json
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35
STATES = ("AdminDown", "Down", "Init", "Up")


def parse(frame: bytes):
    if len(frame) < 14 + 20 + 8 + 24 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    if ip[9] != 17:
        return None
    udp = ip[ihl:]
    dport = struct.unpack("!H", udp[2:4])[0]
    if dport not in (3784, 4784):
        return None
    bfd = udp[8:]
    if len(bfd) < 24:
        return None
    my, your = struct.unpack("!II", bfd[4:12])
    tx, rx = struct.unpack("!II", bfd[12:20])
    return {"src": socket.inet_ntoa(ip[12:16]), "dst": socket.inet_ntoa(ip[16:20]),
            "ttl": ip[8], "state": STATES[bfd[1] >> 6], "diag": bfd[0] & 0x1F,
            "poll": bool(bfd[1] & 0x20), "final": bool(bfd[1] & 0x10), "mult": bfd[2],
            "my": my, "your": your, "tx_us": tx, "rx_us": rx}


def main() -> int:
    iface, timeout = sys.argv[1], float(sys.argv[2])
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((iface, ETH_P_ALL))
    s.setblocking(False)
    print("ready", flush=True)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([s, sys.stdin], [], [], 0.2)
        if sys.stdin in r and not sys.stdin.buffer.read1(4096):
            break
        if s not in r:
            continue
        while True:
            try:
                frame, anc, _, _ = s.recvmsg(2048, 64)
            except BlockingIOError:
                break
            rec = parse(frame)
            if rec is None:
                continue
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", data[:16])
                    rec["t"] = sec + nsec / 1e9
            print(json.dumps(rec), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
