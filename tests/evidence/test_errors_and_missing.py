"""Bad input gives typed errors that name the field; missing values follow metafor's na.omit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from regenaid.errors import InvalidInputError
from regenaid.evidence import (
    escalc,
    leave1out,
    mean_sd_from_median_iqr,
    regtest,
    rma,
    sd_of_change,
    trimfill,
    yi_vi_from_ci,
)


def test_mismatched_lengths_name_the_field() -> None:
    with pytest.raises(InvalidInputError) as info:
        rma([0.1, 0.2, 0.3], [0.01, 0.02])
    assert info.value.field == "vi"
    with pytest.raises(InvalidInputError) as info:
        escalc("MD", m1i=[1, 2], sd1i=[1, 1], n1i=[10, 10], m2i=[1], sd2i=[1, 1], n2i=[10, 10])
    assert info.value.field == "m2i"


@pytest.mark.parametrize("bad", [0.0, -0.5])
def test_non_positive_variance_names_the_index(bad: float) -> None:
    with pytest.raises(InvalidInputError) as info:
        rma([0.1, 0.2, 0.3], [0.01, bad, 0.02])
    assert info.value.field == "vi[1]"
    assert "> 0" in str(info.value)


def test_infinite_value_names_the_index() -> None:
    with pytest.raises(InvalidInputError) as info:
        rma([0.1, math.inf, 0.3], [0.01, 0.01, 0.02])
    assert info.value.field == "yi[1]"


def test_random_effects_need_two_studies() -> None:
    with pytest.raises(InvalidInputError, match="at least 2 studies"):
        rma([0.1], [0.01], method="REML")
    single = rma([0.1], [0.01], method="EE")
    assert single.k == 1 and single.estimate == pytest.approx(0.1)


def test_unknown_method_and_test_list_allowed_values() -> None:
    with pytest.raises(InvalidInputError) as info:
        rma([0.1, 0.2], [0.01, 0.01], method="BAYES")
    assert info.value.field == "method" and info.value.allowed and "REML" in info.value.allowed
    with pytest.raises(InvalidInputError) as info:
        rma([0.1, 0.2], [0.01, 0.01], test="t")
    assert info.value.field == "test"
    with pytest.raises(InvalidInputError) as info:
        rma([0.1, 0.2], [0.01, 0.01], level=0.95 * 200)
    assert info.value.field == "level"


def test_missing_values_are_dropped_and_reported() -> None:
    res = rma([np.nan, 1, 3, 2, 5, 4, 6], [1, np.nan, 1, 1, 1, 1, 1])
    assert res.k == 5
    assert res.dropped == (0, 1)
    assert res.estimate == pytest.approx(4.0)


def test_all_missing_is_an_error() -> None:
    with pytest.raises(InvalidInputError, match="no study"):
        rma([np.nan, np.nan], [1.0, 1.0])


def test_escalc_missing_input_gives_missing_effect() -> None:
    es = escalc(
        "MD", m1i=[1, np.nan], sd1i=[1, 1], n1i=[10, 10], m2i=[0, 0], sd2i=[1, 1], n2i=[10, 10]
    )
    assert not math.isnan(es.yi[0]) and math.isnan(es.yi[1])


def test_escalc_requires_its_columns_and_checks_counts() -> None:
    with pytest.raises(InvalidInputError) as info:
        escalc("MD", m1i=[1], sd1i=[1], n1i=[10], m2i=[1], sd2i=[1])
    assert info.value.field == "n2i"
    with pytest.raises(InvalidInputError) as info:
        escalc("OR", ai=[-1], bi=[3], ci=[2], di=[3])
    assert info.value.field == "ai[0]"
    with pytest.raises(InvalidInputError) as info:
        escalc("XYZ")
    assert info.value.field == "measure"


def test_zero_cells_get_one_half_only_where_needed() -> None:
    # metafor default add=1/2, to="only0": the table with a zero cell is corrected, others not
    es = escalc("OR", ai=[0, 2], bi=[10, 8], ci=[3, 3], di=[7, 7])
    assert es.yi[0] == pytest.approx(math.log(0.5 * 7.5 / (10.5 * 3.5)))
    assert es.yi[1] == pytest.approx(math.log(2 * 7 / (8 * 3)))
    # metafor applies the same correction to the risk difference (addyi=addvi=TRUE)
    rd = escalc("RD", ai=[0], bi=[10], ci=[3], di=[7])
    assert rd.yi[0] == pytest.approx(0.5 / 11 - 3.5 / 11)
    assert escalc("RD", ai=[0], bi=[10], ci=[3], di=[7], to="none").yi[0] == pytest.approx(-0.3)
    dropped = escalc("RR", ai=[0], bi=[10], ci=[0], di=[10], drop00=True)
    assert math.isnan(dropped.yi[0])


def test_knha_and_pooling_helpers_need_enough_studies() -> None:
    res = rma([0.1, 0.5], [0.02, 0.03])
    with pytest.raises(InvalidInputError):
        regtest(res)
    with pytest.raises(InvalidInputError):
        trimfill(res)
    with pytest.raises(InvalidInputError):
        leave1out(res)


def test_wan_2014_recovers_normal_mean_and_sd() -> None:
    # for normal data the quartile-based estimates approach the true mean and SD
    rng = np.random.default_rng(20140135)
    sample = rng.normal(50, 10, size=20000)
    q1, med, q3 = np.percentile(sample, [25, 50, 75])
    est = mean_sd_from_median_iqr(len(sample), med, q1, q3)
    assert est.mean == pytest.approx(50, abs=0.3)
    assert est.sd == pytest.approx(10, rel=0.02)
    assert not est.assumed_symmetric
    assert mean_sd_from_median_iqr(20, 9.5, iqr=16.88).assumed_symmetric


def test_change_sd_and_ci_conversions() -> None:
    # Cochrane Handbook 6.5.2.8: r = 0.5 and equal SDs give the same SD for the change
    assert sd_of_change(10, 10, 0.5) == pytest.approx(10)
    yi, vi = yi_vi_from_ci(2.0, 1.0, 4.0, ratio=True)
    assert yi == pytest.approx(math.log(2))
    assert math.sqrt(vi) == pytest.approx(math.log(4) / (2 * 1.959964), rel=1e-6)
    with pytest.raises(InvalidInputError) as info:
        yi_vi_from_ci(1.0, 2.0, 0.5)
    assert info.value.field == "ci_ub"


def test_mantel_haenszel_and_peto_input_errors() -> None:
    from regenaid.evidence import rma_mh, rma_peto

    with pytest.raises(InvalidInputError) as info:
        rma_mh([1, 2], [3, 4], [1, 2], [3, 4], measure="SMD")
    assert info.value.field == "measure"
    with pytest.raises(InvalidInputError) as info:
        rma_mh([1, -2], [3, 4], [1, 2], [3, 4])
    assert info.value.field == "ai"
    with pytest.raises(InvalidInputError) as info:
        rma_peto([0, 0], [5, 5], [0, 0], [5, 5])
    assert "events" in str(info.value)


def test_fsn_orwin_needs_a_target() -> None:
    from regenaid.evidence import fsn

    with pytest.raises(InvalidInputError) as info:
        fsn([0.2, 0.3], [0.01, 0.02], method="Orwin")
    assert info.value.field == "target"
