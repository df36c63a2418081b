"""Re-running grouping over stored entries with the current settings.

Entries whose membership a user corrected (merge, split) stay where they are. Every other
entry in the span is grouped again in publishing order; a report that starts a story again
gets its old story id back when that story is free, so exported ids stay stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aggregator.grouping import GroupingSession
from aggregator.match import MatchSettings
from aggregator.models import Decision, Settings
from aggregator.store import Database, corrections, repository


@dataclass(slots=True, frozen=True)
class RegroupSummary:
    entries: int
    moved: int
    stories_before: int
    stories_after: int


def regroup(
    db: Database, settings: Settings, since: datetime | None, now: datetime
) -> RegroupSummary:
    grouping = GroupingSession(
        MatchSettings(
            threshold=settings.match_threshold,
            bare_threshold=settings.match_bare_threshold,
            window=settings.match_window,
        )
    )
    with db.session() as session:
        grouping.begin_turn(session)  # running workers see the result at their next turn
        detached = corrections.detach_unpinned(session, since)
        old_stories = sorted({d.old_story for d in detached})
        free = corrections.empty_stories(session, old_stories)
        before = len(old_stories)
        moved = 0
        assigned: set[int] = set()
        for item in detached:
            grouping.cover(session, item.published, item.published)
            decision = grouping.decide(item.title, item.summary_text, item.published)
            if decision.story_key is None:
                if item.old_story in free:
                    story_id = item.old_story
                    free.discard(story_id)
                else:
                    story_id = repository.new_story(
                        session, item.entry_id, item.entry, item.region, now
                    )
                decision = Decision(story_id, 1.0, "new", ())
            else:
                story_id = decision.story_key
            repository.attach(session, item.entry_id, story_id, decision, now)
            grouping.index(item.entry_id, story_id, item.title, item.summary_text, item.published)
            moved += story_id != item.old_story
            assigned.add(story_id)
        # Stories that lost members are recomputed; those left empty are deleted.
        corrections.refresh_stories(session, old_stories)
        grouping.end_turn(session, [d.entry_id for d in detached])
        session.commit()
    return RegroupSummary(len(detached), moved, before, len(assigned))
