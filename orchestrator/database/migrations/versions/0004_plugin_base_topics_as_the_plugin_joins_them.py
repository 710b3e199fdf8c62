"""plugin base topics as the plugin joins them

Until now a plugin printer's base topic was stored without its trailing slash and joined
with one (`{base}/event/...`). The real plugin joins with nothing (`{base}event/...`), and
the base is now stored as the maker copies it from the plugin. A base stored the old way
meant `{base}/`: it gets its slash, so the printer keeps its topics.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE printer SET mqtt_base_topic = mqtt_base_topic || '/' "
            "WHERE connection_kind = 'octoprint-mqtt' AND mqtt_base_topic IS NOT NULL "
            "AND mqtt_base_topic NOT LIKE '%/'"
        )
    )


def downgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE printer SET mqtt_base_topic = substr(mqtt_base_topic, 1, "
            "length(mqtt_base_topic) - 1) "
            "WHERE connection_kind = 'octoprint-mqtt' AND mqtt_base_topic LIKE '%/'"
        )
    )
