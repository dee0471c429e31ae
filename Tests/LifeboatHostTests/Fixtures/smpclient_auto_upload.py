"""Upload an image with smpclient's automatic fragmentation and report the message sizes used.

usage: python smpclient_auto_upload.py PORT IMAGE
Prints one JSON object: the transport's negotiated max message size, the largest and smallest
upload request sent, the request count, and the final offset.
"""
import asyncio
import json
import sys

from smpclient import SMPClient
from smpclient.transport.serial import SMPSerialTransport


async def main(port: str, path: str) -> None:
    image = open(path, "rb").read()
    transport = SMPSerialTransport()  # default fragmentation strategy: Auto() (reads MCUmgr params)
    sizes: list[int] = []
    original_send = transport.send

    async def counting_send(data: bytes) -> None:
        sizes.append(len(data))
        await original_send(data)

    transport.send = counting_send  # type: ignore[method-assign]
    client = SMPClient(transport, port)
    await client.connect()
    negotiated = transport.max_unencoded_size
    sizes.clear()
    offset = 0
    async for offset in client.upload(image):
        pass
    await client.disconnect()
    print(json.dumps({
        "max_unencoded_size": negotiated,
        "largest_request": max(sizes),
        "requests": len(sizes),
        "final_offset": offset,
        "image_size": len(image),
    }))


asyncio.run(main(sys.argv[1], sys.argv[2]))
