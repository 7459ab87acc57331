"""An alert's reason leaves no personal data and no secret, on one line."""

from __future__ import annotations

from upflux_etl.alerts import Alert, AlertConfig, scrub


def test_scrub_removes_credentials_quoted_values_numbers_and_lines():
    reason = (
        "OperationalError: could not connect to postgresql://etl:hunter2@erp.hosp:5432/tasy "
        "for patient 'Maria da Silva' cpf 123.456.789-09 cns 898001160000000 mail a.b@x.org\n"
        "Traceback line 2 password=hunter2"
    )
    line = scrub(reason)
    for leaked in ("hunter2", "Maria", "123.456", "898001160000000", "a.b@x.org", "Traceback"):
        assert leaked not in line
    # the user stays (hospital IT needs to know which login failed), the password goes
    assert line.startswith("OperationalError: could not connect to postgresql://etl:***@erp.hosp")


def test_scrub_keeps_one_short_line():
    assert len(scrub("x" * 1000)) == 200
    assert scrub("\n\n  first  \nsecond") == "first"


def test_password_key_values_are_hidden():
    assert scrub("login failed: password: abc123") == "login failed: password=***"


def test_config_reads_the_environment_and_trims_the_ui_url():
    config = AlertConfig.from_env(
        {
            "UPFLUX_ALERT_SMTP_HOST": "smtp.local",
            "UPFLUX_ALERT_SMTP_TO": "a@x, b@x",
            "UPFLUX_UI_URL": "https://dagster.x/",
        }
    )
    assert config.email and config.smtp_to == ("a@x", "b@x") and config.smtp_port == 25
    assert config.webhook_url is None
    alert = Alert.build("run_failure", "h1", "r1", "s", "boom", config.ui_url)
    assert alert.link == "https://dagster.x/runs/r1"
    assert not AlertConfig.from_env({}).email
