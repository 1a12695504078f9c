"""A real HTTP listener on 127.0.0.1 that records every request: the place SSRF must never reach."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class Listener:
    port: int
    answer: bytes
    heads: list[str] = field(default_factory=list)

    def url(self, host: str = "127.0.0.1", path: str = "/status") -> str:
        return f"http://{host}:{self.port}{path}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        self.heads.append(head)
        for line in head.split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                await reader.readexactly(int(value))
        writer.write(self.answer)
        await writer.drain()
        writer.close()


@asynccontextmanager
async def loopback_listener(
    status: str = "204 No Content", extra_headers: str = ""
) -> AsyncIterator[Listener]:
    """Listen on a free loopback port; answer every request with `status` and close."""
    answer = f"HTTP/1.1 {status}\r\n{extra_headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
    listener = Listener(port=0, answer=answer.encode("latin-1"))
    server = await asyncio.start_server(listener.handle, "127.0.0.1", 0)
    listener.port = int(server.sockets[0].getsockname()[1])
    async with server:
        yield listener
