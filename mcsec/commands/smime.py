"""`mcsec smime`: seal and open protected SIP bodies for interop debugging.

    mcsec smime seal --key HEX --key-id HEX [IN] [-o OUT] [--mime] [--base64] [--stamp]
    mcsec smime open (--key HEX --key-id HEX | --key-log FILE) IN [-o OUT]
    mcsec smime peek IN

IN is a file path or `-` for stdin; `open` and `peek` accept DER, base64/PEM
or a MIME body (e.g. `openssl cms -encrypt ... -outform SMIME`); `open` also a
whole SIP message (its protected body, alone or in multipart/mixed) and, with
--key-log (the keys of `mcsec run --key-log`), a pcap file, whose protected
bodies it opens one after the other. Exit status: 0 done, 1 a body cannot be
opened, 2 bad arguments or unreadable files.
"""
from __future__ import annotations

import argparse
import binascii
import re
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

    open_ = sub.add_parser("open", help="open a protected body (or every one of a pcap), print its content")
    open_.add_argument("--key", metavar="HEX", help="CEK, 32 hex digits")
    open_.add_argument("--key-id", metavar="HEX", help="Key ID, hex")
    open_.add_argument("--key-log", metavar="FILE",
                       help="key log of `mcsec run --key-log` (or lines alike): the key of the Key ID the body "
                            "names is taken from it (docs/judge.md)")
    open_.add_argument("input", metavar="IN",
                       help="DER, base64 or MIME body, SIP message, or (with --key-log) pcap file; - for stdin")
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


_PCAP_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
_SIP_FIRST_LINE = re.compile(rb"\A(?:[A-Z]+ \S+ SIP/2\.0|SIP/2\.0 \d{3})")


def _keys(args: argparse.Namespace):
    """The key lookup of the command line: one key (--key, --key-id) or a key log."""
    if args.key_log:
        if args.key or args.key_id:
            raise _UsageError("give --key-log, or --key with --key-id, not both")
        from mcsec.fixtures.keylog import KeyLogError, read_key_log
        try:
            content = read_key_log(args.key_log)
        except KeyLogError as exc:
            raise _UsageError(f"--key-log {exc}") from None
        return {entry.key_id: entry.key for entry in content.keys}
    if not args.key or not args.key_id:
        raise _UsageError("give --key with --key-id, or --key-log")
    return {_hex_argument("--key-id", args.key_id): _hex_argument("--key", args.key, size=16)}


def _open_der(der: bytes, keys: dict[bytes, bytes]) -> bytes:
    return smime.open(der, key_lookup=keys.get).content


def _protected_der(data: bytes) -> bytes:
    """The CMS of a whole SIP message's protected body."""
    from mcsec.fixtures.wire.capture import WireMessage
    from mcsec.fixtures.wire.exposure import check_protection
    from mcsec.impl.sip import SipParseError, parse_message
    try:
        message = parse_message(data)
    except SipParseError as exc:
        raise _UsageError(f"IN is not a readable SIP message: {exc.status} {exc.reason}") from None
    check = check_protection(WireMessage(0.0, "", "", "", data, message))
    if not check.protected:
        raise smime.MalformedCms(f"the SIP message carries no protected body: {check.problem}")
    return check.der


def _open_capture(path: str, keys: dict[bytes, bytes], output: str) -> int:
    """Every protected body of a pcap, each after a line that places its message."""
    from mcsec.fixtures.wire.capture import read_pcap
    from mcsec.fixtures.wire.exposure import check_protection
    from mcsec.fixtures.wire.frames import PcapError
    try:
        messages = read_pcap(path)
    except PcapError as exc:
        raise _UsageError(str(exc)) from None
    out, opened, failed = [], 0, 0
    for m in messages:
        if m.message is None or not m.message.body:
            continue
        check = check_protection(m)
        if not check.protected:
            continue
        try:
            content = _open_der(check.der, keys)
        except smime.SmimeError as exc:
            failed += 1
            print(f"mcsec smime: cannot open the body of {m.describe()}: {exc} [{type(exc).__name__}]",
                  file=sys.stderr)
            continue
        opened += 1
        out.append(f"# {m.describe()}\n".encode() + content + b"\n")
    _write_output(output, b"".join(out))
    if not opened and not failed:
        print(f"mcsec smime: {path} holds no protected body", file=sys.stderr)
    return EXIT_REFUSED if failed or not opened else EXIT_OK


def _open(args: argparse.Namespace) -> int:
    try:
        keys = _keys(args)
        data = _read_input(args.input)
        if data[:4] in _PCAP_MAGICS:
            if args.input == "-":
                raise _UsageError("a capture is read from a file, not stdin")
            return _open_capture(args.input, keys, args.output)
        try:
            der = _protected_der(data) if _SIP_FIRST_LINE.match(data) else mime.load_any(data)
            content = _open_der(der, keys)
        except smime.UnknownKeyId as exc:
            known = ", ".join(k.hex() for k in keys) if len(keys) == 1 else "those of the key log"
            return _refused(f"body names Key ID {exc.key_id.hex()}, not {known}", exc)
        except smime.SmimeError as exc:
            return _refused(str(exc), exc)
        _write_output(args.output, content)
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
