"""What a person sees in a real browser (headless Chromium) after the tiny workflow: the MLflow UI on the
training runs and the data each read, optuna-dashboard with every study, the HTML report with its main table
and a figure, each with its caption. The tests read the pages' text; screenshots are kept in
results/screenshots/ for a person to look at."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser import MISSING, chromium, free_ports, page_text, start_server, stop_server, wait_for_port
from tiny_config import METHODS, ROOT, SEEDS
from tiny_workflow import snakemake

from renyi_kd.layout import Layout, study_id
from renyi_kd.tracking.mlflow_runs import DIGEST_CHARS, runs_url

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(MISSING is not None, reason=f"browser test {MISSING}")]

SCREENSHOTS = ROOT / "results" / "screenshots"


@pytest.fixture(scope="module")
def exp_dir(finished_workflow: Path) -> Path:
    return finished_workflow / "results" / "tiny"


@pytest.fixture(scope="module")
def servers(finished_workflow: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The MLflow UI (as `make ui` starts it, one worker) and the dashboard (as `make dashboard`), started at once."""
    logs = tmp_path_factory.mktemp("servers")
    results = finished_workflow / "results"
    mlflow_port, dashboard_port = free_ports(2)
    commands = {
        "mlflow": ([sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", f"sqlite:///{results / 'mlflow.db'}",
                    "--host", "127.0.0.1", "--port", str(mlflow_port), "--workers", "1"], mlflow_port),
        "dashboard": ([sys.executable, "-m", "renyi_kd.tracking.dashboard", "--config", str(finished_workflow / "config.yaml"),
                       "--results", str(results), "--port", str(dashboard_port)], dashboard_port),
    }
    started = {name: start_server(command, logs / f"{name}.log") for name, (command, _) in commands.items()}
    try:
        yield {name: wait_for_port(started[name], commands[name][1], logs / f"{name}.log") for name in started}
    finally:
        for server in started.values():
            stop_server(server)


@pytest.fixture(scope="module")
def driver() -> Iterator:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def report_html(finished_workflow: Path, exp_dir: Path) -> Path:
    """`make report` on the finished workflow: snakemake --report with the captions of workflow/report/."""
    path = Layout(exp_dir).report.html
    result = snakemake(finished_workflow, "--report", str(path.relative_to(finished_workflow)))
    assert result.returncode == 0, result.stderr[-3000:]
    return path


def test_mlflow_opens_on_the_training_runs_and_the_data_they_read(exp_dir: Path, servers: dict, driver) -> None:
    driver.get(runs_url(servers["mlflow"], exp_dir))
    fingerprint = json.loads(Layout(exp_dir).splits.read_text())["data_fingerprint"][:DIGEST_CHARS]
    studies = [study_id(method, 0) for method in METHODS]  # the tiny run's one cluster: teacher seed 0, repeat 0
    finals = [f"final/{study}/seed{seed}" for study in studies for seed in SEEDS]  # method, cluster and seed
    text = page_text(driver, "Runs", *finals, "teacher/seed0", "report", *(f"tune/{study}" for study in studies),
                     f"digits/transfer ({fingerprint})", f"digits/train ({fingerprint})")  # the Dataset column
    driver.save_screenshot(str(SCREENSHOTS / "mlflow_runs.png"))
    assert "No data available" not in text and "Judges" not in text  # not the GenAI overview and its menu


def test_the_dashboard_lists_every_study(servers: dict, driver) -> None:
    driver.get(f"{servers['dashboard']}/dashboard/")
    page_text(driver, *(f"tiny/{method}/" for method in METHODS))
    driver.save_screenshot(str(SCREENSHOTS / "optuna_dashboard.png"))


def _row(driver, report: Path, category: str, name: str) -> list:
    """The view and the about buttons of the file ``name`` (part of its path) in ``category`` of the report."""
    from selenium.webdriver.common.by import By

    driver.get(report.as_uri())
    page_text(driver, "Figures", "Tables")
    driver.find_element(By.LINK_TEXT, category).click()
    page_text(driver, name)
    return driver.find_element(By.XPATH, f"//tr[td[contains(., '{name}')]]").find_elements(By.TAG_NAME, "a")


def _open(driver, report: Path, category: str, name: str) -> str:
    """Show the file ``name`` of ``category`` in the report; the text of its caption."""
    _row(driver, report, category, name)[1].click()
    caption = page_text(driver, "DESCRIPTION").split("DESCRIPTION", 1)[1].split("SIZE", 1)[0]
    _row(driver, report, category, name)[0].click()
    return caption


def test_the_html_report_shows_a_figure_with_its_caption(report_html: Path, driver) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    caption = _open(driver, report_html, "Figures", "figures/accuracy_vs_alpha.png")
    assert "accuracy_vs_alpha" in caption and "{{" not in caption  # the caption's template was filled in
    shown = WebDriverWait(driver, 30).until(lambda d: [image for image in d.find_elements(By.TAG_NAME, "img")
                                                       if image.get_attribute("src").startswith("data:image/png")
                                                       and int(image.get_attribute("naturalWidth")) > 0])
    assert shown, "the figure did not load"
    driver.save_screenshot(str(SCREENSHOTS / "report_figure.png"))


def test_the_html_report_shows_the_main_table_with_its_caption(report_html: Path, exp_dir: Path, driver) -> None:
    from selenium.webdriver.common.by import By

    caption = _open(driver, report_html, "Tables", "tables/main.")
    assert "Main results of experiment tiny" in caption and "{{" not in caption
    frames = driver.find_elements(By.TAG_NAME, "iframe")
    assert frames, ("the report offers the main table only as a download, not as a page: it shows HTML (and "
                    "images, PDF) inline, so the report rule should register an HTML table")
    driver.save_screenshot(str(SCREENSHOTS / "report_table.png"))
    driver.switch_to.frame(frames[0])
    try:
        rows = [line.split("|")[1].strip() for line in Layout(exp_dir).report.table("main", "md").read_text()
                .splitlines() if line.startswith("|") and not line.startswith("|:")]
        page_text(driver, *rows)  # the header and every method's row of the main table
    finally:
        driver.switch_to.default_content()
