"""The VALUES tokenizer: fast path and regex path agree, escapes decode like MySQL, bad input fails."""

from __future__ import annotations

import random

import pytest

from loaders.convert import parse_date, to_ints, to_strings
from loaders.values import ValuesError, _split_regex, split_values, unescape


def sql_string(s: str) -> bytes:
    """How mysqldump escapes a string (mysql_real_escape_string)."""
    out = s.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')
    out = out.replace("\n", "\\n").replace("\r", "\\r").replace("\x00", "\\0").replace("\x1a", "\\Z")
    return ("'" + out + "'").encode("utf-8")


@pytest.mark.parametrize(
    "escaped, plain",
    [
        (rb"it\'s", b"it's"),
        (rb"say \"hi\"", b'say "hi"'),
        (rb"a\\b", b"a\\b"),
        (rb"l1\nl2\rl3\tx", b"l1\nl2\rl3\tx"),
        (rb"nul\0 eof\Z", b"nul\x00 eof\x1a"),
        (b"it''s", b"it's"),
        (rb"\q\y", b"qy"),  # unknown escapes drop the backslash
        (rb"\%\_", b"\\%\\_"),  # MySQL keeps \% and \_ as typed
        (rb"end\\", b"end\\"),
        ("日本\\'語 😀".encode(), "日本'語 😀".encode()),
    ],
)
def test_unescape_matches_mysql(escaped, plain):
    assert unescape(escaped) == plain


def test_fast_and_regex_paths_agree_on_random_rows():
    rng = random.Random(5)
    alphabet = ["a", "'", "\\", ",", "(", ")", "),(", ";", "\n", "日", "😀", "NULL", " ", '"', "\x1a", "\x00"]
    rows = []
    for i in range(300):
        vals = [str(i).encode(), b"NULL" if i % 7 == 0 else str(-i).encode()]
        for _ in range(4):
            s = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
            vals.append(b"NULL" if rng.random() < 0.1 else sql_string(s))
        rows.append(b"(" + b",".join(vals) + b")")
    body = b",\n".join(rows[:150]) + b"," + b",".join(rows[150:])
    fast = split_values(body, 6, [0, 2, 3, 5])
    slow = _split_regex(body, 6, [0, 2, 3, 5])
    assert fast == slow
    assert fast[0] == 300
    assert fast[1][0] == [str(i).encode() for i in range(300)]


def test_introducers_and_bit_literals():
    body = b"(1,_binary 'a\\'b',b'101',X'e697a5',0x41,'x')"
    n, cols = split_values(body, 6, [1, 2, 3, 4, 5])
    assert n == 1
    assert to_strings(cols[0]) == ["a'b"]
    assert to_ints(cols[1]) == [5]
    assert to_strings(cols[2]) == ["日"]
    assert to_strings(cols[3]) == ["A"]


def test_doubled_quotes_take_the_regex_path():
    n, cols = split_values(b"(1,'it''s',''),(2,'''','a')", 3, [1, 2])
    assert n == 2 and to_strings(cols[0]) == ["it's", "'"] and to_strings(cols[1]) == ["", "a"]


def test_raw_control_bytes_in_a_blob():
    body = b"(1,'\x01\xfe\xff raw',3,'x')"
    assert split_values(body, 4, [0, 1, 2, 3]) == (1, [[b"1"], [b"'\x01\xfe\xff raw'"], [b"3"], [b"'x'"]])
    every_mark = bytes(range(1, 17))
    body = b"(1,'" + every_mark + b"',3,'x')"  # no free marker byte: the regex path
    assert split_values(body, 4, [1, 3]) == (1, [[b"'" + every_mark + b"'"], [b"'x'"]])


@pytest.mark.parametrize(
    "body, message",
    [
        (b"(1,2),(3)", "row 2 of the INSERT has 1 values, expected 2"),
        (b"(1,'abc)", "unterminated string literal"),
        (b"(1,,2),(3,4)", "row 1 of the INSERT has 3 values"),
        (b"(1,),(3,4)", "empty value"),
        (b"1,2", "does not start with '('"),
        (b"(1,2),(3,(4))", "unexpected parenthesis"),
    ],
)
def test_malformed_values_are_rejected(body, message):
    with pytest.raises(ValuesError, match=message.replace("(", r"\(").replace(")", r"\)")):
        split_values(body, 2, [0, 1])


def test_dates():
    assert parse_date(b"'2024-02-29'").isoformat() == "2024-02-29"
    assert parse_date(b"'2024-02-29 13:00:01'").isoformat() == "2024-02-29"
    assert parse_date(b"'0000-00-00'") is None
    assert parse_date(b"'0000-00-00 00:00:00'") is None
    assert parse_date(b"NULL") is None
    for bad in (b"'2023-02-29'", b"'2024-13-01'", b"'2024-1-1'", b"20240101", b"'2024-00-10'"):
        with pytest.raises(ValueError):
            parse_date(bad)
