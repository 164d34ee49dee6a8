"""Rule variants: the defaults are the rules as written, settings files are checked, the grid is small."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.music.catalog import Catalog
from assistant.policies.rules import DEFAULT_RULES, RuleSettings, load_rule_settings
from learning.population import load_population
from learning.tuning import GRID, grid_settings, tune_rules, write_tuned


def test_the_grid_starts_with_the_rules_as_written_and_holds_every_combination() -> None:
    settings = grid_settings()
    assert settings[0] == DEFAULT_RULES
    combinations = 1
    for values in GRID.values():
        combinations *= len(values)
    # The rules as written are one point of the grid (every default value is among the tried ones).
    assert all(getattr(DEFAULT_RULES, knob) in values for knob, values in GRID.items())
    assert len(settings) == combinations
    assert len(set(settings)) == len(settings)


def test_settings_round_trip_and_bad_files_are_named(tmp_path: Path) -> None:
    custom = RuleSettings(open_first=False, questions_before_sample=1)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"settings": custom.to_dict()}))
    assert load_rule_settings(path) == custom
    path.write_text(json.dumps({"settings": {"open_first": False, "ask_forever": True}}))
    with pytest.raises(ValueError, match=r"rules\.json: unknown rule setting.*ask_forever"):
        load_rule_settings(path)
    path.write_text("not json")
    with pytest.raises(ValueError, match=r"rules\.json: not a rule settings file"):
        load_rule_settings(path)


def test_tuning_picks_the_best_mean_return_and_writes_its_table(
    tiny_catalog: Catalog, tmp_path: Path
) -> None:
    candidates = [DEFAULT_RULES, RuleSettings(open_first=False, questions_before_sample=1)]
    populations = [load_population("default"), load_population("impatient")]
    result = tune_rules(tiny_catalog, populations, n=60, seed=5, settings=candidates, workers=1)
    means = [row["mean_G"] for row in result.table]
    assert result.settings == candidates[max(range(2), key=lambda i: (means[i], -i))]
    for row in result.table:
        g = [row[p.name]["G"] for p in populations]
        assert row["mean_G"] == pytest.approx(sum(g) / 2)
        for p in populations:
            cell = row[p.name]
            assert cell["G"] == pytest.approx(cell["success"] - 0.05 * cell["turns"])
    written = json.loads(write_tuned(result, tmp_path / "tuned.json").read_text())
    assert load_rule_settings(tmp_path / "tuned.json") == result.settings
    assert written["chosen_by"] == "highest mean G over populations default, impatient"
    assert len(written["table"]) == 2
