"""Ken French data-library readers: monthly block only, percent -> decimals, month ends, missing codes."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.assets.crashes.kenfrench_inputs import kenfrench_crash_inputs
from momentum_dag.sources.kenfrench import (
    compound_monthly,
    factor_returns_from_directory,
    load_linearmodels_french,
    read_daily_decile_legs,
    read_daily_market,
    read_daily_momentum,
    read_five_factors,
    read_french_csv,
    read_french_daily_csv,
    read_industry_portfolios,
    read_momentum_factor,
    read_prior_12_2_portfolios,
    read_research_factors,
    time_series_inputs_from_french,
    to_factor_returns_monthly,
)

FACTORS_CSV = """This file was created by CMPT_ME_BEME_RETS using the 202401 CRSP database.
The 1-month TBill return is from Ibbotson and Associates Inc.

,Mkt-RF,SMB,HML,RF
192607,    2.96,   -2.56,   -2.43,    0.22
192608,    2.64,   -1.17,    3.82,    0.25
192609,    0.36,   -1.40,    0.13,    0.23

 Annual Factors: January-December~
,Mkt-RF,SMB,HML,RF
1927,   29.47,   -2.46,   -3.75,    3.12

Copyright 2024 Kenneth R. French
""".replace("~", " ")  # French pads some lines with spaces

MOM_CSV = """This file was created by CMPT_ME_PRIOR_RETS using the 202401 CRSP database.
It contains a momentum factor, constructed from six value-weight portfolios.

Missing data are indicated by -99.99 or -999.

,Mom~~~
192701,    0.36
192702,  -99.99
192703,    3.62

Annual Factors:
,Mom
1928,   25.42
""".replace("~", " ")

PRIOR_CSV = """This file was created by CMPT_ME_PRIOR_RETS using the 202401 CRSP database.

  Average Value Weighted Returns -- Monthly
,Lo PRIOR,PRIOR 2,Hi PRIOR
192701,   -1.00,    2.00,    3.00
192702,    4.00,    5.00,    6.00

  Average Equal Weighted Returns -- Monthly
,Lo PRIOR,PRIOR 2,Hi PRIOR
192701,   10.00,   20.00,   30.00
192702,   40.00,  -999,   60.00

  Average Value Weighted Returns -- Annual
