"""The baostock client, injected: a Protocol of the calls we use, the real module's adapter, and a session.

``BaostockAPI`` lists the ``baostock`` module functions the provider calls, with baostock's own argument
names; :class:`BaostockModule` forwards them to the real package (imported lazily, stdout chatter
silenced); tests pass a fake with the same methods. Every call returns a baostock ``ResultData``-like
object: ``error_code`` (``"0"`` = success), ``error_msg``, ``fields`` and ``next()``/``get_row_data()``
(the next page is fetched by ``next()``); values are strings, ``""`` when missing.

:class:`Session` is the only thing that talks to the API: it logs in, turns each result into a DataFrame of
strings, retries network failures with exponential backoff (logging in again first) and raises
:class:`BaostockUnavailableError` when the service cannot be reached after the retries.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

import pandas as pd

SUCCESS = "0"
NOT_LOGGED_IN = "10001001"
NETWORK_ERROR_PREFIX = "10002"  # 10002001..10002008: socket, connect, send, receive errors and timeouts
PAGE_SIZE = 2000  # baostock's rows per page (BAOSTOCK_PER_PAGE_COUNT)


class ResultSet(Protocol):
    error_code: str
    error_msg: str
    fields: list[str]

    def next(self) -> bool: ...

    def get_row_data(self) -> list[str]: ...


class BaostockAPI(Protocol):
    """The subset of the ``baostock`` module the provider uses (same names and arguments)."""

    def login(self) -> ResultSet: ...

    def logout(self) -> Any: ...

    def query_history_k_data_plus(
        self, code: str, fields: str, start_date: str, end_date: str, frequency: str = "d", adjustflag: str = "3"
    ) -> ResultSet: ...

    def query_adjust_factor(self, code: str, start_date: str, end_date: str) -> ResultSet: ...

    def query_dividend_data(self, code: str, year: str, yearType: str = "report") -> ResultSet: ...  # noqa: N803

    def query_profit_data(self, code: str, year: int, quarter: int) -> ResultSet: ...

    def query_balance_data(self, code: str, year: int, quarter: int) -> ResultSet: ...

    def query_stock_basic(self, code: str = "", code_name: str = "") -> ResultSet: ...

    def query_stock_industry(self, code: str = "", date: str = "") -> ResultSet: ...

    def query_trade_dates(self, start_date: str, end_date: str) -> ResultSet: ...

    def query_deposit_rate_data(self, start_date: str = "", end_date: str = "") -> ResultSet: ...


class BaostockError(RuntimeError):
    """baostock answered with an error code that retrying will not fix (bad code, bad field, ...)."""


class BaostockUnavailableError(BaostockError):
    """baostock's service could not be reached (or kept failing) after the retries."""


