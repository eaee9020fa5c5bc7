"""Structure-aware mutations of valid messages, shared by the atheris harnesses and the in-suite
hypothesis tests.

Every mutator is ``mutate(data, rng) -> bytes`` with ``rng`` a :class:`random.Random`: atheris
passes one seeded by libFuzzer, hypothesis one drawn with ``st.randoms()``, so both drivers apply
the same mutations. The mutators know just enough of each format to break it where decoders are
fragile: bytes (flips, truncation, splices, repeats), DER (tags, lengths, nesting), header lines
(duplication, folding, line ends), XML (elements, text, nesting, encodings) and MIKEY (next-payload
octets and length fields).
"""
from __future__ import annotations

import copy
import random
from collections.abc import Callable, Sequence

from lxml import etree

Mutator = Callable[[bytes, random.Random], bytes]

#: Values that sit on the edges of typical checks: empty, huge, signed, non-ASCII digits, controls.
EDGE_TEXT = [
    "", " ", "0", "-1", "+1", "1e309", "nan", "inf", "99999999999999999999999999", "4294967296",
    "²", "١٢٣", "\u00a0", "\t", "\x00", "\x7f", "\ufffd", "\ud800", "%", "%zz", ";", ",", "=", '"',
    "\\", "<", ">", "[", "]", "::1", "[::1]", "a" * 300, "Z", "T", "2024-02-30T25:61:61Z",
    "-0001-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "2024-01-01T24:00:00Z",
    "2024-01-01T00:00:00.1234567890Z", "2024-01-01T00:00:00+14:00", "2024-01-01T00:00:00-14:59",
]


def _pick_seed(seeds: Sequence[bytes], rng: random.Random) -> bytes:
    return seeds[rng.randrange(len(seeds))] if seeds else b""


# --- bytes --------------------------------------------------------------------------------------

