"""Factor evaluation (IC, rank IC, ICIR, quantile portfolios, long-short performance).

``ic``: one IC metric a function; ``quantiles``: quantile assignment and portfolio returns;
``performance``: annualized return, volatility, Sharpe, drawdown, turnover; ``engine``: the whole
evaluation of one factor panel (``evaluate_factor``).
"""