class BaostockModule:
    """The real client: forwards each call to the ``baostock`` package, silencing its ``print`` output."""

    _METHODS = frozenset(BaostockAPI.__dict__) - {"__module__", "__doc__", "__dict__", "__weakref__"}

    def __init__(self) -> None:
        try:
            import baostock
        except ImportError as exc:  # pragma: no cover - baostock is a dependency of the package
            raise BaostockError(
                "MOMENTUM_DATA_SOURCE=baostock needs the 'baostock' package: pip install baostock"
            ) from exc
        self._bs = baostock

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name not in self._METHODS:
            raise AttributeError(name)
        function = getattr(self._bs, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with contextlib.redirect_stdout(io.StringIO()):
                return function(*args, **kwargs)

        return call


class Session:
    """Logged-in access to a :class:`BaostockAPI` with retries; counts calls per method in ``calls``.

    Args:
        api: the real :class:`BaostockModule` or a test fake.
        retries: extra attempts after a network failure (``MOMENTUM_BAOSTOCK_RETRIES``); attempt ``k``
            waits ``backoff_seconds * 2**k`` (at most ``max_backoff_seconds``) before trying again.
        sleep: injected for tests.
    """

    def __init__(
        self,
        api: BaostockAPI,
        *,
        retries: int = 5,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.sleep = sleep
        self.calls: Counter[str] = Counter()
        self._logged_in = False

    def __enter__(self) -> Session:
        self.login()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._logged_in:
            with contextlib.suppress(Exception):
                self.api.logout()
            self._logged_in = False

    def login(self) -> None:
        """Log in, retrying network failures; :class:`BaostockUnavailableError` if it never succeeds."""
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._wait(attempt)
            try:
                result = self.api.login()
            except (OSError, EOFError) as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            code, msg = _code(result), _msg(result)
            if code == SUCCESS:
                self._logged_in = True
                return
            last = f"error_code {code}: {msg}"
            if not _is_network(code):
                raise BaostockError(f"baostock login failed ({last})")
        raise BaostockUnavailableError(
            f"cannot reach baostock's service (login failed {self.retries + 1} times; last: {last}). "
            "Check the network connection, or try again later; nothing was written."
        )

    def query(self, method: str, columns: tuple[str, ...] | None = None, **kwargs: Any) -> pd.DataFrame:
        """Call ``api.<method>(**kwargs)`` and return every page as a DataFrame of strings.

        ``columns``, if given, are the documented fields: the frame has exactly these columns (an empty
        result gets them too), and a non-empty result missing one raises :class:`BaostockError`.
        A result whose row count is an exact multiple of the page size is fetched once more, because
        baostock's ``next()`` ends silently when fetching a further page fails; the longer answer wins.
        """
        frame = self._query_once(method, kwargs)
        if len(frame) and len(frame) % PAGE_SIZE == 0:
            again = self._query_once(method, kwargs)
            frame = again if len(again) > len(frame) else frame
        if columns is None:
            return frame
        if frame.columns.empty and frame.empty:
            return pd.DataFrame({c: pd.Series(dtype="str") for c in columns})
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise BaostockError(
                f"baostock {method}({_args(kwargs)}) returned no field(s) {missing}; got {list(frame.columns)}"
            )
        return frame.loc[:, list(columns)]

    def _query_once(self, method: str, kwargs: dict[str, Any]) -> pd.DataFrame:
        if not self._logged_in:
            self.login()
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._wait(attempt)
                if not self._logged_in:
                    with contextlib.suppress(BaostockError):
                        self.login()
            self.calls[method] += 1
            try:
                result = getattr(self.api, method)(**kwargs)
                if result is None:
                    raise BaostockError(f"baostock {method}({_args(kwargs)}) returned nothing (bad arguments?)")
                rows = []
                while _code(result) == SUCCESS and result.next():
                    rows.append(list(result.get_row_data()))
            except (OSError, EOFError) as exc:
                last = f"{type(exc).__name__}: {exc}"
                self._logged_in = False
                continue
            code = _code(result)
            if code == SUCCESS:
                fields = list(getattr(result, "fields", []) or [])
                if rows and not fields:
                    raise BaostockError(f"baostock {method}({_args(kwargs)}) returned rows without field names")
                return pd.DataFrame(rows, columns=fields, dtype="str") if fields else pd.DataFrame()
            last = f"error_code {code}: {_msg(result)}"
            if code == NOT_LOGGED_IN or _is_network(code):
                self._logged_in = False
                continue
            raise BaostockError(f"baostock {method}({_args(kwargs)}) failed with {last}")
        raise BaostockUnavailableError(
            f"baostock {method}({_args(kwargs)}) kept failing after {self.retries + 1} attempts (last: {last}). "
            "The service may be down; run again later: what was downloaded is cached and nothing was written."
        )

    def _wait(self, attempt: int) -> None:
        self.sleep(min(self.backoff_seconds * 2 ** (attempt - 1), self.max_backoff_seconds))


def _code(result: Any) -> str:
    return str(getattr(result, "error_code", "")).strip()


def _msg(result: Any) -> str:
    return str(getattr(result, "error_msg", "")).strip()


def _is_network(code: str) -> bool:
    return code.startswith(NETWORK_ERROR_PREFIX)


def _args(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
