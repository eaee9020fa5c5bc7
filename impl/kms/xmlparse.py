"""Hardened XML parsing with schema validation for the KMS interfaces.

No DTD, no entity expansion, no network access, a size limit, and validation
against the interface's XSD before any value is read. Used on both sides of
the interface: the KMS validates requests, clients validate responses.
"""
from __future__ import annotations

from importlib.resources.abc import Traversable

from lxml import etree

MAX_XML_BYTES = 64 * 1024

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
)


class XmlError(ValueError):
    """The document is not acceptable; the message says why."""


def load_schema(source: Traversable) -> etree.XMLSchema:
    """An XSD shipped as package data (importlib.resources), read from its bytes."""
    return etree.XMLSchema(etree.fromstring(source.read_bytes(), parser=_PARSER))


def parse_validated(data: bytes, schema: etree.XMLSchema) -> etree._Element:
    if len(data) > MAX_XML_BYTES:
        raise XmlError(f"document larger than {MAX_XML_BYTES} bytes")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XmlError("document type declarations are not accepted")
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmlError(f"not well-formed XML (line {exc.lineno})") from None
    # the byte check above does not see a declaration in another encoding (UTF-16, ...)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlError("document type declarations are not accepted")
    try:
        valid = schema.validate(root)
    except etree.Error:
        raise XmlError("schema validation failed") from None
    if not valid:
        error = schema.error_log.last_error
        where = f"line {error.line}: " if error is not None else ""
        message = error.message if error is not None else "schema validation failed"
        raise XmlError(f"schema validation failed: {where}{message}")
    return root


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
