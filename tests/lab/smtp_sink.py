"""A tiny SMTP sink for the lab: accepts every mail and appends one JSON line per connection
to a file: the commands in order (HELO, MAIL FROM, RCPT TO... as sent) and the DATA text.

Run inside a lab namespace only: ``python3 smtp_sink.py ADDRESS PORT OUTFILE``.
"""

from __future__ import annotations

import asyncio
import json
import sys


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, out: str) -> None:
    record: dict = {"commands": [], "data": None}
    writer.write(b"220 sink ESMTP\r\n")
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            record["commands"].append(text)
            verb = text.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb == "DATA":
                writer.write(b"354 end with .\r\n")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                record["data"] = data.decode("utf-8", "replace")
                writer.write(b"250 queued\r\n")
            elif verb == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        with open(out, "a") as f:
            f.write(json.dumps(record) + "\n")
        writer.close()


async def main(address: str, port: int, out: str) -> None:
    server = await asyncio.start_server(lambda r, w: serve(r, w, out), address, port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
