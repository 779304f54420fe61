"""The ``alluvium`` command line: one module per command group, registered on ``main``."""

from __future__ import annotations

import click

from app.cli._common import _app, _friendly  # noqa: F401  (re-exported for callers and tests)


@click.group()
def main() -> None:
    """Alluvium: FAIR metadata authoring and trusted repository for Earth-science data.

    Configuration comes from the instance folder (ALLUVIUM_INSTANCE_PATH) and ALLUVIUM_*
    environment variables; see docs/configuration.md.
    """


def _register() -> None:
    from app.cli import (
        archive,
        communities,
        db,
        doi,
        exports,
        jobs,
        oai,
        records,
        search,
        serve,
        stats,
        storage,
        storage_migrate,
        storage_uploads,
        tokens,
        users,
        vocab,
    )

    main.add_command(db.db)
    main.add_command(archive.archive)
    main.add_command(users.users)
    main.add_command(tokens.tokens)
    main.add_command(communities.communities)
    main.add_command(serve.serve)
    main.add_command(serve.demo)
    main.add_command(jobs.jobs)
    main.add_command(storage.storage)
    storage.storage.add_command(storage_migrate.storage_migrate)
    storage.storage.add_command(storage_uploads.storage_expire_uploads)
    main.add_command(vocab.vocab)
    main.add_command(oai.oai)
    main.add_command(doi.doi)
    main.add_command(records.records)
    main.add_command(search.search)
    main.add_command(stats.stats)
    main.add_command(exports.import_command)
    main.add_command(exports.export_command)


_register()

if __name__ == "__main__":  # pragma: no cover
    main()
