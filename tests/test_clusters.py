"""Clusters (one teacher and one tuning draw): study ids carry both, and the workflow fans out over them, each
study and final job reading its own teacher's logits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from renyi_kd.layout import Layout, Study, parse_study, study_id, study_ids, study_pattern
from tiny_config import METHODS, tiny_config
from tiny_workflow import snakemake

TEACHERS, REPEATS = [0, 1], 2


def test_study_ids_round_trip_with_teacher_and_repeat() -> None:
    for method in ("kl", "renyi-a0.5", "ce-ls", "renyi-ainf"):
        for teacher, repeat in ((0, 0), (1, 0), (0, 3), (12, 10)):
            study = study_id(method, teacher, repeat)
            assert parse_study(study) == Study(method, teacher, repeat) and parse_study(study).teacher == teacher
            assert re.fullmatch(study_pattern([method, "kl"]), study)
    assert study_id("kl", 0) == "kl/teacher0/repeat0"  # one scheme for one cluster and for many
    for bad in ("kl", "kl/repeat1", "kl/teacher01/repeat0", "kl/teacher0", "kl/teacher0/repeat0/seed1"):
        with pytest.raises(ValueError, match="not a study id"):
            parse_study(bad)
        assert not re.fullmatch(study_pattern(["kl"]), bad)
    with pytest.raises(ValueError):
        study_id("kl", -1)
    expected = [study_id(m, t, r) for m in ("ce", "kl") for t in (0, 5) for r in (0, 1)]
    assert study_ids(["ce", "kl"], [0, 5], 2) == expected


def test_every_path_of_a_cluster_comes_from_the_layout(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    assert layout.teacher(1).logits == tmp_path / "teacher" / "seed1" / "logits.safetensors"
    study = study_id("kl", 1, 2)
    assert layout.study(study).best == tmp_path / "tune" / "kl" / "teacher1" / "repeat2" / "best.json"
    assert layout.final(study, 3).metrics == tmp_path / "final" / study / "seed3" / "metrics.json"
    for found in (study, study_id("kl", 0, 0), study_id("kl-x", 0, 0)):
        layout.study(found).dir.mkdir(parents=True)
    (tmp_path / "tune" / "kl" / "workers").mkdir()  # not a study
    assert layout.studies("kl") == [Study("kl", 0, 0), Study("kl", 1, 2)]


def _jobs(output: str) -> list[dict[str, str]]:
    """The jobs of a dry run: rule name and its input, output and wildcards lines."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule )", output):
        match = re.match(r"(?:local)?rule (\w+):", block)
        if match:
            fields = dict(re.findall(r"^\s+(input|output|wildcards): (.*)$", block, flags=re.M))
            jobs.append({"rule": match[1], **fields})
    return jobs


@pytest.mark.e2e
def test_a_dry_run_fans_out_over_teachers_and_repeats(tmp_path: Path) -> None:
    config = tiny_config("tiny")
    config["teacher"]["seeds"], config["tuning"]["repeats"] = TEACHERS, REPEATS
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    jobs = _jobs(result.stdout + result.stderr)
    by_rule = {rule: [job for job in jobs if job["rule"] == rule] for rule in {job["rule"] for job in jobs}}
    for rule in ("train_teacher", "export_logits"):
        assert sorted(job["wildcards"] for job in by_rule[rule]) == [f"teacher={t}" for t in TEACHERS]
    studies = sorted(study_ids(METHODS, TEACHERS, REPEATS))
    assert len(studies) == len(METHODS) * len(TEACHERS) * REPEATS
    final = [rule for rule in by_rule if rule.startswith("final_")]
    for rule in ("tune", *final):
        assert sorted(job["wildcards"] for job in by_rule[rule]) == [f"study={s}" for s in studies]
        for job in by_rule[rule]:  # each study and final job reads its own teacher's logits, no other's
            teacher = parse_study(job["wildcards"].removeprefix("study=")).teacher
            logits = {str(Layout("results/tiny").teacher(t).logits) for t in TEACHERS}
            assert set(job["input"].split(", ")) & logits == {str(Layout("results/tiny").teacher(teacher).logits)}