,Lo PRIOR,PRIOR 2,Hi PRIOR
1927,   12.00,   13.00,   14.00
"""


@pytest.fixture()
def french_dir(tmp_path):
    (tmp_path / "F-F_Research_Data_Factors.CSV").write_text(FACTORS_CSV)
    (tmp_path / "F-F_Momentum_Factor.CSV").write_text(MOM_CSV)
    (tmp_path / "10_Portfolios_Prior_12_2.CSV").write_text(PRIOR_CSV)
    return tmp_path


def test_research_factors_monthly_block_in_decimals(french_dir):
    ff = read_research_factors(french_dir / "F-F_Research_Data_Factors.CSV")
    assert list(ff.columns) == ["Mkt-RF", "SMB", "HML", "RF"]
    assert list(ff.index) == list(pd.to_datetime(["1926-07-31", "1926-08-31", "1926-09-30"]))
    assert ff.index.name == "month_end"
    assert ff.loc["1926-07-31", "Mkt-RF"] == pytest.approx(0.0296)  # 2.96% -> 0.0296
    assert ff.loc["1926-09-30", "RF"] == pytest.approx(0.0023)


def test_momentum_missing_code_and_stripped_header(french_dir):
    mom = read_momentum_factor(french_dir / "F-F_Momentum_Factor.CSV")
    assert list(mom.columns) == ["Mom"]
    assert np.isnan(mom.loc["1927-02-28", "Mom"])
    assert mom.loc["1927-03-31", "Mom"] == pytest.approx(0.0362)
    assert len(mom) == 3  # annual rows ignored


def test_portfolio_blocks_by_weighting(french_dir):
    path = french_dir / "10_Portfolios_Prior_12_2.CSV"
    vw = read_prior_12_2_portfolios(path)
    ew = read_prior_12_2_portfolios(path, weighting="equal")
    assert vw.loc["1927-01-31", "Lo PRIOR"] == pytest.approx(-0.01)
    assert ew.loc["1927-01-31", "Hi PRIOR"] == pytest.approx(0.30)
    assert np.isnan(ew.loc["1927-02-28", "PRIOR 2"])
    with pytest.raises(ValueError, match="weighting"):
        read_prior_12_2_portfolios(path, weighting="cap")


def test_bad_files_raise(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        read_french_csv(tmp_path / "nope.CSV")
    (tmp_path / "empty.CSV").write_text("just text\n1927, 1.0\n")
    with pytest.raises(ValueError, match="no monthly block"):
        read_french_csv(tmp_path / "empty.CSV")
    (tmp_path / "ragged.CSV").write_text(",A,B\n192701, 1.0\n")
    with pytest.raises(ValueError, match="has 1 values, header has 2"):
        read_french_csv(tmp_path / "ragged.CSV")
    (tmp_path / "F-F_Research_Data_Factors.CSV").write_text(",A,B\n192701, 1.0, 2.0\n")
    with pytest.raises(ValueError, match="missing"):
        read_research_factors(tmp_path / "F-F_Research_Data_Factors.CSV")


def test_factor_returns_contract(french_dir):
    long = factor_returns_from_directory(french_dir)
    assert list(long.columns) == ["month_end", "factor", "ret"]
    assert not long.duplicated(["month_end", "factor"]).any()
    row = long[(long["factor"] == "prior_12_2_Hi PRIOR") & (long["month_end"] == "1927-02-28")]
    assert row["ret"].item() == pytest.approx(0.06)
    assert long[long["factor"] == "Mom"].shape[0] == 2  # the -99.99 month is dropped
    wide = pd.DataFrame({"X": [0.01, np.nan]}, index=pd.to_datetime(["2000-01-31", "2000-02-29"]))
    assert to_factor_returns_monthly(wide, prefix="p_")["factor"].tolist() == ["p_X"]


def test_linearmodels_sample_units_and_dates():
    df = load_linearmodels_french()
    assert df.index[0] == pd.Timestamp("1949-01-31") and df.index[-1] == pd.Timestamp("2017-03-31")
    assert (df.index == df.index.to_period("M").to_timestamp(how="end").normalize()).all()
    assert df["MktRF"].abs().max() < 0.5  # decimals, not percent
    wml, excess, total, rf = time_series_inputs_from_french(df)
    assert total.iloc[0] == pytest.approx(df["MktRF"].iloc[0] + df["RF"].iloc[0])
    assert wml.name == "wml" and wml.equals(df["Mom"].rename("wml"))


def test_time_series_inputs_need_columns():
    df = pd.DataFrame({"Mkt-RF": [0.01]}, index=pd.to_datetime(["2000-01-31"]))
    with pytest.raises(ValueError, match="Mom"):
        time_series_inputs_from_french(df)


def test_five_factor_and_industry_readers(tmp_path):
    five = tmp_path / "F-F_Research_Data_5_Factors_2x3.CSV"
    five.write_text("header text\n\n,Mkt-RF,SMB,HML,RMW,CMA,RF\n196307, -0.39, -0.41, -0.97, 0.68, -1.18, 0.27\n")
    frame = read_five_factors(five)
    assert frame.loc["1963-07-31", "CMA"] == pytest.approx(-0.0118)
    industries = tmp_path / "12_Industry_Portfolios.CSV"
    industries.write_text(
        "  Average Value Weighted Returns -- Monthly\n,NoDur,Durbl\n192607, 1.45, 15.55\n\n"
        "  Average Equal Weighted Returns -- Monthly\n,NoDur,Durbl\n192607, 2.00, 3.00\n"
    )
    assert read_industry_portfolios(industries).loc["1926-07-31", "Durbl"] == pytest.approx(0.1555)
    assert read_industry_portfolios(industries, "equal").loc["1926-07-31", "NoDur"] == pytest.approx(0.02)


# ---- daily files ---------------------------------------------------------------------------------------------

DAILY_FACTORS_CSV = """This file was created by CMPT_ME_BEME_RETS_DAILY using the 202401 CRSP database.
The Tbill return is the simple daily rate that, over the number of trading days
in the month, compounds to 1-month TBill rate from Ibbotson and Associates Inc.

