"""The Sans-I/O AGI core: environment, responses, usage blocks, HANGUP, quoting."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ivr.agi import AgiParser, encode_command, parse_response

STREAM = (
    b"agi_network: yes\nagi_network_script: route\nagi_callerid: 13800138000\n"
    b"agi_extension: 95598\nagi_arg_1: x\n\n"
    b"200 result=1\n"
    b"200 result=49 endpos=12000\n"
    b"520-Invalid command syntax.  Proper usage follows:\n"
    b"Usage: SET VARIABLE <variablename> <value>\n"
    b"520 End of proper usage.\n"
    b"HANGUP\n"
    b"200 result=1 (13800138000)\n"
    b"511 Command Not Permitted on a dead channel or intercept routine\n"
)


def parse(chunks: list[bytes]) -> AgiParser:
    parser = AgiParser()
    for chunk in chunks:
        parser.feed(chunk)
    return parser


def test_environment_and_responses():
    parser = parse([STREAM])
    assert parser.environment == {
        "network": "yes",
        "network_script": "route",
        "callerid": "13800138000",
        "extension": "95598",
        "arg_1": "x",
    }
    codes = [(r.code, r.result, r.data) for r in parser.responses]
    assert codes == [(200, "1", ""), (200, "49", ""), (520, "", ""), (200, "1", "13800138000"), (511, "", "")]
    assert parser.responses[1].digit == "1" and parser.responses[1].endpos == 12000
    assert "Usage: SET VARIABLE" in parser.responses[2].raw
    assert parser.hung_up


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), max_size=20))
def test_any_split_gives_the_same_result(cuts):
    cuts = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *cuts], [*cuts, len(STREAM)], strict=True)]
    whole, split = parse([STREAM]), parse(chunks)
    assert split.environment == whole.environment
    assert list(split.responses) == list(whole.responses)
    assert split.hung_up == whole.hung_up


@given(st.binary(max_size=300))
def test_garbage_never_raises(data):
    parser = AgiParser()
    parser.feed(data)
    parser.feed(b"\n\n" + data)


def test_crlf_lines_and_partial_line_wait():
    parser = AgiParser()
    parser.feed(b"agi_channel: SIP/1\r\n\r\n200 res")
    assert parser.environment == {"channel": "SIP/1"} and not parser.responses
    parser.feed(b"ult=0 (timeout)\r\n")
    assert parser.responses[0].result == "0" and parser.responses[0].data == "timeout"


def test_response_details():
    r = parse_response("200 result=-1")
    assert r.result_int == -1 and r.digit == ""
    assert parse_response("200 result=").result == ""
    assert parse_response("garbage").code == 0
    assert parse_response("200 result=123456").result == "123456"


def test_commands_are_quoted_on_one_line():
    assert encode_command("SET VARIABLE", "X", 'a "b" \\c\nd') == b'SET VARIABLE "X" "a \\"b\\" \\\\c d"\n'
    assert encode_command("STREAM FILE", "beep", "") == b'STREAM FILE "beep" ""\n'
    assert encode_command("HANGUP") == b"HANGUP\n"
