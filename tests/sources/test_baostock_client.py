"""The retrying session over baostock-shaped results (no network)."""

import pandas as pd
import pytest

from momentum_dag.sources.baostock.client import BaostockError, BaostockUnavailableError, Session
from tests.sources.baostock_fake import FakeResult


class Flaky:
    """Answers query_stock_basic with a network error code, an OSError, then two rows."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.logins = 0

    def login(self):
        self.logins += 1
        return FakeResult([], [])

    def logout(self):
        return None

    def query_stock_basic(self, code="", code_name=""):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


FIELDS = "code,code_name,ipoDate,outDate,type,status".split(",")


def test_network_errors_are_retried_with_backoff_and_a_new_login():
    waits = []
    api = Flaky(
        [
            FakeResult([], [], "10002007", "网络接收错误。"),
            ConnectionResetError("reset"),
            FakeResult(FIELDS, [["sh.600001", "A", "1999-11-10", "", "1", "1"]]),
        ]
    )
    with Session(api, retries=3, sleep=waits.append) as session:
        frame = session.query("query_stock_basic", tuple(FIELDS))
    assert frame.to_dict("records") == [
        {"code": "sh.600001", "code_name": "A", "ipoDate": "1999-11-10", "outDate": "", "type": "1", "status": "1"}
    ]
    assert waits == [1.0, 2.0] and api.logins == 3 and session.calls["query_stock_basic"] == 3


def test_other_errors_are_not_retried_and_name_the_call():
    api = Flaky([FakeResult([], [], "10004011", "无效的证券代码")])
    with Session(api, retries=3, sleep=lambda s: None) as session, pytest.raises(BaostockError) as error:
        session.query("query_stock_basic", code="sh.6")
    assert "query_stock_basic(code='sh.6')" in str(error.value) and "10004011" in str(error.value)
    assert not isinstance(error.value, BaostockUnavailableError)


def test_retries_exhausted_and_empty_results():
    api = Flaky([FakeResult([], [], "10002003", "网络连接超时")] * 3)
    with Session(api, retries=2, sleep=lambda s: None) as session, pytest.raises(BaostockUnavailableError):
        session.query("query_stock_basic")
    empty = Flaky([FakeResult([], [])])
    with Session(empty, sleep=lambda s: None) as session:
        frame = session.query("query_stock_basic", tuple(FIELDS))
    assert list(frame.columns) == FIELDS and frame.empty


def test_a_full_page_is_fetched_again_and_the_longer_answer_wins():
    rows = [["sh.600001", "A", "1999-11-10", "", "1", "1"]] * 2000
    api = Flaky([FakeResult(FIELDS, rows), FakeResult(FIELDS, rows + rows[:5])])
    with Session(api, sleep=lambda s: None) as session:
        frame = session.query("query_stock_basic", tuple(FIELDS))
    assert len(frame) == 2005 and isinstance(frame, pd.DataFrame)
