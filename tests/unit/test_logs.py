import json

import structlog

from schemas.settings import load_settings
from wcpulse.logs import configure_logging, redact_secrets


def test_fields_that_name_secrets_are_redacted():
    event = {"shop_id": "s", "webhook_secret": "abc", "api_token": "t", "Authorization": "x"}
    redacted = redact_secrets(None, "info", dict(event))
    assert redacted["shop_id"] == "s"
    assert {redacted[k] for k in ("webhook_secret", "api_token", "Authorization")} == {"[redacted]"}


def test_logs_are_json_lines_with_shop_topic_and_resource_on_stderr(capsys):
    configure_logging(load_settings({}))
    structlog.get_logger("t").info(
        "batch_committed", shop_id="shp_1", topic="order.updated", resource_id=7, secret="s3"
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["shop_id"], line["topic"], line["resource_id"]) == ("shp_1", "order.updated", 7)
    assert line["secret"] == "[redacted]" and "s3" not in json.dumps(line)
    structlog.reset_defaults()
