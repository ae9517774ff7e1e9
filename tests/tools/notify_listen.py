#!/usr/bin/env python3
"""Plays systemd's side of the notify protocol for tests: binds a Unix datagram socket and
appends each message it receives to a file as one line, "<CLOCK_MONOTONIC seconds> <fields>",
the message's newlines turned into spaces. Runs until killed.

usage: notify_listen.py SOCKET OUTPUT_FILE   (SOCKET: a path, or @name for an abstract socket)"""
import os
import socket
import sys
import time


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    path, out_path = sys.argv[1], sys.argv[2]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if path.startswith("@"):
        sock.bind("\0" + path[1:])
    else:
        if os.path.exists(path):
            os.unlink(path)
        sock.bind(path)
    with open(out_path, "a", buffering=1) as out:
        out.write("%.6f LISTENING\n" % time.monotonic())
        while True:
            data = sock.recv(4096)
            text = data.decode("utf-8", "replace").strip().replace("\n", " ")
            out.write("%.6f %s\n" % (time.monotonic(), text))


if __name__ == "__main__":
    sys.exit(main())