,Mkt-RF,SMB,HML,RF
19270131,    1.00,   -0.25,   -0.27,    0.010
19270201,   -2.00,   -0.33,   -0.06,    0.010
19270202,    3.00,    0.08,    0.36,    0.010
19270203,  -99.99,    0.08,    0.36,    0.010

Copyright 2024 Kenneth R. French
"""

DAILY_MOM_CSV = """This file was created by CMPT_ME_PRIOR_RETS_DAILY using the 202401 CRSP database.
It contains a momentum factor, constructed from six value-weight portfolios.

Missing data are indicated by -99.99.

,Mom~~~
19270131,    0.50
19270201,   -99.99
19270202,    1.00
19270203,   -1.00
""".replace("~", " ")

DAILY_DECILES_CSV = """This file was created by CMPT_ME_PRIOR_RETS_DAILY using the 202401 CRSP database.
It contains value- and equal-weighted returns for  10 prior return portfolios.

The portfolios are constructed daily.  PRIOR_RET is from - 250 to - 21.

Missing data are indicated by -99.99 or -999.


  Average Value Weighted Returns -- Daily
,Lo PRIOR,PRIOR 2,Hi PRIOR
19270131,   -1.00,    0.61,    2.00
19270201,    4.00,    1.47,   -1.00
19270202,    1.00,   -0.72,    1.00
19270203,  -999,   -0.72,    1.00

  Average Equal Weighted Returns -- Daily
