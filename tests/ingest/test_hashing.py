"""SHA-256 of a delivery and recognising the same file or the same content delivered again (R-INT-02)."""

import hashlib
import io

import pytest

from fangpin.ingest.hashing import (
    SAME_CONTENT,
    SAME_FILE,
    Delivery,
    content_sha256,
    file_sha256,
    recognise,
    sha256_of,
)
from fangpin.ingest.intake import read_table

from .conftest import HEADERS, ROWS, write_xlsx


def test_sha256_of_an_upload_and_its_size_and_the_file_is_rewound_R_INT_02():
    data = "户编号,姓名\n1,张三\n".encode() * 100_000
    fh = io.BytesIO(data)
    assert sha256_of(fh) == (hashlib.sha256(data).hexdigest(), len(data))
    assert fh.tell() == 0


def test_file_sha256_R_INT_02(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"abc")
    assert file_sha256(path) == hashlib.sha256(b"abc").hexdigest()


def _csv(path, rows, title_rows=0, encoding="utf-8"):
    lines = [f"标题{i}" for i in range(title_rows)] + [",".join(HEADERS)] + [",".join(r) for r in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_the_same_content_in_another_packaging_has_the_same_content_hash_R_INT_02(tmp_path, spec):
    xlsx = read_table(write_xlsx(tmp_path / "a.xlsx", ROWS, title_rows=2), spec)
    resaved = read_table(write_xlsx(tmp_path / "b.xlsx", ROWS, title_rows=0, engine="xlsxwriter"), spec)
    gbk = read_table(_csv(tmp_path / "c.csv", ROWS, title_rows=1, encoding="gbk"), spec)
    digests = {content_sha256(t.headers, t.frame, batch_rows=2) for t in (xlsx, resaved, gbk)}
    assert len(digests) == 1
    changed = [list(r) for r in ROWS]
    changed[2][5] = "301"
    other = read_table(_csv(tmp_path / "d.csv", changed), spec)
    assert content_sha256(other.headers, other.frame) not in digests
    assert file_sha256(tmp_path / "a.xlsx") != file_sha256(tmp_path / "b.xlsx")


def test_recognise_a_redelivery_R_INT_02():
    earlier = [Delivery("f2", "c2", ref=12), Delivery("f1", "c1", ref=11), Delivery("f0", "c1", ref=10)]
    assert recognise("f1", "c1", earlier) == (SAME_FILE, earlier[1])
    assert recognise("f9", "c1", earlier) == (SAME_CONTENT, earlier[1])  # the newest delivery with that content
    assert recognise("f9", "c9", earlier) is None
    assert recognise("f9", None, earlier) is None


@pytest.mark.parametrize("batch_rows", [1, 2, 100])
def test_content_hash_does_not_depend_on_the_batch_size_R_OPS_05(tmp_path, spec, batch_rows):
    table = read_table(write_xlsx(tmp_path / "a.xlsx", ROWS), spec)
    assert content_sha256(table.headers, table.frame, batch_rows=batch_rows) == content_sha256(table.headers, table.frame)