def byte_mutation(data: bytes, rng: random.Random, tokens: Sequence[bytes] = (),
                  others: Sequence[bytes] = ()) -> bytes:
    """One to four byte-level edits: bit flips, byte sets, inserts of tokens, deletes, repeats,
    truncation and splices with another seed."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(9)
        position = rng.randint(0, len(out))
        if kind == 0 and out:
            index = rng.randrange(len(out))
            out[index] ^= 1 << rng.randrange(8)
        elif kind == 1 and out:
            out[rng.randrange(len(out))] = rng.choice([0x00, 0x0A, 0x0D, 0x20, 0x22, 0x30, 0x3A, 0x3B,
                                                        0x7F, 0x80, 0xFF, rng.randrange(256)])
        elif kind == 2:
            piece = rng.choice(tokens) if tokens and rng.random() < 0.7 else rng.randbytes(rng.randint(1, 4))
            out[position:position] = piece
        elif kind == 3 and out:
            del out[position:position + rng.randint(1, 16)]
        elif kind == 4 and out:
            start = rng.randrange(len(out))
            chunk = out[start:start + rng.randint(1, 64)]
            out[position:position] = chunk * rng.randint(1, 4)
        elif kind == 5:
            del out[rng.randint(0, len(out)):]
        elif kind == 6 and others:
            other = rng.choice(others)
            cut = rng.randint(0, len(other))
            out = out[:position] + bytearray(other[cut:])
        elif kind == 7 and out:
            # an ASCII number in the data (a length, a count) grows, shrinks or goes negative
            digits = [i for i, b in enumerate(out) if 0x30 <= b <= 0x39]
            if digits:
                index = rng.choice(digits)
                out[index:index + 1] = rng.choice([b"0", b"9999999999", b"-1", b"00", "²".encode()])
        elif kind == 8 and out:
            # a run of one octet: deep nesting ("[[[[", "<a><a>") or a long field
            out[position:position] = rng.choice([bytes([rng.randrange(256)]), rng.choice(tokens or [b"["])]) * \
                rng.choice([rng.randint(1, 300), 1500, 6000])
    return bytes(out)


def bytes_mutator(tokens: Sequence[bytes] = (), others: Sequence[bytes] = ()) -> Mutator:
    return lambda data, rng: byte_mutation(data, rng, tokens, others)


# --- DER ----------------------------------------------------------------------------------------

def _der_nodes(data: bytes, start: int = 0, end: int | None = None, depth: int = 0,
               out: list[tuple[int, int, int]] | None = None) -> list[tuple[int, int, int]]:
    """(TLV start, contents start, contents end) of every TLV found, depth first; stops quietly at
    the first thing that is not a definite-length TLV."""
    out = [] if out is None else out
    end = len(data) if end is None else end
    pos = start
    while pos < end and depth < 40:
        tlv = pos
        tag = data[pos]
        pos += 1
        if tag & 0x1F == 0x1F:
            while pos < end and data[pos] & 0x80:
                pos += 1
            pos += 1
        if pos >= end:
            return out
        length = data[pos]
        pos += 1
        if length & 0x80:
            count = length & 0x7F
            if count == 0 or count > 4 or pos + count > end:
                return out
            length = int.from_bytes(data[pos:pos + count], "big")
            pos += count
        if pos + length > end:
            return out
        out.append((tlv, pos, pos + length))
        if tag & 0x20:
            _der_nodes(data, pos, pos + length, depth + 1, out)
        pos += length
    return out


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der_mutation(data: bytes, rng: random.Random) -> bytes:
    """Change one TLV of a DER encoding: its tag, its length (short, long, indefinite, huge,
    off by one), its contents; remove, repeat or deeply nest it."""
    nodes = _der_nodes(data)
    if not nodes:
        return byte_mutation(data, rng)
    tlv, content, end = rng.choice(nodes)
    head, body = data[tlv:content], data[content:end]
    kind = rng.randrange(9)
    if kind == 0:
        new = bytes([rng.choice([0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x0C, 0x13, 0x17, 0x18, 0x1F, 0x30, 0x31,
                                 0x80, 0xA0, 0xA1, 0xA2, 0xBF, rng.randrange(256)])]) + head[1:] + body
    elif kind == 1:
        length = rng.choice([0, len(body) - 1, len(body) + 1, len(body) + 100, 0x7F, 0x80, 0xFFFF,
                             0xFFFFFFFF, rng.randrange(1 << 16)])
        encoded = rng.choice([_der_length(max(length, 0)), b"\x80", b"\x84" + max(length, 0).to_bytes(4, "big")[-4:],
                              b"\x81" + bytes([len(body) & 0xFF]), b"\x89" + b"\xff" * 9])
        new = head[:1] + encoded + body
    elif kind == 2:
        new = head + byte_mutation(body, rng)
    elif kind == 3:
        new = b""
    elif kind == 4:
        new = (head + body) * rng.randint(2, 5)
    elif kind == 5:
        depth = rng.choice([2, 10, 100, 400, 1200])
        new = head + body
        for _ in range(depth):
            new = bytes([rng.choice([0x30, 0x31, 0xA0, 0x24])]) + _der_length(len(new)) + new
    elif kind == 6:
        new = head + body[: rng.randint(0, len(body))]
    elif kind == 7:
        # indefinite length with (or without) end-of-contents
        new = head[:1] + b"\x80" + body + rng.choice([b"\x00\x00", b"", b"\x00"])
    else:
        new = head[:1] + _der_length(len(body) + 2) + body + b"\x00\x00"
    return data[:tlv] + new + data[end:]


# --- header lines (SIP, MIME) -------------------------------------------------------------------

def _split_head(data: bytes) -> tuple[list[bytes], bytes]:
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return data.split(b"\r\n"), b""
    return data[:end].split(b"\r\n"), data[end + 4:]


def header_mutation(data: bytes, rng: random.Random, names: Sequence[bytes] = (),
                    values: Sequence[bytes] = ()) -> bytes:
    """Edit the header section of a message: duplicate, drop, fold, reorder or rename a line, put
    another value in it, change line ends, or change the body behind it."""
    lines, body = _split_head(data)
    kind = rng.randrange(10)
    index = rng.randrange(len(lines)) if lines else 0
    if not lines:
        lines = [b""]
    if kind == 0:
        lines.insert(rng.randrange(len(lines) + 1), lines[index])
    elif kind == 1 and len(lines) > 1:
        del lines[index]
    elif kind == 2:
        line = lines[index]
        cut = rng.randint(0, len(line))
        lines[index] = line[:cut] + rng.choice([b"\r\n ", b"\r\n\t", b"\r\n", b"\n ", b"\r\n  \r\n "]) + line[cut:]
    elif kind == 3:
        rng.shuffle(lines)
    elif kind == 4:
        name, colon, value = lines[index].partition(b":")
        new_name = rng.choice(names) if names else name
        lines[index] = new_name + (colon or b":") + value
    elif kind == 5:
        name, _, _ = lines[index].partition(b":")
        value = rng.choice(values) if values else rng.randbytes(8)
        lines[index] = name + b":" + rng.choice([b" ", b"", b"\t"]) + value
    elif kind == 6:
        name = rng.choice(names) if names else b"X"
        value = rng.choice(values) if values else b""
        lines.insert(rng.randrange(len(lines) + 1), name + b": " + value)
    elif kind == 7:
        glue = rng.choice([b"\n", b"\r", b"\r\r\n", b"\r\n\r\n", b"\x00"])
        return glue.join(lines) + b"\r\n\r\n" + body
    elif kind == 8:
        body = byte_mutation(body, rng) if body else rng.randbytes(rng.randint(0, 40))
    else:
        line = lines[index]
        lines[index] = byte_mutation(line, rng)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


# --- XML ----------------------------------------------------------------------------------------

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def xml_mutation(data: bytes, rng: random.Random, names: Sequence[str] = ()) -> bytes:
    """Edit an XML document as a tree: duplicate, drop, rename or deeply nest an element, replace its
    text with edge values, add attributes or foreign namespaces; then write it in UTF-8, UTF-16
    or ASCII, sometimes with byte-level damage on top."""
    try:
        root = etree.fromstring(data, parser=_XML_PARSER)
    except etree.XMLSyntaxError:
        return byte_mutation(data, rng)
    elements = list(root.iter(etree.Element))
    for _ in range(rng.randint(1, 3)):
        node = rng.choice(elements)
        kind = rng.randrange(9)
        parent = node.getparent()
        if kind == 0 and parent is not None:
            parent.insert(parent.index(node), _copy(node))
        elif kind == 1 and parent is not None:
            parent.remove(node)
            elements = list(root.iter(etree.Element))
        elif kind == 2:
            node.text = safe_text(rng.choice(EDGE_TEXT + [node.text or "", (node.text or "") * 2,
                                                          " " + (node.text or "")]))
        elif kind == 3 and names:
            namespace = etree.QName(node).namespace
            local = rng.choice(names)
            node.tag = f"{{{namespace}}}{local}" if namespace and rng.random() < 0.8 else local
        elif kind == 4:
            wrapper = node
            for _ in range(rng.choice([1, 5, 50, 300])):
                outer = etree.Element(wrapper.tag)
                outer.append(_copy(wrapper))
                wrapper = outer
            if parent is not None:
                parent.replace(node, wrapper)
        elif kind == 5:
            node.set(rng.choice(["Version", "type", "Role", "CacheNum", "x"]), safe_text(rng.choice(EDGE_TEXT[:20])))
        elif kind == 6:
            etree.SubElement(node, "{urn:fuzz}x").text = safe_text(rng.choice(EDGE_TEXT))
        elif kind == 7:
            for child in list(node):
                node.remove(child)
            node.text = safe_text(rng.choice(EDGE_TEXT))
        else:
            node.tail = rng.choice(["", " ", "x", "\n"])
    try:
        encoding = rng.choice(["UTF-8", "UTF-8", "UTF-16", "ASCII", "ISO-8859-1"])
        out = etree.tostring(root, xml_declaration=rng.random() < 0.8, encoding=encoding)
    except (ValueError, etree.SerialisationError):
        out = etree.tostring(root)
    if rng.random() < 0.2:
        out = byte_mutation(out, rng)
    return out


def _copy(node: etree._Element) -> etree._Element:
    return copy.deepcopy(node)


def safe_text(value: str) -> str:
    """``value`` without the characters XML cannot carry at all (lxml refuses to write them)."""
    return "".join(ch for ch in value if ch in "\t\n\r" or (0x20 <= ord(ch) <= 0xD7FF) or
                   (0xE000 <= ord(ch) <= 0xFFFD) or ord(ch) >= 0x10000)


# --- choosing -----------------------------------------------------------------------------------

def mixed(*mutators: Mutator) -> Mutator:
    """A mutator applying one of ``mutators`` (chosen per input), one to three times."""
    def mutate(data: bytes, rng: random.Random) -> bytes:
        for _ in range(rng.randint(1, 3)):
            data = rng.choice(mutators)(data, rng)
        return data
    return mutate