,Lo PRIOR,PRIOR 2,Hi PRIOR
19270131,   50.00,    0.61,   50.00
19270201,   50.00,    1.47,   50.00
19270202,   50.00,   -0.72,   50.00
19270203,   50.00,   -0.72,   50.00
"""


def test_daily_blocks_dates_decimals_and_missing_codes(tmp_path):
    path = tmp_path / "F-F_Momentum_Factor_daily.CSV"
    path.write_text(DAILY_MOM_CSV)
    mom = read_french_daily_csv(path)
    assert mom.index.name == "trade_date" and list(mom.columns) == ["Mom"]
    assert list(mom.index) == list(pd.to_datetime(["1927-01-31", "1927-02-01", "1927-02-02", "1927-02-03"]))
    assert mom["Mom"].iloc[0] == pytest.approx(0.005) and np.isnan(mom["Mom"].iloc[1])
    assert read_daily_momentum(path).tolist() == pytest.approx([0.005, 0.01, -0.01])  # -99.99 dropped
    with pytest.raises(ValueError, match="no monthly block"):
        read_french_csv(path)  # YYYYMMDD rows are never taken for months
    deciles = tmp_path / "10_Portfolios_Prior_12_2_Daily.CSV"
    deciles.write_text(DAILY_DECILES_CSV)
    legs = read_daily_decile_legs(deciles)  # the value-weighted block, not the equal-weighted one
    assert legs["winners"].tolist() == pytest.approx([0.02, -0.01, 0.01])  # the -999 day dropped
    assert legs["losers"].tolist() == pytest.approx([-0.01, 0.04, 0.01])
    factors = tmp_path / "F-F_Research_Data_Factors_daily.CSV"
    factors.write_text(DAILY_FACTORS_CSV)
    market = read_daily_market(factors)
    assert market["market_total"].tolist() == pytest.approx([0.0101, -0.0199, 0.0301])


def test_compound_monthly_by_hand():
    days = pd.to_datetime(["1927-01-31", "1927-02-01", "1927-02-02"])
    monthly = compound_monthly(pd.Series([0.02, -0.01, 0.01], index=days))
    assert list(monthly.index) == list(pd.to_datetime(["1927-01-31", "1927-02-28"]))
    assert monthly.tolist() == pytest.approx([0.02, 0.99 * 1.01 - 1])


def test_crash_inputs_prefer_the_decile_wml_of_the_daily_files(tmp_path):
    (tmp_path / "F-F_Research_Data_Factors_daily.CSV").write_text(DAILY_FACTORS_CSV)
    (tmp_path / "f-f_momentum_factor_daily.csv").write_text(DAILY_MOM_CSV)  # lower-case, as some archives
    inputs = kenfrench_crash_inputs(tmp_path)
    assert "Mom" in inputs.wml_definition
    # daily Mom on the days the market has a return too; monthly Mom compounded from it (no monthly file)
    assert inputs.daily["wml"].tolist() == pytest.approx([0.005, 0.01])
    assert inputs.monthly.loc["1927-02-28", "wml"] == pytest.approx(0.01 * 1 + (-0.01) + 0.01 * -0.01)
    (tmp_path / "10_Portfolios_Prior_12_2_Daily.CSV").write_text(DAILY_DECILES_CSV)
    inputs = kenfrench_crash_inputs(tmp_path)
    assert "Hi PRIOR - Lo PRIOR" in inputs.wml_definition
    # daily WML = Hi PRIOR - Lo PRIOR: 2 - (-1) = 3%, -1 - 4 = -5%, 1 - 1 = 0%
    assert inputs.daily["wml"].tolist() == pytest.approx([0.03, -0.05, 0.0])
    # monthly: each leg compounded, then the difference (Feb: winners 0.99 * 1.01 - 1, losers 1.04 * 1.01 - 1)
    assert inputs.monthly.loc["1927-02-28", "wml"] == pytest.approx((0.99 * 1.01 - 1) - (1.04 * 1.01 - 1))
    # market from the daily file: total = prod(1 + Mkt-RF + RF) - 1, excess = total - (prod(1 + RF) - 1)
    feb_total = (1 - 0.0199) * (1 + 0.0301) - 1
    assert inputs.monthly.loc["1927-02-28", "market_total"] == pytest.approx(feb_total)
    assert inputs.monthly.loc["1927-02-28", "market_excess"] == pytest.approx(feb_total - (1.0001**2 - 1))


def test_crash_inputs_take_monthly_series_from_the_monthly_files(french_dir):
    (french_dir / "F-F_Research_Data_Factors_daily.CSV").write_text(DAILY_FACTORS_CSV)
    (french_dir / "10_Portfolios_Prior_12_2_Daily.CSV").write_text(DAILY_DECILES_CSV)
    inputs = kenfrench_crash_inputs(french_dir)
    # PRIOR_CSV's value-weighted Hi - Lo: 3 - (-1) = 4% in 1927-01, 6 - 4 = 2% in 1927-02
    assert inputs.monthly["wml"].dropna().tolist() == pytest.approx([0.04, 0.02])
    assert inputs.monthly.loc["1926-07-31", "market_total"] == pytest.approx(0.0296 + 0.0022)
    assert "daily and monthly" in inputs.label


def test_crash_inputs_without_daily_files(tmp_path, french_dir):
    inputs = kenfrench_crash_inputs(french_dir)
    assert inputs.daily is None and inputs.monthly["wml"].dropna().tolist() == pytest.approx([0.0036, 0.0362])
    factors_only = tmp_path / "factors_only"
    factors_only.mkdir()
    (factors_only / "F-F_Research_Data_Factors.CSV").write_text(FACTORS_CSV)
    with pytest.raises(ValueError, match="F-F_Momentum_Factor.CSV is required"):
        kenfrench_crash_inputs(factors_only)
    sample = kenfrench_crash_inputs(None)
    assert sample.daily is None and "linearmodels" in sample.label
