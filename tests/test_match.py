"""Grouping decisions, without a database: the pure grouper on its own."""

from datetime import UTC, datetime, timedelta

import pytest

from aggregator.match import Grouper, MatchSettings, extract_features
from aggregator.match.text import fold, split_title

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
SEED = "Halle und Leipzig: Neue Wege der Zusammenarbeit nach Antrittsbesuch!"
SEED_BODY = (
    "Die Oberbürgermeister von Halle und Leipzig haben bei einem Antrittsbesuch vereinbart, "
    "bei Verkehr, Wirtschaft und Kultur enger zusammenzuarbeiten."
)
SEED_C = "Antrittsbesuch in Leipzig: Halle und Leipzig wollen enger zusammenarbeiten"
SEED_C_BODY = (
    "Halle und Leipzig wollen künftig enger zusammenarbeiten, das haben die Oberbürgermeister "
    "beim Antrittsbesuch in Leipzig vereinbart."
)
OTHERS = [
    (
        "Leipzig: Straßenbahnlinie 11 fällt wegen Bauarbeiten bis Freitag aus",
        "Die LVB richten einen Ersatzverkehr mit Bussen ein.",
    ),
    (
        "Halle: Neuer Spielplatz am Hufeisensee eröffnet",
        "Nach zwei Jahren Bauzeit können Kinder den Spielplatz am Hufeisensee nutzen.",
    ),
    (
        "Leipzig: Polizei sucht Zeugen nach Unfall auf der B2",
        "Ein Radfahrer wurde am Morgen schwer verletzt.",
    ),
    (
        "Magdeburg: Landtag berät über den Doppelhaushalt 2026",
        "Die Fraktionen streiten über Investitionen in Schulen.",
    ),
]


def group(items: list[tuple[str, str]], threshold: float = 0.4) -> list[int]:
    """Feed items through a grouper in order; returns each item's story number."""
    grouper = Grouper(MatchSettings(threshold=threshold))
    stories: list[int] = []
    for key, (title, summary) in enumerate(items):
        features = extract_features(title, summary)
        decision = grouper.decide(NOW, features)
        story = decision.story_key if decision.story_key is not None else key
        grouper.add(key, story, NOW, features)
        stories.append(story)
    return stories


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 0, 1], [1, 2, 0]])
def test_seed_story_groups_in_any_order(order: list[int]) -> None:
    seed = [(SEED, SEED_BODY), (SEED, SEED_BODY), (SEED_C, SEED_C_BODY)]
    items = [seed[i] for i in order] + OTHERS
    stories = group(items)
    assert len(set(stories[:3])) == 1
    assert len(set(stories)) == 1 + len(OTHERS)


def test_stories_sharing_only_a_place_name_stay_apart() -> None:
    items = [
        ("Leipzig: Straßenbahnlinie 11 fällt wegen Bauarbeiten bis Freitag aus", ""),
        ("Leipzig: Polizei sucht Zeugen nach Unfall auf der B2", ""),
        ("Leipzig: Zoo meldet Nachwuchs bei den Elefanten", ""),
        ("Leipzig: Stadtrat beschließt Haushalt für 2027", ""),
    ]
    assert len(set(group(items))) == 4


@pytest.mark.parametrize(
    "variant",
    [
        "halle und leipzig: neue wege der zusammenarbeit nach antrittsbesuch",
        "+++ Halle und Leipzig: Neue Wege der Zusammenarbeit nach Antrittsbesuch! +++",
        "Neue Wege der Zusammenarbeit nach Antrittsbesuch",
        "Halle und Leipzig: „Neue Wege“ der Zusammenarbeit nach Antrittsbesuch",
        "Halle und Leipzig – Neue Wege der Zusammenarbeit nach Antrittsbesuch!",
        "Halle und Leipzig: Neue Wege der Zusammenarbeit nach Antrittsbesuch | LVZ",
        "Halle und Leipzig: Neue Wege der Zusammenarbeit nach Antrittsbesuch - Mitteldeutsche Zeitung",
        "Eilmeldung: Halle und Leipzig: Neue Wege der Zusammenarbeit nach Antrittsbesuch",
    ],
)
def test_near_identical_headlines_always_group(variant: str) -> None:
    stories = group([(SEED, ""), (variant, ""), *OTHERS])
    assert stories[0] == stories[1]


def test_entries_outside_the_window_do_not_group() -> None:
    grouper = Grouper(MatchSettings(window=timedelta(hours=72)))
    features = extract_features(SEED, SEED_BODY)
    grouper.add(1, 1, NOW, features)
    assert grouper.decide(NOW + timedelta(hours=71), features).story_key == 1
    assert grouper.decide(NOW + timedelta(hours=73), features).story_key is None


def test_decision_explains_itself() -> None:
    grouper = Grouper(MatchSettings())
    grouper.add(1, 7, NOW, extract_features(SEED, SEED_BODY))
    decision = grouper.decide(NOW, extract_features(SEED_C, SEED_C_BODY))
    assert decision.story_key == 7
    assert decision.method == "title+summary"
    assert 0.4 <= decision.score <= 1.0
    assert {"antrittsbesuch", "leipzig"} <= set(decision.matched_terms)


def test_remove_and_evict_forget_entries() -> None:
    grouper = Grouper(MatchSettings())
    features = extract_features(SEED, SEED_BODY)
    grouper.add(1, 1, NOW - timedelta(days=10), features)
    grouper.add(2, 2, NOW, extract_features(*OTHERS[0]))
    assert grouper.evict_before(NOW - timedelta(days=5)) == 1
    assert len(grouper) == 1 and 1 not in grouper
    grouper.remove(2)
    assert len(grouper) == 0


def test_typography_and_umlauts_fold() -> None:
    assert fold("„Größe“ – Straße") == '"groesse" - strasse'
    assert split_title("+++ Leipzig: Brand in Plagwitz +++") == ("Leipzig", "Brand in Plagwitz")
    assert split_title("Brand in Plagwitz | Leipziger Volkszeitung") == ("", "Brand in Plagwitz")


def test_grouping_session_evicts_what_can_no_longer_match(sqlite_url: str) -> None:
    from aggregator.grouping import GroupingSession
    from aggregator.store import Database

    db = Database(sqlite_url)
    grouping = GroupingSession(MatchSettings(window=timedelta(hours=72)))
    try:
        with db.session() as session:
            grouping.cover(session, NOW, NOW)
            grouping.index(1, 1, "Alte Meldung über den Stadtrat", "", NOW)
            later = NOW + timedelta(days=10)
            grouping.cover(session, later, later)
            grouping.index(2, 2, "Neue Meldung über den Zoo", "", later)
        assert 1 not in grouping.grouper and 2 in grouping.grouper
    finally:
        db.close()
