"""CMS CompressedData (RFC 3274, zlib) for AS2 1.1+ compression (RFC 5402).

`cryptography` has no CompressedData; the structure is asn1crypto's and the compression the
standard library's zlib — there is no cryptography in it.
"""

from __future__ import annotations

import zlib

from asn1crypto import cms as asn1_cms

from pohub.edi.as2.errors import DecompressionFailed

# A decompressed entity larger than this is refused: a few kilobytes of zlib can expand to gigabytes.
MAX_DECOMPRESSED = 512 * 1024 * 1024


def compress(content: bytes) -> bytes:
    compressed = asn1_cms.CompressedData(
        {
            "version": "v0",
            "compression_algorithm": {"algorithm": "zlib"},
            "encap_content_info": {"content_type": "data", "content": zlib.compress(content)},
        }
    )
    return bytes(asn1_cms.ContentInfo({"content_type": "compressed_data", "content": compressed}).dump())


def decompress(der: bytes, limit: int = MAX_DECOMPRESSED) -> bytes:
    try:
        info = asn1_cms.ContentInfo.load(der)
        if info["content_type"].native != "compressed_data":
            raise DecompressionFailed(f"expected compressed-data, found {info['content_type'].native}")
        inner = info["content"]
        algorithm = inner["compression_algorithm"]["algorithm"].native
        if algorithm != "zlib":
            raise DecompressionFailed(f"unsupported compression algorithm {algorithm}")
        data = inner["encap_content_info"]["content"].native
    except (ValueError, TypeError, KeyError) as exc:
        raise DecompressionFailed(f"not CMS CompressedData: {exc}") from exc
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(bytes(data), limit + 1)
    except zlib.error as exc:
        raise DecompressionFailed(f"zlib: {exc}") from exc
    if len(out) > limit:
        raise DecompressionFailed(f"decompressed content exceeds {limit} bytes")
    return out
