"""Operator commands for the catalog: ``baeji achievement create|list|archive``."""

from __future__ import annotations

import click

from issuer.achievements import service as catalog
from issuer.commands import (
    ISSUER_HELP,
    artwork_source,
    command_app,
    echo_json,
    open_session,
    work,
)
from issuer.issuers import service as accounts
from issuer.schemas import AchievementCreate, CriteriaIn

# -- achievements ---------------------------------------------------------------------------


@click.group("achievement")
def achievement_group() -> None:
    """Define courses (achievements)."""


@achievement_group.command("create")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
@click.option("--name", required=True, help="The course's name, e.g. '파이썬 데이터 분석 기초'.")
@click.option("--description", required=True, help="What the course is about.")
@click.option("--criteria", "narrative", required=True, help="How the badge is earned.")
@click.option(
    "--type",
    "achievement_type",
    default="Course",
    show_default=True,
    help="OB 3.0 achievementType, e.g. Course, Certificate, Competency.",
)
@click.option("--tag", "tags", multiple=True, help="Repeat for several tags.")
@click.option(
    "--image",
    default=None,
    metavar="FILE|URL",
    help="The badge's own artwork (PNG, JPEG or SVG, at most 512 KiB).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the achievement as JSON.")
def achievement_create(
    slug: str,
    name: str,
    description: str,
    narrative: str,
    achievement_type: str,
    tags: tuple[str, ...],
    image: str | None,
    as_json: bool,
) -> None:
    """Create an achievement and print its id."""
    app = command_app()
    reference, checked = artwork_source(app, image, "image") if image else (None, None)
    with work(app) as unit:
        issuer = accounts.issuer_by_slug(unit.session, slug)
        data = AchievementCreate(
            name=name,
            description=description,
            criteria=CriteriaIn(narrative=narrative),
            achievement_type=achievement_type,
            tag=list(tags),
            image=reference,
        )
        acting = unit.acting_for(issuer)
        row = catalog.create_achievement(acting, data, artwork=checked)
        out = catalog.achievement_out(acting, row)
    if as_json:
        echo_json(out.to_json())
    else:
        click.echo(f"{row.id}\t{out.id}")


@achievement_group.command("list")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
@click.option("--archived", "include_archived", is_flag=True, help="Also list archived ones.")
def achievement_list(slug: str, include_archived: bool) -> None:
    """List an issuer's achievements."""
    app = command_app()
    with open_session(app) as (session, _conf):
        issuer = accounts.issuer_by_slug(session, slug)
        for row in catalog.list_achievements(session, issuer, include_archived=include_archived):
            mark = "\t(archived)" if row.archived_at is not None else ""
            click.echo(f"{row.id}\t{row.name}{mark}")


@achievement_group.command("archive")
@click.option("--issuer", "slug", required=True, help=ISSUER_HELP)
@click.argument("achievement")
def achievement_archive(slug: str, achievement: str) -> None:
    """Archive an achievement: no new badges; badges already issued keep resolving."""
    app = command_app()
    with work(app) as unit:
        issuer = accounts.issuer_by_slug(unit.session, slug)
        row = catalog.archive_achievement(unit.acting_for(issuer), achievement)
    click.echo(f"archived {row.id}\t{row.name}")
