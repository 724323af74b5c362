#!/usr/bin/env python3
"""Test traffic for the NAT end-to-end checks.

  peer.py serve NAME ADDR PORT        TCP and UDP on ADDR:PORT; each answer is
                                      "NAME PEER_IP:PEER_PORT" (what the server saw)
  peer.py tcp DST PORT SRC... [--per N]  N connections from each SRC address; prints one
                                      line per connection: "SRC:SPORT NAME PEER" or "SRC:SPORT -"
  peer.py udp DST PORT SRC:SPORT [--count N]  N datagrams of one flow; prints one line per
                                      answer, "-" for a missing one
"""
import socket
import sys
import threading


def serve(name, addr, port):
    def tcp():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(128)
        while True:
            c, peer = s.accept()
            try:
                c.sendall(f"{name} {peer[0]}:{peer[1]}\n".encode())
            finally:
                c.close()

    def udp():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, port))
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(f"{name} {peer[0]}:{peer[1]}\n".encode(), peer)

    threading.Thread(target=udp, daemon=True).start()
    tcp()


def tcp_clients(dst, port, sources, per):
    for src in sources:
        for _ in range(per):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(3)
            s.bind((src, 0))
            sport = s.getsockname()[1]
            try:
                s.connect((dst, port))
                line = s.makefile().readline().strip()
                print(f"{src}:{sport} {line or '-'}")
            except OSError:
                print(f"{src}:{sport} -")
            finally:
                s.close()


def udp_flow(dst, port, src, count):
    ip, sport = src.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    s.bind((ip, int(sport)))
    for i in range(count):
        s.sendto(f"{i}".encode(), (dst, port))
        try:
            data, _ = s.recvfrom(2048)
            print(data.decode().strip())
        except OSError:
            print("-")


def main(argv):
    cmd = argv[1]
    if cmd == "serve":
        serve(argv[2], argv[3], int(argv[4]))
    elif cmd == "tcp":
        args = argv[4:]
        per = 1
        if "--per" in args:
            i = args.index("--per")
            per = int(args[i + 1])
            args = args[:i] + args[i + 2:]
        tcp_clients(argv[2], int(argv[3]), args, per)
    elif cmd == "udp":
        count = 3
        if len(argv) > 6 and argv[5] == "--count":
            count = int(argv[6])
        udp_flow(argv[2], int(argv[3]), argv[4], count)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
