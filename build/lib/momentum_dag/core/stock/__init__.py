"""Stock-level momentum: 12-2 and 6-2 momentum (``momentum``) and directional momentum D-MOM
(``dmom``, with the return-sign run durations of ``durations``)."""
