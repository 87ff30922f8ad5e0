"""Every registered model keeps the estimator contract and the facts the front ends read."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import make_frame
from sklearn.base import clone

from forecast.errors import DataError, NotFittedError, SpecError
from forecast.jsonable import to_jsonable
from forecast.models.base import FORECAST_COLUMNS, RUN_OPTIONS, Forecaster
from forecast.models.registry import (
    MODEL_NAMES,
    check_model_list,
    check_model_params,
    check_run_options,
    make_model,
    model_class,
    model_names,
    model_table,
)
from forecast.run.pipeline import run_forecast

#: Small, fast settings, given to each model that takes them.
FAST = {
    "epochs": 2,
    "hidden_size": 4,
    "threads": 1,
    "reservoir_size": 20,
    "horizon": 4,
    "seed": 0,
}


def _fast(name: str, **extra) -> Forecaster:
    takes = model_class(name).param_names()
    params = {k: v for k, v in FAST.items() if k in takes}
    if name == "ensemble":
        params["cells"] = ("gru", "esn")
        params["adjustments"] = ("none",)
    if name == "hybrid":
        params["nn_params"] = {"hidden_size": 4, "threads": 1}
    return make_model(name, **{**params, **extra})


def _all_params() -> set[str]:
    return {p for name in MODEL_NAMES for p in model_class(name).param_names()}


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_facts_are_declared_on_the_class(name):
    klass = model_class(name)
    assert issubclass(klass, Forecaster) and klass.name == name and klass.label
    assert klass.scope in {"per_series", "global"}
    assert klass.run_options() <= set(RUN_OPTIONS) and klass.run_options() <= set(
        klass.param_names()
    )
    assert callable(getattr(klass, "effective_memory", None)) == klass.memory
    if klass.member:  # members are single global models
        assert klass.scope == "global" and klass.neural
    if klass.neural:  # the pipeline hands every neural model the run's horizon
        assert "horizon" in klass.run_options()


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_init_only_stores_and_clone_get_set_params_repr_round_trip(name):
    model = _fast(name)
    params = model.get_params()
    assert set(params) == set(model_class(name).param_names())
    assert not [k for k in vars(model) if k.endswith("_")]  # nothing learned in __init__
    twin = clone(model)
    assert twin is not model and twin.get_params() == params
    assert repr(twin) == repr(model) and repr(model).startswith(type(model).__name__ + "(")
    twin.set_params(seed=7) if "seed" in params else twin.set_params()
    assert model.get_params() == params  # the original is untouched
    with pytest.raises(NotFittedError, match="not fitted"):
        model.predict(3)
    with pytest.raises(NotFittedError):
        model.save("never-written")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_refuses_an_option_it_does_not_use(name):
    unused = sorted(_all_params() - set(model_class(name).param_names()))
    assert unused, f"{name} takes every parameter of every model"
    with pytest.raises(SpecError, match=f"{name} does not take {unused[0]}"):
        make_model(name, **{unused[0]: 1})
    with pytest.raises(SpecError, match=unused[0]):
        check_model_params({name: {unused[0]: 1}}, [name])
    if "epochs" not in model_class(name).run_options():
        with pytest.raises(SpecError, match="epochs 3 is not used by any of"):
            run_forecast(make_frame(36), horizon=3, models=[name], epochs=3)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_fit_returns_self_and_save_load_predicts_the_same(name, tmp_path):
    df = make_frame(60, series=2)
    model = _fast(name)

    def settings(m):  # everything but learned state: fit and load change none of it
        return to_jsonable(
            {k: v for k, v in vars(m).items() if not k.endswith("_") and k[0] != "_"}
        )

    before = settings(model)
    assert before == to_jsonable(model.get_params(deep=False))
    assert model.fit(df) is model
    assert settings(model) == before
    fc = model.predict(4, level=90)
    assert list(fc.columns) == FORECAST_COLUMNS and len(fc) == 8
    resid = model.residuals_
    assert list(resid.columns) == ["unique_id", "ds", "resid"] and len(resid) == len(df)
    model.save(tmp_path / name)
    config = json.loads((tmp_path / name / "config.json").read_text())
    assert config["format"] == "forecast-workbench/model" and config["version"] == 2
    assert config["model"] == name and config["params"] == to_jsonable(model.get_params())
    for loaded in (type(model).load(tmp_path / name), Forecaster.load(tmp_path / name)):
        assert type(loaded) is type(model) and settings(loaded) == before
        assert to_jsonable(loaded.get_params()) == to_jsonable(model.get_params())
        pd.testing.assert_frame_equal(loaded.predict(4, level=90), fc)
        np.testing.assert_allclose(
            loaded.residuals_["resid"].to_numpy(), resid["resid"].to_numpy(), equal_nan=True
        )
    other = next(n for n in MODEL_NAMES if model_class(n) is not type(model))
    with pytest.raises(DataError, match=f"'{name}' model, not {model_class(other).__name__}"):
        model_class(other).load(tmp_path / name)


def test_a_newer_or_foreign_model_file_is_refused_with_a_message(tmp_path):
    model = make_model("naive").fit(make_frame(24))
    model.save(tmp_path / "m")
    path = tmp_path / "m" / "config.json"
    config = json.loads(path.read_text())
    path.write_text(json.dumps({**config, "version": 99}))
    with pytest.raises(DataError, match="newer Forecast Workbench"):
        Forecaster.load(tmp_path / "m")
    path.write_text(json.dumps({**config, "format": "someone-else"}))
    with pytest.raises(DataError, match="not a Forecast Workbench model"):
        Forecaster.load(tmp_path / "m")
    path.write_text(json.dumps({**config, "model": "prophet"}))
    with pytest.raises(DataError, match="unknown model 'prophet'"):
        Forecaster.load(tmp_path / "m")


def test_old_esn_files_with_retired_options_still_load(tmp_path):
    df = make_frame(48)
    model = _fast("esn").fit(df)
    model.save(tmp_path / "esn")
    path = tmp_path / "esn" / "config.json"
    config = json.loads(path.read_text())
    config["version"] = 1
    config["params"].update(epochs=None, device=None)  # what version 1 wrote
    path.write_text(json.dumps(config))
    loaded = model_class("esn").load(tmp_path / "esn")
    pd.testing.assert_frame_equal(loaded.predict(4), model.predict(4))


def test_registry_queries_and_the_one_model_list_validation():
    per_series = model_names(scope="per_series")
    assert {"naive", "snaive", "drift", "arima"} <= set(per_series)
    assert not {"lstm", "esn", "hybrid", "ensemble"} & set(per_series)
    assert {"rnn", "lstm", "gru", "bilstm", "esn"} <= set(model_names(member=True))
    assert not {"hybrid", "ensemble", "arima"} & set(model_names(member=True))
    assert {"lstm", "hybrid", "ensemble"} <= set(model_names(memory=True))
    assert "esn" not in model_names(memory=True)
    assert {"pretrained", "finetuned"} <= set(model_names(memory=True))
    assert not {"pretrained", "finetuned"} & set(model_names(member=True))
    assert "esn" not in model_names(option="epochs")
    assert [row["name"] for row in model_table()] == list(MODEL_NAMES)
    assert check_model_list(" SNaive, arima ") == ["snaive", "arima"]
    for bad, words in (("", "No models"), ("snaive,prophet", "prophet"), ("lstm,LSTM", "twice")):
        with pytest.raises(SpecError, match=words):
            check_model_list(bad)
    check_run_options(["lstm", "esn"], epochs=3)  # applies to the LSTM
    with pytest.raises(SpecError, match="it applies to rnn, lstm"):
        check_run_options(["snaive", "esn"], epochs=3)
