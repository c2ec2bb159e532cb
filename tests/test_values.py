"""Contract value models."""

import pytest

from cpa.errors import CpaError
from cpa.io import values_from_table
from cpa.values import MODELS, contract_values


@pytest.mark.parametrize("model", list(MODELS))
def test_models_scale_to_total(geo, model):
    v = contract_values(geo, model, total_m=300)
    assert v.total == pytest.approx(300e6)
    assert (v.by_unit > 0).all()
    assert model in v.label


def test_crime_model_keeps_pfa_totals(geo):
    v = contract_values(geo, "crime")
    by_pfa = v.by_unit.groupby(geo.pfa_of).sum()
    crime = geo.pfas["recorded_crime_2023_24"].astype(float)
    assert (by_pfa / by_pfa.sum()).to_dict() == pytest.approx((crime / crime.sum()).to_dict())
    met = by_pfa["E23000001"] / v.total
    assert 0.16 < met < 0.18  # "Metropolitan Police alone is about 17% of value"


def test_crime_model_within_pfa_follows_adults(geo):
    v = contract_values(geo, "crime")
    kent = geo.pfa_members["E23000032"]
    ratio = v.by_unit[kent] / geo.units.loc[kent, "adults"]
    assert ratio.max() == pytest.approx(ratio.min())


def test_budget_model_pools_london(geo):
    v = contract_values(geo, "budget2003")
    assert v.by_unit["E09000001"] > 0  # City of London gets a share of the London budget


def test_unknown_model(geo):
    with pytest.raises(CpaError, match="unknown value model 'nope'"):
        contract_values(geo, "nope")


def test_value_table_value_and_caseload(geo, tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("lad_code,value\n" + "".join(f"{c},{i + 1}\n" for i, c in enumerate(geo.codes)))
    v = values_from_table(geo, p)
    assert v.total == pytest.approx(sum(range(1, 319)))
    p.write_text("lad_code,caseload\n" + "".join(f"{c},10\n" for c in geo.codes))
    v = values_from_table(geo, p)
    assert v.total == pytest.approx(450e6)
    assert "caseload" in v.description
