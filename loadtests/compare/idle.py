#!/usr/bin/env python3
"""Idle keep-alive connections for loadtests/compare.sh --idle: opens N connections to HOST:PORT, sends one GET on
each and reads its whole answer, then holds them all open, idle, and prints "ready N" on stdout. It closes them and exits
when its stdin closes, or after HOLD seconds at the most.

usage: idle.py HOST PORT N HOLD
"""
import asyncio, sys

HOST, PORT, COUNT, HOLD = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
REQUEST = f"GET / HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()


async def open_one(writers, failures):
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, PORT), 10)
        writer.write(REQUEST)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if length:
            await asyncio.wait_for(reader.readexactly(length), 10)
        if not head.startswith(b"HTTP/1.1 200"):
            failures.append(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        writers.append(writer)
    except Exception as e:  # counted, not fatal: the report says how many connections were held
        failures.append(repr(e))


async def main():
    writers, failures = [], []
    for start in range(0, COUNT, 500):
        await asyncio.gather(*(open_one(writers, failures) for _ in range(min(500, COUNT - start))))
    print(f"ready {len(writers)} {len(failures)} {failures[0] if failures else ''}", flush=True)
    loop = asyncio.get_running_loop()
    done = loop.run_in_executor(None, sys.stdin.read)
    try:
        await asyncio.wait_for(done, HOLD)
    except asyncio.TimeoutError:
        pass
    for w in writers:
        w.close()


asyncio.run(main())
