"""How do you make a network partition on demand? Put a TCP proxy on the link and cut it.

Toxiproxy's idea in a few dozen lines: `cut()`, `heal()` and `latency_s` on one asyncio proxy.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from backing_services.local_processes import LOOPBACK

CHUNK = 65_536


class FaultProxy:
    """Forwards every connection to `upstream_port` until cut.

    >>> async with FaultProxy(upstream_port=6379) as proxy:   # connect to proxy.port instead
    ...     proxy.cut()     # every open connection drops, new ones are refused
    ...     proxy.heal()    # connections work again
    """

    def __init__(self, upstream_port: int, *, latency_s: float = 0.0) -> None:
        self.upstream_port = upstream_port
        self.latency_s = latency_s
        self.is_cut = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
        self._drop_all()
        # Closing a connection ends both of its pumps; wait for them so no task outlives us.
        await asyncio.gather(*self._handlers, return_exceptions=True)

    def cut(self) -> None:
        """Partition: like a firewall REJECT rule, both ends see their connection reset now."""
        self.is_cut = True
        self._drop_all()

    def heal(self) -> None:
        self.is_cut = False

    def _drop_all(self) -> None:
        for writer in list(self._open):
            writer.close()
        self._open.clear()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self.is_cut:
            client_w.close()
            return
        try:
            upstream_r, upstream_w = await asyncio.open_connection(LOOPBACK, self.upstream_port)
        except OSError:
            client_w.close()
            return
        self._open |= {client_w, upstream_w}
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        handler.add_done_callback(self._handlers.discard)
        # Either direction ending (EOF, reset, or cut) ends both, as a broken link would.
        await asyncio.gather(
            self._pump(client_r, upstream_w, client_w), self._pump(upstream_r, client_w, upstream_w)
        )

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        source_w: asyncio.StreamWriter,
    ) -> None:
        """Copy one direction; each chunk leaves `latency_s` after it arrived, like a long cable.

        Reading and delivering are separate tasks, so a delay never slows the reading side down.
        """
        loop = asyncio.get_running_loop()
        cable: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        delivering = asyncio.create_task(self._deliver(cable, sink))
        try:
            while data := await source.read(CHUNK):
                cable.put_nowait((loop.time() + self.latency_s, data))
        except (ConnectionError, OSError):
            pass
        finally:
            cable.put_nowait((loop.time() + self.latency_s, b""))  # the end travels the cable too
            await delivering
            for writer in (sink, source_w):
                writer.close()
                self._open.discard(writer)

    async def _deliver(
        self, cable: asyncio.Queue[tuple[float, bytes]], sink: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                due, data = await cable.get()
                if not data:
                    return
                await asyncio.sleep(max(0.0, due - loop.time()))
                if self.is_cut:
                    return  # bytes in flight when the cable is cut are lost, not delivered late
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            return
