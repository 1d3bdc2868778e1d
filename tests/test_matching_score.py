"""The pair score and the hard constraints, on hand-made members."""

from __future__ import annotations

from datetime import date

from bot.matching import propose
from bot.matching.score import BASE, HELP, MUTUAL, SHARED_NEED
from tests.support.matching_people import member

WEEK = date(2025, 1, 13)


def paired(proposal) -> set[tuple[int, int]]:
    return {(pair.a, pair.b) for pair in proposal.pairs}


def test_a_mutual_pair_scores_far_above_a_one_way_pair():
    mutual = propose(
        [
            member(1, offers=["python"], needs=["design"]),
            member(2, offers=["design"], needs=["python"]),
        ],
        week_start=WEEK,
    )
    one_way = propose(
        [
            member(1, offers=["python", "sql"], needs=["design"]),
            member(2, offers=["cooking"], needs=["python", "sql"]),
        ],
        week_start=WEEK,
    )
    assert mutual.pairs[0].score == HELP * 2 + MUTUAL + BASE == 110
    assert one_way.pairs[0].score == HELP * 2 + BASE == 70


def test_two_who_cannot_help_each_other_are_no_pair_even_with_needs_in_common():
    proposal = propose(
        [
            member(1, offers=["time"], needs=["data", "spanish"]),
            member(2, offers=["time"], needs=["writing", "spanish"]),
        ],
        week_start=WEEK,
    )
    assert proposal.pairs == ()
    assert proposal.sit_out_reasons == {1: "no_fit", 2: "no_fit"}
    # One way is enough: the one who can help makes it a pair.
    one_way = propose(
        [
            member(1, offers=["time"], needs=["data"]),
            member(2, offers=["cooking"], needs=["time"]),
        ],
        week_start=WEEK,
    )
    assert [(pair.a, pair.b) for pair in one_way.pairs] == [(1, 2)]


def test_shared_needs_add_a_little():
    both_learn = propose(
        [
            member(1, offers=["python"], needs=["design", "spanish"]),
            member(2, offers=["design"], needs=["python", "spanish"]),
        ],
        week_start=WEEK,
    )
    assert both_learn.pairs[0].score == 110 + SHARED_NEED


def test_the_matching_prefers_two_mutual_pairs_to_a_strong_one_way_pair():
    people = [
        member(1, offers=["python", "sql", "go"], needs=["design"]),
        member(2, offers=["design"], needs=["python"]),
        member(3, offers=["cooking"], needs=["python", "sql", "go", "spanish"]),
        member(4, offers=["spanish"], needs=["cooking"]),
    ]
    # 1–3 is worth 90, one way; 1–2 and 3–4 help both ways (110 each); the rest 30.
    assert paired(propose(people, week_start=WEEK)) == {(1, 2), (3, 4)}


def test_no_shared_language_no_pair():
    proposal = propose(
        [member(1, languages=["de"]), member(2, languages=["fr", "es"])], week_start=WEEK
    )
    assert proposal.pairs == ()
    assert proposal.sit_out_reasons == {1: "no_fit", 2: "no_fit"}


def test_a_shared_language_among_several_is_enough():
    proposal = propose(
        [member(1, languages=["de", "uk"]), member(2, languages=["fr", "uk"])], week_start=WEEK
    )
    assert paired(proposal) == {(1, 2)}
    assert proposal.pairs[0].reasons.languages == ("uk",)


def test_no_common_hour_no_pair():
    proposal = propose(
        [member(1, availability=["mon_morning"]), member(2, availability=["mon_afternoon"])],
        week_start=WEEK,
    )
    assert proposal.pairs == ()


def test_in_person_never_pairs_with_video():
    proposal = propose(
        [member(1, format="in_person", city="berlin"), member(2, format="video")],
        week_start=WEEK,
    )
    assert proposal.pairs == ()


def test_in_person_needs_the_same_city():
    other_city = propose(
        [member(1, format="in_person", city="berlin"), member(2, format="in_person", city="wien")],
        week_start=WEEK,
    )
    same_city = propose(
        [
            member(1, format="in_person", city="berlin"),
            member(2, format="in_person", city="berlin"),
        ],
        week_start=WEEK,
    )
    assert other_city.pairs == ()
    assert paired(same_city) == {(1, 2)}
    assert same_city.pairs[0].reasons.in_person


def test_either_meets_in_person_in_the_same_city_and_by_video_elsewhere():
    with_in_person = propose(
        [member(1, format="in_person", city="berlin"), member(2, format="either", city="berlin")],
        week_start=WEEK,
    )
    in_person_elsewhere = propose(
        [member(1, format="in_person", city="berlin"), member(2, format="either", city="wien")],
        week_start=WEEK,
    )
    either_elsewhere = propose(
        [member(1, format="either", city="berlin"), member(2, format="either", city="wien")],
        week_start=WEEK,
    )
    with_video = propose(
        [member(1, format="either", city="berlin"), member(2, format="video")], week_start=WEEK
    )
    assert with_in_person.pairs[0].reasons.in_person
    assert in_person_elsewhere.pairs == ()
    assert paired(either_elsewhere) == {(1, 2)}
    assert not either_elsewhere.pairs[0].reasons.in_person
    assert paired(with_video) == {(1, 2)}
    assert not with_video.pairs[0].reasons.in_person


def test_an_exclusion_in_either_direction_keeps_two_apart():
    for people in (
        [member(1, excluded=[2]), member(2)],
        [member(1), member(2, excluded=[1])],
    ):
        proposal = propose(people, week_start=WEEK)
        assert proposal.pairs == ()
        assert proposal.sit_out_reasons == {1: "no_fit", 2: "no_fit"}


def test_the_reasons_say_why_in_both_directions():
    alex = member(
        7,
        offers=["public_speaking", "python"],
        needs=["time_management", "spanish"],
        languages=["en", "de"],
        timezone="Europe/Berlin",
        availability=["mon_evening", "thu_evening"],
    )
    sam = member(
        3,
        offers=["time_management"],
        needs=["public_speaking", "spanish"],
        languages=["de"],
        timezone="Europe/Vienna",
        availability=["thu_evening", "fri_evening"],
    )
    (pair,) = propose([alex, sam], week_start=WEEK).pairs
    assert (pair.a, pair.b) == (3, 7)  # a is the smaller id: Sam
    assert pair.reasons.a_helps_b == ("time_management",)
    assert pair.reasons.b_helps_a == ("public_speaking",)
    assert pair.reasons.shared_needs == ("spanish",)
    assert pair.reasons.languages == ("de",)
    assert [(t.start.isoformat(), t.end.isoformat()) for t in pair.reasons.common_times] == [
        ("2025-01-16T16:00:00+00:00", "2025-01-16T20:00:00+00:00")
    ]
    assert pair.score == 110 + SHARED_NEED
    assert type(pair.reasons).from_json(pair.reasons.to_json()) == pair.reasons


def test_members_with_many_topics_score_by_the_same_formula():
    many = [f"t{i}" for i in range(45)]
    for size in (3, 8, 45):  # the byte table, the 16-bit table, plain arithmetic
        alex = member(1, offers=many[:size], needs=["design", "spanish"])
        sam = member(2, offers=["design"], needs=[*many[: size - 1], "spanish"])
        (pair,) = propose([alex, sam], week_start=WEEK).pairs
        assert pair.score == HELP * (size - 1 + 1) + MUTUAL * 1 + SHARED_NEED * 1 + BASE
