"""Sample values for the empty template: made up, but valid (the ID number has a correct check digit)."""

from dangjian.core.idcard import check_digit

_FIRST17 = "11010119850312001"
SAMPLE_ID_NUMBER = _FIRST17 + check_digit(_FIRST17)
