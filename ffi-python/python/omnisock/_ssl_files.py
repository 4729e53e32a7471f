"""Which PEM files an ``ssl.SSLContext`` was loaded from.

The Rust core does its own TLS (rustls) and cannot read keys or trust anchors back out of an
OpenSSL context. So that ``serve(ssl=context)`` and ``connect(ssl=context)`` work as in
websockets, ``SSLContext.load_cert_chain`` and ``SSLContext.load_verify_locations`` are
wrapped once, when omnisock is imported: each wrapper calls the original unchanged and
remembers, per context (weakly), the chain's file names and the trusted certificates
(nothing else about the context is touched). Chains loaded before omnisock was imported,
with a password, or from memory are not covered (``omnisock.server_ssl_context(certfile,
keyfile)`` or a ``(certfile, keyfile)`` pair always works); ``capath`` directories are not
read (the CA certificates OpenSSL reports, ``get_ca_certs()``, still are).
"""

from __future__ import annotations

import os
import re
import ssl
import weakref
from typing import Any, List, Optional, Tuple

_chains: "weakref.WeakKeyDictionary[ssl.SSLContext, Tuple[str, str]]" = weakref.WeakKeyDictionary()
_anchors: "weakref.WeakKeyDictionary[ssl.SSLContext, List[str]]" = weakref.WeakKeyDictionary()
_original = ssl.SSLContext.load_cert_chain
_original_verify = ssl.SSLContext.load_verify_locations
_PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def _path(p: Any) -> str:
    return os.fsdecode(os.fspath(p))


def _load_cert_chain(self: ssl.SSLContext, certfile: Any, keyfile: Any = None, password: Any = None) -> None:
    _original(self, certfile, keyfile, password)
    if password is None:
        cert = _path(certfile)
        _chains[self] = (cert, _path(keyfile) if keyfile is not None else cert)
    else:
        _chains.pop(self, None)


def _load_verify_locations(self: ssl.SSLContext, cafile: Any = None, capath: Any = None, cadata: Any = None) -> None:
    _original_verify(self, cafile, capath, cadata)
    pems = _anchors.setdefault(self, [])
    if cafile is not None:
        try:
            with open(cafile, "rb") as f:
                pems.extend(_PEM_CERT.findall(f.read().decode("ascii", "replace")))
        except OSError:
            pass
    if isinstance(cadata, str):
        pems.extend(_PEM_CERT.findall(cadata))
    elif isinstance(cadata, (bytes, bytearray, memoryview)):
        try:
            pems.append(ssl.DER_cert_to_PEM_cert(bytes(cadata)))
        except Exception:
            pass


def install() -> None:
    """Wraps ``load_cert_chain`` and ``load_verify_locations`` of ``ssl.SSLContext`` (once)."""
    if ssl.SSLContext.load_cert_chain is not _load_cert_chain:
        ssl.SSLContext.load_cert_chain = _load_cert_chain  # type: ignore[method-assign]
    if ssl.SSLContext.load_verify_locations is not _load_verify_locations:
        ssl.SSLContext.load_verify_locations = _load_verify_locations  # type: ignore[method-assign]


def trusted_pem(ctx: ssl.SSLContext) -> str:
    """The certificates this context trusts beyond the defaults, as PEM: those loaded with
    ``load_verify_locations`` (CA or not: a self-signed server certificate is a trust anchor
    too) and the CA certificates OpenSSL reports."""
    pems = list(_anchors.get(ctx, []))
    pems.extend(ssl.DER_cert_to_PEM_cert(d) for d in ctx.get_ca_certs(binary_form=True))
    seen = set()
    out = []
    for p in pems:
        key = "".join(p.split())
        if key not in seen:
            seen.add(key)
            out.append(p.strip() + "\n")
    return "".join(out)


def cert_chain(ctx: ssl.SSLContext) -> Optional[Tuple[str, str]]:
    """``(certfile, keyfile)`` recorded for this context, if its chain came from files."""
    return _chains.get(ctx)
