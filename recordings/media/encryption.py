"""Encrypted recordings: the media is sealed for an account's RSA public key before it is stored.

Every recording gets a fresh random AES-256 key. The media is encrypted with AES-256-GCM in
chunks, and the AES key is wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256) under the account's
public key (a ``PublicKey``, CR…). Only the holder of the private key can unwrap it, so Roomvault
itself cannot read the media once it is stored. Both directions stream: at most one chunk of
plaintext is ever in memory.

File format ("RVENC1"), all integers big-endian::

    magic        6 bytes   b"RVENC1"
    header_len   4 bytes   uint32, length of the header that follows (at most 64 KiB)
    header       JSON, UTF-8:
                 {"v": 1, "alg": "A256GCM", "wrap": "RSA-OAEP-256", "key_sid": "CR…",
                  "wrapped_key": "<base64 of the RSA-OAEP ciphertext of the 32-byte AES key>",
                  "chunk": N}            # N: plaintext bytes per segment (the last may be fewer)
    segments     one or more, in order:
                 flags       1 byte    1 on the last segment, else 0
                 length      4 bytes   uint32, ciphertext length (plaintext length + 16)
                 nonce       12 bytes  random, fresh for each segment
                 ciphertext  `length` bytes: AES-256-GCM output, the 16-byte tag at its end

Each segment's GCM additional data is ``SHA-256(magic || header_len || header) || uint64 index
|| flags``: it binds every segment to this header (so the key SID and chunk size cannot be
swapped), to its position (no reordering or dropping) and marks the end (no truncation: a file
whose last segment lacks the flag is rejected). An empty recording is one empty, final segment.

To decrypt: read the header, RSA-OAEP-unwrap ``wrapped_key`` with the private key, then decrypt
each segment with its nonce and additional data, in order, until the final one. The management
command ``decrypt_recording`` does exactly this (``--key private.pem --in FILE --out FILE``).
"""

import base64
import hashlib
import io
import json
import os
import struct
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"RVENC1"
VERSION = 1
ALG = "A256GCM"
WRAP = "RSA-OAEP-256"
DEFAULT_CHUNK = 1024 * 1024
MAX_CHUNK = 16 * 1024 * 1024
MAX_HEADER = 64 * 1024
NONCE_SIZE = 12
TAG_SIZE = 16
MIN_RSA_BITS = 2048
_SEGMENT_HEAD = struct.Struct(">BI")  # flags, ciphertext length
_FINAL = 1


class InvalidPublicKey(ValueError):
    """The PEM is not an RSA public key Roomvault can encrypt for."""


