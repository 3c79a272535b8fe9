#!/usr/bin/python3
"""Writes the committed seed corpora under tests/fuzz/seeds/<target>/ (except config/ and
regressions, which are kept by hand). Each seed is a well-formed input of the target's layout
(see the comment at the top of fuzz_<target>.cc), so that fuzzing starts from the decoders'
deep paths. Run from anywhere; rewrites only the files it names."""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def v4(text: str) -> bytes:
    return bytes(int(x) for x in text.split("."))


def v6(first: int, second: int, last: int) -> bytes:
    return bytes([first, second] + [0] * 13 + [last])


def ipv4_header(src: bytes, dst: bytes, proto: int, payload_len: int, ttl=255, tos=0xC0, df=False) -> bytes:
    h = struct.pack("!BBHHHBBH4s4s", 0x45, tos, 20 + payload_len, 1, 0x4000 if df else 0, ttl, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def vrrp(version: int, addrs, prio=100, vrid=51, interval=1, auth=0, password=b"", with_auth_data=False,
         pseudo=None) -> bytes:
    head = bytes([(version << 4) | 1, vrid, prio, len(addrs)])
    head += bytes([auth, interval]) if version == 2 else struct.pack("!H", interval)
    body = b"".join(addrs)
    if with_auth_data:
        body += password.ljust(8, b"\0")[:8]
    msg = head + b"\0\0" + body
    if pseudo is None:
        c = csum(msg)
    else:
        c = csum(pseudo(len(msg)) + msg)
    return msg[:6] + struct.pack("!H", c) + msg[8:]


def pseudo4(src, dst):
    return lambda n: src + dst + bytes([0, 112]) + struct.pack("!H", n)


def pseudo6(src, dst):
    return lambda n: src + dst + struct.pack("!I", n) + bytes([0, 0, 0, 112])


def write(target: str, name: str, data: bytes) -> None:
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def vrrp_seeds():
    peer, unicast, group = v4("10.0.0.1"), v4("10.0.0.2"), v4("224.0.0.18")
    vips = [v4("192.168.0.1"), v4("192.168.0.2")]
    m = vrrp(2, vips, with_auth_data=True)
    write("vrrp_advert", "v2_ipv4", bytes([0x00, 0, 0]) + ipv4_header(peer, group, 112, len(m)) + m)
    m = vrrp(2, vips, auth=1, password=b"secret", with_auth_data=True)
    write("vrrp_advert", "v2_ipv4_pass", bytes([0x40, 0, 0]) + ipv4_header(peer, group, 112, len(m)) + m)
    m = vrrp(3, vips, interval=100, pseudo=pseudo4(peer, group))
    write("vrrp_advert", "v3_ipv4", bytes([0x02, 0, 0]) + ipv4_header(peer, group, 112, len(m)) + m)
    m = vrrp(3, vips, interval=100, pseudo=pseudo4(peer, unicast))
    write("vrrp_advert", "v3_ipv4_unicast",
          bytes([0x0E, 0, 0]) + ipv4_header(peer, unicast, 112, len(m), ttl=64) + m)
    m = vrrp(3, vips, interval=100, pseudo=pseudo4(peer, group))
    write("vrrp_advert", "v3_ipv4_unicast_legacy_checksum",
          bytes([0x06, 0, 0]) + ipv4_header(peer, unicast, 112, len(m)) + m)
    m = vrrp(3, vips, interval=100)
    write("vrrp_advert", "v3_ipv4_checksum_as_v2",
          bytes([0x12, 0, 0]) + ipv4_header(peer, group, 112, len(m)) + m + b"\0" * 6)
    src6, grp6 = v6(0xFE, 0x80, 1), bytes([0xFF, 0x02] + [0] * 13 + [0x12])
    vips6 = [v6(0x20, 0x01, 1), v6(0x20, 0x01, 2)]
    m = vrrp(3, vips6, interval=100, pseudo=pseudo6(src6, grp6))
    write("vrrp_advert", "v3_ipv6", bytes([0x23, 255, 0]) + m)
    m = vrrp(2, vips6, prio=0, with_auth_data=False)
    write("vrrp_advert", "v2_ipv6_priority0", bytes([0x01, 0, 0]) + m)
    m = vrrp(3, [], vrid=7, interval=100, pseudo=pseudo6(src6, grp6))
    write("vrrp_advert", "v3_ipv6_other_vrid", bytes([0x03, 255, 0]) + m)


def http_seeds():
    write("http_response", "content_length", b"\0\7HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
          b"Content-Length: 12\r\n\r\nhello world\n")
    write("http_response", "chunked", b"\1\3HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
          b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")
    write("http_response", "chunked_raw", b"\0\5HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
          b"5\r\nhello\r\n0\r\n\r\n")
    write("http_response", "to_eof", b"\0\1HTTP/1.0 404 Not Found\nServer: x\n\nnot here")
    write("http_response", "no_body", b"\1\2HTTP/1.1 301 Moved\r\nLocation: /\r\nContent-Length: 0\r\n\r\n")


def simple_seeds():
    write("smtp_reply", "session", b"220 mail.example.com ESMTP\r\n250-mail.example.com\r\n"
          b"250-PIPELINING\r\n250 8BITMIME\r\n221 2.0.0 Bye\r\n")
    write("smtp_reply", "refused", b"554 no service\n421-busy\n421\n")
    name = b"example.com"
    question = b"\x07example\x03com\x00\x00\x06\x00\x01"
    write("dns_reply", "soa_answer", b"\x12\x34" + bytes([len(name)]) + name +
          b"\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + question +
          b"\xc0\x0c\x00\x06\x00\x01\x00\x00\x0e\x10\x00\x04\x01\x02\x03\x04")
    write("dns_reply", "nxdomain", b"\xbe\xef\x01." + b"\xbe\xef\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00")
    write("dns_reply", "root_query", b"\x00\x01\x04AAAA" + b"\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00")
    write("udp_reply", "masked_match", bytes([4, 64, 5]) + b"PONG\0" + bytes([5, 0, 0, 0, 0, 0xFF]) + b"PONG!")
    write("udp_reply", "plain", bytes([0, 255, 0, 0]) + b"any reply")
    write("udp_reply", "too_short", bytes([8, 255, 2]) + b"ok" + bytes([0]) + b"ok")
    payload = bytes(range(56))

    def echo(t, ident, seq, checksum=True):
        p = bytes([t, 0, 0, 0]) + struct.pack("!HH", ident, seq) + payload
        if checksum:
            p = p[:2] + struct.pack("!H", csum(p)) + p[4:]
        return p

    write("ping_reply", "dgram_v4", bytes([0]) + b"\x12\x34\x00\x07" + echo(0, 0x9999, 7))
    reply = echo(0, 0x1234, 7)
    write("ping_reply", "raw_v4", bytes([6]) + b"\x12\x34\x00\x07" +
          ipv4_header(v4("127.0.0.1"), v4("127.0.0.1"), 1, len(reply), ttl=64, tos=0) + reply)
    write("ping_reply", "raw_v6", bytes([5]) + b"\x12\x34\x00\x07" + echo(129, 0x1234, 7, checksum=False))
    write("ping_reply", "v6_unreachable", bytes([1]) + b"\x12\x34\x00\x07" + bytes([1, 4, 0, 0, 0, 0, 0, 0]) +
          b"\x60" + bytes(47))


def tcp_seeds():
    isn = 0x01020304
    prefix = struct.pack("!I", isn) + v4("10.0.0.1") + v4("10.0.0.2") + struct.pack("!HH", 40000, 80)

    def segment(sport, dport, seq, ack, flags, options=b""):
        off = (20 + len(options)) // 4
        return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 65535, 0, 0) + options

    synack = segment(80, 40000, 777, isn + 1, 0x12, b"\x02\x04\x05\xb4")
    write("tcp_segment", "synack", prefix + ipv4_header(v4("10.0.0.2"), v4("10.0.0.1"), 6, len(synack),
                                                         ttl=64, tos=0, df=True) + synack)
    rst = segment(80, 40000, 0, isn + 1, 0x14)
    write("tcp_segment", "rst", prefix + ipv4_header(v4("10.0.0.2"), v4("10.0.0.1"), 6, len(rst),
                                                     ttl=64, tos=0, df=True) + rst)
    quoted = ipv4_header(v4("10.0.0.1"), v4("10.0.0.2"), 6, 24, ttl=64, tos=0, df=True) + \
        segment(40000, 80, isn, 0, 0x02)[:8]
    write("tcp_segment", "icmp_quote", prefix + quoted)


def control_seeds():
    for cmd in ["status", "instances", "servers", "stats", "reload"]:
        write("control_request", cmd, json.dumps({"command": cmd}).encode())
    write("control_request", "unknown", b'{"command": "shutdown", "force": [1, 2.5, null, {"a": "\\u00e9"}]}')
    write("control_request", "not_object", b'["status"]')
    write("metrics_request", "metrics", b"GET /metrics HTTP/1.1\r\nHost: localhost:9650\r\nAccept: */*\r\n\r\n")
    write("metrics_request", "query", b"GET /metrics?name[]=vigil_up HTTP/1.0\r\n\r\n")
    write("metrics_request", "other_path", b"GET / HTTP/1.1\r\n\r\n")
    write("metrics_request", "post", b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")


def frame(t: bytes, payload: bytes) -> bytes:
    return struct.pack("!I", len(payload)) + t + payload


def frames_seeds():
    status = {
        "version": "0.1.0", "pid": 42, "uptime_s": 12.5, "config_file": "/etc/keepalived/keepalived.conf",
        "reloads": 1, "reload_failures": 0, "last_reload_ok": True, "lb_backend": "nftables",
        "instances": [{
            "name": "VI_1", "state": "MASTER", "interface": "eth0", "vrid": 51, "version": 3,
            "family": "inet", "base_priority": 100, "effective_priority": 90, "advert_interval_s": 1.0,
            "master_address": "10.0.0.1", "vips": ["192.168.0.1/32"], "transitions": 2,
            "became_master": 1, "adverts_sent": 10, "adverts_received": 3, "priority_zero_sent": 0,
            "priority_zero_received": 0, "rejected": {"bad_ttl": 1}}],
        "virtual_servers": [{
            "name": "10.0.0.1:80/tcp", "scheduler": "rr", "quorum_up": True, "sorry_server_active": False,
            "live_weight": 2, "real_servers": [{
                "address": "10.0.0.2:80", "up": True, "weight": 1, "config_weight": 1, "checks_ok": 5,
                "checks_failed": 1, "last_check_latency_s": 0.002}]}],
    }
    doc = json.dumps(status).encode()
    write("engine_frames", "status", b"\x07" + frame(b"S", doc))
    write("engine_frames", "sequence", b"\x01" + frame(b"Q", b"") + frame(b"H", b"") +
          frame(b"L", b"1reloaded: 1 instance changed") + frame(b"S", b'{"instances": []}'))
    write("engine_frames", "bad_type", b"\x00" + frame(b"L", b"0error") + frame(b"X", b"junk"))
    status_seeds(status)


def status_seeds(status):
    """Reports as the checker and VRRP engines write them (compact, keys sorted) and the
    spellings only other writers use (space, escapes, unknown members, nesting)."""
    write("status_report", "engine", json.dumps(status, sort_keys=True, separators=(",", ":")).encode())
    full = dict(status, maintenance=True, events=18446744073709551615, lb_restorations={"audit": 1},
                conntrackd_commands={"commit": {"success": 1}}, bfd_dropped={"bad_version": 9},
                bfd_sessions=[{"name": "b1", "neighbor": "192.0.2.1", "multihop": True, "state": "Up",
                               "local_discriminator": 4294967295, "tx_interval_s": 0.3}],
                announce={"table": 200, "announced": ["10.0.0.10"], "held": {"10.0.0.11": "maintenance"},
                          "frr": True, "frr_peers": [{"address": "192.0.2.9", "remote_as": 65001,
                                                      "advertised": ["10.0.0.10/32"], "bfd": "up"}]},
                engines=[{"name": "check", "running": True, "pid": 1234, "retry_in_s": -1.0}],
                listeners=[{"name": "control", "accepted": 1, "max_connections": 64}])
    write("status_report", "full", json.dumps(full, sort_keys=True, separators=(",", ":")).encode())
    write("status_report", "spellings",
          b' {"version": "a\\u00e9\\ud83d\\ude00\\/", "x": [{"y": [null, true, -1.5e3]}, {}],'
          b' "pid": 1, "pid": 2, "instances": [{"vrid": 5, "vips": ["b"], "rejected": {"a\\"b": 1}}]} ')


def bfd_header(state, flags, mult, mine, yours, tx, rx, echo=0, diag=0, length=24) -> bytes:
    return struct.pack("!BBBBIIIII", 1 << 5 | diag, state << 6 | flags, mult, length, mine, yours, tx, rx, echo)


def bfd_seeds():
    ttl = bytes([255, 255, 0])
    write("bfd_packet", "down", ttl + bfd_header(1, 0, 3, 0x11, 0, 1000000, 300000))
    write("bfd_packet", "init", ttl + bfd_header(2, 0, 3, 0x11, 0x22, 1000000, 300000))
    write("bfd_packet", "up_poll", ttl + bfd_header(3, 0x20, 3, 0x11, 0x22, 300000, 300000))
    write("bfd_packet", "up_final", ttl + bfd_header(3, 0x10, 3, 0x11, 0x22, 300000, 300000, 50000))
    write("bfd_packet", "admin_down", ttl + bfd_header(0, 0, 3, 0x11, 0x22, 1000000, 0, diag=7))
    write("bfd_packet", "expired_demand", bytes([254, 255, 1]) + bfd_header(1, 0x02, 1, 0x11, 0, 1000000, 1000000, diag=1))
    write("bfd_packet", "auth_password",
          ttl + bfd_header(1, 0x04, 3, 0x11, 0, 1000000, 1000000, length=32) + bytes([1, 8, 1]) + b"abcde")


if __name__ == "__main__":
    bfd_seeds()
    vrrp_seeds()
    http_seeds()
    simple_seeds()
    tcp_seeds()
    control_seeds()
    frames_seeds()
