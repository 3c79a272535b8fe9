"""ARP prober for bench/failover.py, run inside the client's namespace:

    arp_probe.py IFACE VIP WATCH_MAC MASTER_MAC PERIOD_S TIMEOUT_S

Broadcasts an ARP request for VIP every PERIOD_S seconds on IFACE (a packet socket) and
watches every ARP frame whose sender protocol address is VIP. Prints "ready" once the
socket is open, then waits (bounded by TIMEOUT_S) for the first such frame whose sender
hardware address is WATCH_MAC (a reply to our requests, or that router's gratuitous ARP).
Prints one JSON line: the CLOCK_MONOTONIC time of that frame (taken on receipt), its kind,
the time of the request sent just before it, the number of requests and the largest gap
between two sends (the measurement's resolution). It also notes the arrival time of the last
VRRP advert (IP protocol 112) sent from MASTER_MAC before that frame, and its priority.
"""

import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
ETH_P_IP = 0x0800


def mac_bytes(text: str) -> bytes:
    return bytes(int(x, 16) for x in text.split(":"))


def main() -> int:
    iface, vip, watch_mac, master_mac = sys.argv[1:5]
    period, timeout = float(sys.argv[5]), float(sys.argv[6])
    watch = mac_bytes(watch_mac)
    master = mac_bytes(master_mac)
    v = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    v.bind((iface, ETH_P_IP))
    v.setblocking(False)
    last_advert = None
    last_prio = None
    adverts = 0
    vip_b = socket.inet_aton(vip)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    s.bind((iface, ETH_P_ARP))
    s.setblocking(False)
    my_mac = s.getsockname()[4]
    # Our own IPv4 address on iface, as the request's sender address.
    my_ip = b"\0\0\0\0"
    out = os.popen(f"ip -4 -o addr show dev {iface}").read().split()
    if "inet" in out:
        my_ip = socket.inet_aton(out[out.index("inet") + 1].split("/")[0])
    frame = (b"\xff" * 6 + my_mac + struct.pack("!H", ETH_P_ARP) +
             struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + my_mac + my_ip + b"\0" * 6 + vip_b)
    print("ready", flush=True)

    start = time.monotonic()
    deadline = start + timeout
    next_send = start
    last_send = None
    max_gap = 0.0
    sent = 0
    result = None
    while result is None:
        now = time.monotonic()
        if now >= deadline:
            break
        if now >= next_send:
            s.send(frame)
            if last_send is not None:
                max_gap = max(max_gap, now - last_send)
            last_send = now
            sent += 1
            next_send += period
            if next_send < now:  # fell behind: do not burst
                next_send = now + period
        wait = max(0.0, min(next_send, deadline) - time.monotonic())
        ready = select.select([s, v], [], [], wait)[0]
        if not ready:
            continue
        while v in ready:
            try:
                data = v.recv(128)
            except BlockingIOError:
                break
            got = time.monotonic()
            # Ethernet source, IPv4 protocol 112; the VRRP priority follows the IHL.
            if len(data) >= 34 and data[6:12] == master and data[23] == 112:
                ihl = (data[14] & 0x0F) * 4
                if len(data) > 14 + ihl + 2:
                    last_advert, last_prio = got, data[14 + ihl + 2]
                    adverts += 1
        while True:
            try:
                data = s.recv(128)
            except BlockingIOError:
                break
            got = time.monotonic()
            if len(data) < 42:
                continue
            op = struct.unpack("!H", data[20:22])[0]
            sha, spa, tpa = data[22:28], data[28:32], data[38:42]
            if spa != vip_b or sha != watch:
                continue
            kind = "reply" if op == 2 else ("garp" if tpa == vip_b else "request")
            result = {"t": got, "kind": kind, "last_send": last_send,
                      "last_advert": last_advert, "last_advert_priority": last_prio}
            break
    print(json.dumps({"result": result, "sent": sent, "max_send_gap": max_gap,
                      "master_adverts": adverts,
                      "started": start}), flush=True)
    return 0 if result else 1


if __name__ == "__main__":
    sys.exit(main())
