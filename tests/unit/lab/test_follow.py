"""The lab reads what a role wrote since a mark, also after the role rotated the file (impl/rotation.py)."""
from __future__ import annotations

from mcsec.fixtures.lab import follow
from mcsec.impl.rotation import RotatingFile, Rotation


def _line(n: int) -> bytes:
    return f'{{"n": {n}, "pad": "{"x" * 80}"}}\n'.encode()


def test_what_came_after_the_mark_is_read_across_rotations(tmp_path):
    path = tmp_path / "core.trace.jsonl"
    trace = RotatingFile(path, Rotation(max_bytes=1024, backups=5))
    trace.open()
    for n in range(20):
        trace.write(_line(n))
    mark = follow.mark(path)
    for n in range(20, 50):
        trace.write(_line(n))
    trace.close()
    assert len(follow.rotated(path)) >= 2, "the test must rotate at least twice after the mark"
    assert follow.read_since(path, mark) == b"".join(_line(n) for n in range(20, 50))


def test_a_mark_taken_before_the_file_existed_reads_everything(tmp_path):
    path = tmp_path / "server.trace.jsonl"
    mark = follow.mark(path)
    trace = RotatingFile(path, Rotation(max_bytes=1024, backups=5))
    trace.open()
    for n in range(30):
        trace.write(_line(n))
    trace.close()
    assert follow.read_since(path, mark) == b"".join(_line(n) for n in range(30))


def test_when_the_marked_file_rotated_out_what_is_left_is_read(tmp_path):
    path = tmp_path / "client.trace.jsonl"
    trace = RotatingFile(path, Rotation(max_bytes=1024, backups=1))
    trace.open()
    trace.write(_line(0))
    mark = follow.mark(path)
    for n in range(1, 60):
        trace.write(_line(n))
    trace.close()
    kept = follow.read_since(path, mark)
    assert kept and kept.endswith(_line(59)) and _line(1) not in kept
    assert kept == b"".join(p.read_bytes() for p in [*follow.rotated(path), path])


def test_files_are_bounded_by_the_cap_and_the_backups(tmp_path):
    path = tmp_path / "t.jsonl"
    trace = RotatingFile(path, Rotation(max_bytes=1024, backups=3))
    trace.open()
    for n in range(500):
        trace.write(_line(n))
    trace.close()
    files = [*follow.rotated(path), path]
    assert [p.name for p in files] == ["t.jsonl.3", "t.jsonl.2", "t.jsonl.1", "t.jsonl"]
    assert all(p.stat().st_size <= 1024 for p in files)
    assert path.read_bytes().endswith(_line(499))


def test_a_plain_offset_still_reads_the_current_file(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"abc\ndef\n")
    assert follow.read_since(path, 4) == b"def\n"


def test_the_rotation_item_is_checked_and_named():
    import pytest
    from mcsec.impl import rotation
    assert rotation.parse(None) == Rotation(64 * 1024 * 1024, 4)
    assert rotation.parse({"max_bytes": 4096}) == Rotation(4096, 4)
    for bad, item in (({"max_bytes": 10}, "rotation.max_bytes"), ({"backups": 0}, "rotation.backups"),
                      ({"backups": True}, "rotation.backups"), ({"size": 1}, "rotation.size"), ([], "rotation")):
        with pytest.raises(rotation.RotationError, match=rf"^{item}:"):
            rotation.parse(bad)
