"""Ensembles of pretrained networks: trained by one command, merged from single files, read back
verified, forecast as the median of their members, fine-tuned member by member."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import make_frame

from forecast.errors import DataError
from forecast.models.neural.pretrained import Finetuned, Pretrained
from forecast.models.neural.pretrained_io import member_states, read_pretrained, write_pretrained
from forecast.pretrain.__main__ import main
from forecast.pretrain.ensemble import combine_weights


@pytest.fixture(scope="module")
def singles(tmp_path_factory) -> list[str]:
    """Two tiny single networks, seeds 0 and 1 (the real pretraining command)."""
    folder = tmp_path_factory.mktemp("singles")
    out = []
    for seed in (0, 1):
        path = folder / f"seed{seed}.json"
        assert main(["--tiny", "--seed", str(seed), "--out", str(path)]) == 0
        out.append(str(path))
    return out


@pytest.fixture(scope="module")
def pair(singles, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("pair") / "pair.json"
    return str(combine_weights(singles, path))


def test_a_merged_file_holds_every_member_and_their_runs(singles, pair):
    config, arrays = read_pretrained(pair)
    states = member_states(arrays)
    assert config["members"] == 2 and len(states) == 2
    assert [run["seed"] for run in config["member_runs"]] == [0, 1]
    for state, single in zip(states, singles, strict=True):
        alone = member_states(read_pretrained(single)[1])[0]
        assert set(state) == set(alone)
        for key in state:
            np.testing.assert_array_equal(state[key], alone[key])
    calib = [read_pretrained(p)[1]["calibration"] for p in singles]
    assert len(arrays["calibration"]) == sum(len(c) for c in calib)


def test_the_ensemble_forecasts_the_mean_of_two_members(singles, pair):
    df = make_frame(60)
    one = [Pretrained(weights=p).fit(df).predict(9)["yhat"].to_numpy() for p in singles]
    both = Pretrained(weights=pair).fit(df).predict(9)["yhat"].to_numpy()
    assert not np.allclose(one[0], one[1])
    # members average in the normalised (log, deseasonalised) space, so the ensemble lies
    # between its members rather than exactly on their arithmetic mean
    low, high = np.minimum(*one), np.maximum(*one)
    assert np.all(both >= low - 1e-9) and np.all(both <= high + 1e-9)


def test_one_command_trains_the_members_it_is_asked_for(pair, tmp_path):
    out = tmp_path / "two.json"
    assert main(["--tiny", "--members", "2", "--jobs", "2", "--out", str(out)]) == 0
    a, b = read_pretrained(out)[1], read_pretrained(pair)[1]
    assert set(a) == set(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_merging_refuses_mismatched_or_too_few_members(singles, tmp_path):
    other = tmp_path / "wide.json"
    assert main(["--tiny", "--hidden-size", "4", "--out", str(other)]) == 0
    with pytest.raises(DataError, match="architecture"):
        combine_weights([singles[0], str(other)], tmp_path / "bad.json")
    with pytest.raises(DataError, match="at least two"):
        combine_weights([singles[0]], tmp_path / "bad.json")
    assert main(["--combine", singles[0], str(other), "--out", str(tmp_path / "b.json")]) == 2
    assert main(["--combine", singles[0], "--out", str(tmp_path / "c.json"), "--no-eval"]) == 2
    assert not (tmp_path / "c.json").exists()


def test_a_file_whose_member_count_disagrees_is_refused(pair, tmp_path):
    config, arrays = read_pretrained(pair)
    config["members"] = 3
    path = write_pretrained(
        tmp_path / "liar.json", {k: np.array(v) for k, v in arrays.items()}, config
    )
    with pytest.raises(DataError, match="holds 2 networks"):
        read_pretrained(path)
    loose = {k: np.array(v) for k, v in arrays.items()}
    loose["net.head.weight"] = loose["net.0.head.weight"]
    with pytest.raises(DataError, match="mix one network"):
        member_states(loose)


def test_finetuning_an_ensemble_adapts_each_member_reproducibly(pair):
    df = make_frame(72)
    a = Finetuned(weights=pair, epochs=3, seed=1).fit(df)
    b = Finetuned(weights=pair, epochs=3, seed=1).fit(df)
    np.testing.assert_array_equal(a.predict(6)["yhat"], b.predict(6)["yhat"])
    assert len(a.members_) == 2 and len(a.adapted_members_) == 2
    steps = []
    Finetuned(weights=pair, epochs=2, patience=5, seed=1).fit(
        df, progress=lambda step, total, message: steps.append((step, total, message))
    )
    assert steps[-1][1] == 2 * 2 and "member 2/2" in steps[-1][2]
    json.dumps(a.get_params())


def test_mase_loss_weights_change_training_and_bad_ones_are_refused(singles, tmp_path):
    out = tmp_path / "mase.json"
    assert main(["--tiny", "--loss-weight", "mase", "--out", str(out)]) == 0
    config, arrays = read_pretrained(out)
    assert config["settings"]["loss_weight"] == "mase"
    plain = read_pretrained(singles[0])[1]
    assert not np.array_equal(arrays["net.head.weight"], plain["net.head.weight"])
    assert main(["--tiny", "--loss-weight", "rmse", "--out", str(tmp_path / "x.json")]) == 2
    assert main(["--tiny", "--members", "0", "--out", str(tmp_path / "y.json")]) == 2


def test_the_naive_error_is_the_mase_denominator():
    from forecast.pretrain.train import _naive_error

    y = np.array([1.0, 2, 3, 4, 6, 7, 8, 9, 11])
    assert _naive_error(y, 4) == pytest.approx(5.0)  # lag 4: 5, 5, 5, 5, 5
    assert _naive_error(y[:6], 4) == pytest.approx(1.2)  # under two seasons: lag 1
