"""Alembic environment shared by the host and every plugin.

The runner in ``sikd_host.migrations`` (the module) passes the connection, the version table
and the metadata to compare in ``config.attributes``; nothing here reads a URL or an ini file.
"""

from alembic import context

config = context.config
connection = config.attributes["connection"]

context.configure(
    connection=connection,
    target_metadata=config.attributes.get("target_metadata"),
    version_table=config.attributes.get("version_table", "alembic_version"),
    include_name=config.attributes.get("include_name"),
    include_object=config.attributes.get("include_object"),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)

with context.begin_transaction():
    context.run_migrations()
