"""`mcsec smime`: seal and open protected SIP bodies for interop debugging.

    mcsec smime seal --key HEX --key-id HEX [IN] [-o OUT] [--mime] [--base64] [--stamp]
    mcsec smime open --key HEX --key-id HEX IN [-o OUT]
    mcsec smime peek IN

IN is a file path or `-` for stdin; `open` and `peek` accept DER, base64/PEM
or a MIME body (e.g. `openssl cms -encrypt ... -outform SMIME`). Exit status:
0 done, 1 the body cannot be opened, 2 bad arguments or unreadable files.
"""
from __future__ import annotations

import argparse
import binascii
import sys
from pathlib import Path

from mcsec.impl import smime
from mcsec.impl.smime import mime

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


class _UsageError(Exception):
    pass


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "smime",
        help="seal/open S/MIME (CMS AuthEnvelopedData, KEK recipient) SIP bodies",
        description="Seal and open protected SIP bodies: CMS AuthEnvelopedData with "
        "AES-128-GCM and one KEKRecipientInfo (the CEK wraps the content key).",
    )
    sub = parser.add_subparsers(dest="smime_command", metavar="SUBCOMMAND")
    sub.required = True

    seal = sub.add_parser("seal", help="protect a content, write the DER CMS (or a MIME body)")
    _key_arguments(seal)
    seal.add_argument("input", nargs="?", default="-", metavar="IN", help="content file, - for stdin")
    seal.add_argument("-o", "--output", default="-", metavar="OUT", help="output file, - for stdout")
    seal.add_argument("--mime", action="store_true", help="write a MIME body with its headers")
    seal.add_argument("--base64", action="store_true", help="base64 body (with --mime: CTE base64)")
    seal.add_argument("--stamp", action="store_true", help="add a replay stamp (authAttrs)")
    seal.set_defaults(func=_seal)

    open_ = sub.add_parser("open", help="open a protected body, print its content")
    _key_arguments(open_)
    open_.add_argument("input", metavar="IN", help="DER, base64 or MIME body file, - for stdin")
    open_.add_argument("-o", "--output", default="-", metavar="OUT", help="output file, - for stdout")
    open_.set_defaults(func=_open)

    peek = sub.add_parser("peek", help="print the Key ID of a protected body")
    peek.add_argument("input", metavar="IN", help="DER, base64 or MIME body file, - for stdin")
    peek.set_defaults(func=_peek)


def _key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", required=True, metavar="HEX", help="CEK, 32 hex digits")
    parser.add_argument("--key-id", required=True, metavar="HEX", help="Key ID, hex")


def _fail_usage(message: str) -> int:
    print(f"mcsec smime: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _hex_argument(name: str, text: str, *, size: int | None = None) -> bytes:
    # The message never repeats the value: it may be a key.
    cleaned = text.strip().replace(":", "")
    try:
        value = binascii.unhexlify(cleaned)
    except (binascii.Error, ValueError):
        raise _UsageError(f"{name} is not hexadecimal") from None
    if size is not None and len(value) != size:
        raise _UsageError(f"{name} must be {size} octets ({2 * size} hex digits), got {len(value)}")
    if not value:
        raise _UsageError(f"{name} must not be empty")
    return value


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _UsageError(f"cannot read {path}: {exc.strerror}") from None


def _write_output(path: str, data: bytes) -> None:
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise _UsageError(f"cannot write {path}: {exc.strerror}") from None


def _seal(args: argparse.Namespace) -> int:
    try:
        cek = _hex_argument("--key", args.key, size=16)
        key_id = _hex_argument("--key-id", args.key_id)
        content = _read_input(args.input)
        stamp = smime.ReplayStamp.new() if args.stamp else None
        der = smime.seal(content, cek=cek, key_id=key_id, replay_stamp=stamp)
        if args.mime:
            data = mime.wrap(der, base64_body=args.base64).to_bytes()
        elif args.base64:
            data = mime.encode_base64(der)
        else:
            data = der
        _write_output(args.output, data)
    except _UsageError as exc:
        return _fail_usage(str(exc))
    return EXIT_OK


def _open(args: argparse.Namespace) -> int:
    try:
        cek = _hex_argument("--key", args.key, size=16)
        key_id = _hex_argument("--key-id", args.key_id)
        data = _read_input(args.input)
        try:
            opened = smime.open(mime.load_any(data), key_lookup={key_id: cek}.get)
        except smime.UnknownKeyId as exc:
            return _refused(f"body names Key ID {exc.key_id.hex()}, not {key_id.hex()}", exc)
        except smime.SmimeError as exc:
            return _refused(str(exc), exc)
        _write_output(args.output, opened.content)
    except _UsageError as exc:
        return _fail_usage(str(exc))
    return EXIT_OK


def _peek(args: argparse.Namespace) -> int:
    try:
        data = _read_input(args.input)
        try:
            key_id = smime.peek_key_id(mime.load_any(data))
        except smime.SmimeError as exc:
            return _refused(str(exc), exc)
        print(key_id.hex())
    except _UsageError as exc:
        return _fail_usage(str(exc))
    return EXIT_OK


def _refused(message: str, exc: smime.SmimeError) -> int:
    print(
        f"mcsec smime: cannot open body: {message} "
        f"[{type(exc).__name__}, SIP {exc.sip_status} {exc.sip_reason}]",
        file=sys.stderr,
    )
    return EXIT_REFUSED
