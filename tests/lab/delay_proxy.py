#!/usr/bin/env python3
"""A delay line for the lab: TCP proxies that hold every chunk for a fixed time in each
direction, so a builder behind one is a builder far away (this kernel has no netem).

    delay_proxy.py --one-way-ms 25 --seconds 600 LISTEN=TARGET [LISTEN=TARGET ...]

LISTEN and TARGET are ADDRESS:PORT on loopback (127.0.0.0/8); a round trip through the proxy
gains twice --one-way-ms. Chunks keep their order; each direction queues at most 64 chunks of at
most 64 KiB (then the proxy stops reading: the sender sees TCP back-pressure), at most 256
connections are open at once, and the whole process ends after --seconds. Prints
"listening on ..." once every listener is up.
"""
import argparse
import asyncio
import ipaddress
import sys

CHUNK = 64 * 1024
QUEUED_CHUNKS = 64
MAX_CONNECTIONS = 256


def endpoint(text: str):
    host, _, port = text.rpartition(":")
    if ipaddress.ip_address(host) not in ipaddress.ip_network("127.0.0.0/8"):
        raise argparse.ArgumentTypeError(f"{text}: only loopback addresses (127.0.0.0/8)")
    return host, int(port)


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUED_CHUNKS)

    async def receive():
        while True:
            try:
                data = await reader.read(CHUNK)
            except OSError:
                data = b""
            await queue.put((loop.time() + delay, data))
            if not data:
                return

    async def deliver():
        while True:
            release, data = await queue.get()
            wait = release - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(data)
            await writer.drain()

    receiving = asyncio.ensure_future(receive())
    try:
        await deliver()
    finally:
        receiving.cancel()


class Proxy:
    def __init__(self, target, delay: float):
        self.target = target
        self.delay = delay
        self.open = 0

    async def handle(self, down_reader, down_writer) -> None:
        if self.open >= MAX_CONNECTIONS:
            down_writer.close()
            return
        self.open += 1
        up_writer = None
        try:
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(*self.target), 5)
            await asyncio.gather(pump(down_reader, up_writer, self.delay), pump(up_reader, down_writer, self.delay),
                                 return_exceptions=True)
        except (OSError, asyncio.TimeoutError):
            pass
        finally:
            self.open -= 1
            for w in (down_writer, up_writer):
                if w is not None:
                    w.close()


async def main_async(args) -> None:
    servers = []
    for spec in args.map:
        listen, _, target = spec.partition("=")
        proxy = Proxy(endpoint(target), args.one_way_ms / 1000)
        host, port = endpoint(listen)
        servers.append(await asyncio.start_server(proxy.handle, host, port, reuse_address=True))
    print("listening on " + " ".join(s.partition("=")[0] for s in args.map), flush=True)
    await asyncio.sleep(args.seconds)
    for s in servers:
        s.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--one-way-ms", type=float, required=True)
    p.add_argument("--seconds", type=float, default=600)
    p.add_argument("map", nargs="+", help="LISTEN=TARGET, each ADDRESS:PORT on loopback")
    args = p.parse_args()
    for spec in args.map:
        if "=" not in spec:
            p.error(f"{spec}: expected LISTEN=TARGET")
        try:
            endpoint(spec.partition("=")[0])
            endpoint(spec.partition("=")[2])
        except (ValueError, argparse.ArgumentTypeError) as e:
            p.error(str(e))
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