class DecryptionError(Exception):
    """The file is not an RVENC1 file, was altered, or is not for this private key."""


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def load_public_key(pem: str | bytes) -> rsa.RSAPublicKey:
    """Return the RSA public key of a PEM, or raise InvalidPublicKey."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise InvalidPublicKey("must be a PEM-encoded public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidPublicKey("must be an RSA public key")
    if key.key_size < MIN_RSA_BITS:
        raise InvalidPublicKey(f"must be an RSA key of at least {MIN_RSA_BITS} bits")
    return key


def load_private_key(pem: bytes, password: bytes | None = None) -> rsa.RSAPrivateKey:
    """Return the RSA private key of a PEM, or raise DecryptionError."""
    try:
        key = serialization.load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as exc:
        raise DecryptionError(f"cannot read the private key: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DecryptionError("the private key is not an RSA key")
    return key


def _aad(header_digest: bytes, index: int, flags: int) -> bytes:
    return header_digest + struct.pack(">QB", index, flags)


class EncryptingReader(io.RawIOBase):
    """A read-only stream of the RVENC1 encryption of ``source``, produced chunk by chunk.

    Give it to a media store's ``save`` in place of the plaintext stream.
    """

    def __init__(
        self, source: BinaryIO, *, public_key_pem: str, key_sid: str, chunk: int = DEFAULT_CHUNK
    ):
        if not 1 <= chunk <= MAX_CHUNK:
            raise ValueError("chunk out of range")
        key = AESGCM.generate_key(bit_length=256)
        wrapped = load_public_key(public_key_pem).encrypt(key, _oaep())
        header = json.dumps(
            {
                "v": VERSION,
                "alg": ALG,
                "wrap": WRAP,
                "key_sid": key_sid,
                "wrapped_key": base64.b64encode(wrapped).decode(),
                "chunk": chunk,
            },
            separators=(",", ":"),
        ).encode()
        preamble = MAGIC + struct.pack(">I", len(header)) + header
        self._source = source
        self._aes = AESGCM(key)
        self._digest = hashlib.sha256(preamble).digest()
        self._chunk = chunk
        self._index = 0
        self._buffer = bytearray(preamble)
        self._pending = self._read_chunk()  # one chunk of look-ahead, to know which is last
        self._done = False

    def _read_chunk(self) -> bytes:
        parts, wanted = [], self._chunk
        while wanted:
            data = self._source.read(wanted)
            if not data:
                break
            parts.append(data)
            wanted -= len(data)
        return b"".join(parts)

    def _next_segment(self) -> None:
        plain = self._pending
        following = self._read_chunk() if len(plain) == self._chunk else b""
        flags = 0 if following else _FINAL
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._aes.encrypt(nonce, plain, _aad(self._digest, self._index, flags))
        self._buffer += _SEGMENT_HEAD.pack(flags, len(sealed)) + nonce + sealed
        self._index += 1
        self._pending = following
        self._done = flags == _FINAL

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:  # a memoryview; typeshed's Buffer has no len()
        while len(self._buffer) < len(buffer) and not self._done:
            self._next_segment()
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        del self._buffer[:size]
        return size

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        return super().read(size)


def encrypt_stream(
    source: BinaryIO, *, public_key_pem: str, key_sid: str, chunk: int = DEFAULT_CHUNK
) -> BinaryIO:
    """Return a buffered stream of the RVENC1 encryption of ``source``."""
    return io.BufferedReader(
        EncryptingReader(source, public_key_pem=public_key_pem, key_sid=key_sid, chunk=chunk),
        buffer_size=chunk + 64,
    )


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    parts, wanted = [], size
    while wanted:
        data = stream.read(wanted)
        if not data:
            raise DecryptionError("the file is truncated")
        parts.append(data)
        wanted -= len(data)
    return b"".join(parts)


def read_header(stream: BinaryIO) -> tuple[dict, bytes]:
    """Read an RVENC1 preamble; return its header and the SHA-256 of the preamble."""
    magic = stream.read(len(MAGIC))
    if magic != MAGIC:
        raise DecryptionError("not an RVENC1 file")
    raw_length = _read_exact(stream, 4)
    (length,) = struct.unpack(">I", raw_length)
    if not 0 < length <= MAX_HEADER:
        raise DecryptionError("bad header length")
    raw = _read_exact(stream, length)
    try:
        header = json.loads(raw)
    except ValueError as exc:
        raise DecryptionError("the header is not JSON") from exc
    if not isinstance(header, dict) or (header.get("v"), header.get("alg"), header.get("wrap")) != (
        VERSION,
        ALG,
        WRAP,
    ):
        raise DecryptionError("unsupported RVENC1 header")
    chunk = header.get("chunk")
    if not isinstance(chunk, int) or not 1 <= chunk <= MAX_CHUNK:
        raise DecryptionError("bad chunk size in the header")
    return header, hashlib.sha256(magic + raw_length + raw).digest()


def decrypt_stream(source: BinaryIO, destination: BinaryIO, private_key: rsa.RSAPrivateKey) -> int:
    """Decrypt an RVENC1 stream into ``destination``; return the plaintext size.

    Raises DecryptionError if anything is wrong. Segments are written as each one verifies, so
    on an error ``destination`` may hold a verified prefix: write to a temporary file and keep it
    only on success (the command does).
    """
    header, digest = read_header(source)
    try:
        wrapped = base64.b64decode(header["wrapped_key"], validate=True)
        key = private_key.decrypt(wrapped, _oaep())
    except (KeyError, TypeError, ValueError) as exc:
        raise DecryptionError("cannot unwrap the key: wrong private key or altered file") from exc
    if len(key) != 32:
        raise DecryptionError("the wrapped key is not an AES-256 key")
    aes = AESGCM(key)
    limit = header["chunk"] + TAG_SIZE
    index = total = 0
    while True:
        head = source.read(_SEGMENT_HEAD.size)
        if not head:
            raise DecryptionError("the file is truncated (no final segment)")
        if len(head) < _SEGMENT_HEAD.size:
            head += _read_exact(source, _SEGMENT_HEAD.size - len(head))
        flags, length = _SEGMENT_HEAD.unpack(head)
        if flags not in (0, _FINAL) or not TAG_SIZE <= length <= limit:
            raise DecryptionError(f"bad segment {index}")
        nonce = _read_exact(source, NONCE_SIZE)
        sealed = _read_exact(source, length)
        try:
            plain = aes.decrypt(nonce, sealed, _aad(digest, index, flags))
        except InvalidTag as exc:
            raise DecryptionError(f"segment {index} fails authentication") from exc
        destination.write(plain)
        total += len(plain)
        index += 1
        if flags == _FINAL:
            break
    if source.read(1):
        raise DecryptionError("data after the final segment")
    return total
