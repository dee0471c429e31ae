"""Talk to a board over smpclient's raw serial transport: echo, upload an image, list images.

usage: python smpclient_raw_upload.py PORT IMAGE raw|cobs [MTU]
`raw` is SMPSerialRawTransport() (MCUboot's CONFIG_BOOT_SERIAL_RAW_PROTOCOL); `cobs` is
SMPSerialRawTransport(framing=Cobs()). Prints one JSON object: the echo reply, the request
count and largest request of the upload, its final offset, and the hashes of the listed images.
"""
import asyncio
import json
import sys

from smp import image_management as smpimg
from smp import os_management as smpos
from smpclient import SMPClient
from smpclient.generics import success
from smpclient.requests.image_management import ImageStatesRead
from smpclient.requests.os_management import EchoWrite
from smpclient.transport.serial import Cobs, SMPSerialRawTransport


async def main(port: str, path: str, framing: str, mtu: int) -> None:
    image = open(path, "rb").read()
    transport = SMPSerialRawTransport(mtu=mtu, framing=Cobs() if framing == "cobs" else None)
    sizes: list[int] = []
    original_send = transport.send

    async def counting_send(data: bytes) -> None:
        sizes.append(len(data))
        await original_send(data)

    transport.send = counting_send  # type: ignore[method-assign]
    client = SMPClient(transport, port)
    await client.connect()
    echo = await client.request(EchoWrite(d="raw hello"))
    if not success(echo):
        raise SystemExit(f"echo failed: {echo}")
    sizes.clear()
    offset = 0
    async for offset in client.upload(image):
        pass
    requests, largest = len(sizes), max(sizes)
    states = await client.request(ImageStatesRead())
    if not success(states):
        raise SystemExit(f"state read failed: {states}")
    await client.disconnect()
    print(json.dumps({
        "echo": echo.r,
        "requests": requests,
        "largest_request": largest,
        "final_offset": offset,
        "image_size": len(image),
        "hashes": [s.hash.hex() for s in states.images],
    }))


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 384))
