"""The dialogue manager, specified conversation by conversation on a small hand-made catalogue."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.dialogue.actions import Action
from assistant.dialogue.manager import Reply
from assistant.dialogue.phrasing import PROMPTS
from assistant.dialogue.policy import DONT_KNOW_LIMIT, available_actions, greedy
from assistant.dialogue.state import DialogueState, Status
from assistant.events import ConversationEnded, Decision, Playback, ReplyEvent
from tests.conftest import AlwaysSamples


def talk(manager, *turns: str, **kwargs) -> list[Reply]:
    return [manager.step(t, **kwargs) for t in turns]


def first_sample(replies: list[Reply]) -> Reply:
    return next(r for r in replies if r.action == Action.PLAY_SAMPLE)


def test_upbeat_rock_request_ends_with_an_accepted_upbeat_rock_station(tiny_catalog, make_manager):
    manager, events = make_manager(tiny_catalog)
    replies = talk(manager, "help me find music", "something upbeat", "rock")
    sample = replies[-1].sample
    assert replies[-1].action == Action.PLAY_SAMPLE
    assert sample is not None and sample.genre == "rock" and sample.energy >= 0.7
    final = manager.step("yes I love it")
    assert final.done and final.status == Status.ACCEPTED
    assert final.sample == sample
    assert final.station[0] == sample and len(final.station) == 10
    assert len({t.id for t in final.station}) == 10
    assert events.of(ConversationEnded)[-1].status == Status.ACCEPTED
    assert events.of(Playback)[-1].kind == "station"


def test_first_prompt_of_the_rule_policy_is_the_open_question(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    assert manager.step("help me find music").action == Action.OPEN_QUESTION


def test_laid_back_or_upbeat_is_asked_when_the_open_question_gets_no_answer(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    replies = talk(manager, "help me find music", "I don't know")
    assert replies[-1].action == Action.MOOD_QUESTION
    assert "laid back" in replies[-1].text.lower() or "chilled" in replies[-1].text.lower()


def test_leading_with_an_artist_plays_that_artist_first(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    reply = manager.step("play something like copper atlas")
    assert reply.action == Action.PLAY_SAMPLE
    assert reply.sample is not None and reply.sample.artist == "Copper Atlas"


def test_an_unknown_artist_is_acknowledged_and_the_conversation_goes_on(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    reply = manager.step("something like Zyxwv Qrstu please")
    assert "zyxwv qrstu" in reply.text.lower()
    assert not reply.done


def test_rejections_never_repeat_a_sample_and_change_tack(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    replies = talk(manager, "jazz", "no", "no", "nope", "not that")
    samples = [r.sample.id for r in replies if r.action == Action.PLAY_SAMPLE and r.sample]
    assert len(samples) == len(set(samples))
    # After two misses in a row, the rules ask something new instead of another blind sample.
    assert any(r.action != Action.PLAY_SAMPLE for r in replies[2:])


def test_relative_steering_moves_era_and_energy_from_the_sample_playing(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    first = manager.step("play something like copper atlas").sample
    assert first is not None
    older = manager.step("no, older")
    assert older.sample is not None and older.sample.year < first.year
    calmer = manager.step("calmer")
    assert calmer.action == Action.PLAY_SAMPLE and calmer.sample is not None
    assert manager.state.constraints.energy is not None
    assert calmer.sample.energy <= older.sample.energy + 1e-9


@pytest.mark.parametrize(
    ("utterance", "status"),
    [
        ("stop", Status.STOPPED),
        ("quit", Status.STOPPED),
        ("forget it", Status.ABANDONED),
        ("this is useless", Status.ABANDONED),
    ],
)
def test_stopping_and_giving_up_close_politely(tiny_catalog, make_manager, utterance, status):
    manager, events = make_manager(tiny_catalog)
    manager.step("help me find music")
    reply = manager.step(utterance)
    assert reply.done and reply.status == status and reply.action == "close"
    assert events.of(ConversationEnded)[-1].status == status
    after = manager.step("hello?")
    assert after.action == "ended" and after.done


def test_not_understood_repeats_the_pending_question_without_moving_on(tiny_catalog, make_manager):
    manager, events = make_manager(tiny_catalog)
    asked = manager.step("help me find music")
    decisions = len(events.of(Decision))
    again = manager.step("zxq vbnm plok")
    assert again.action == "repeat"
    assert again.text.startswith("Sorry") or again.text.startswith("Hmm")
    assert len(events.of(Decision)) == decisions, "a repair is not a policy decision"
    assert asked.action == manager.state.last_action


def test_silence_is_noticed(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    assert "didn't hear anything" in manager.step("").text


def test_help_explains_and_asks_again(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    reply = manager.step("what can I say?")
    assert "genre" in reply.text and reply.action == "repeat"


def test_low_recognition_confidence_triggers_a_confirmation(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    reply = manager.step("jazz", asr_confidence=0.3)
    assert reply.action == "confirm" and reply.text == "Jazz, did I get that right?"
    assert not manager.state.constraints.genres
    confirmed = manager.step("yes")
    assert manager.state.constraints.genres == ("jazz",)
    assert confirmed.action != "confirm"


def test_a_declined_confirmation_discards_what_was_heard(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    manager.step("jazz", asr_confidence=0.3)
    reply = manager.step("no")
    assert not manager.state.constraints.genres
    assert "sorry" in reply.text.lower() or "oops" in reply.text.lower()


def test_loud_delivery_raises_sentiment_intensity(tiny_catalog, make_manager):
    quiet, _ = make_manager(tiny_catalog)
    loud, _ = make_manager(tiny_catalog)
    for m in (quiet, loud):
        m.step("jazz")
    quiet.step("yes", loudness=1.0, pitch=1.0)
    loud.step("yes", loudness=1.6, pitch=1.3)
    assert loud.state.sentiments[-1] > quiet.state.sentiments[-1] > 0


def test_accepting_a_station_offer_starts_playback(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    manager.step("jazz")
    for _ in range(8):
        reply = manager.step("no")
        if reply.action == Action.OFFER_STATION:
            break
    else:
        pytest.fail("the rules never offered a station after repeated rejections")
    final = manager.step("yes")
    assert final.status == Status.ACCEPTED and final.station


def test_a_hundred_turn_exploration_stays_coherent(tiny_catalog, make_manager):
    manager, events = make_manager(tiny_catalog, seed=3)
    rng = np.random.default_rng(7)
    moves = [
        "no",
        "skip",
        "something else",
        "older",
        "newer",
        "more upbeat",
        "calmer",
        "jazz",
        "rock",
        "I don't know",
        "asdf qwer",
        "",
        "what can I say",
        "something for studying",
        "nah",
    ]
    replies = [manager.step("help me find music")]
    for _ in range(99):
        replies.append(manager.step(str(rng.choice(moves))))
        assert not replies[-1].done
    samples = [r.sample.id for r in replies if r.action == Action.PLAY_SAMPLE and r.sample]
    assert len(samples) > 20
    assert len(samples) == len(set(samples)), "a sample was offered twice"
    # No loop: the assistant never says exactly the same thing three times running.
    texts = [e.text for e in events.of(ReplyEvent)]
    assert all(not (a == b == c) for a, b, c in zip(texts, texts[1:], texts[2:], strict=False))
    # Constraints were changed along the way, and the last ones are the ones in force.
    assert manager.state.constraints.genres
    assert replies[-1].text


def test_every_decision_logs_a_distribution_over_available_actions(tiny_catalog, make_manager):
    manager, events = make_manager(tiny_catalog)
    talk(manager, "help me find music", "something upbeat", "no idea", "no", "skip")
    for d in events.of(Decision):
        assert abs(sum(d.probabilities.values()) - 1.0) < 1e-6
        assert d.probabilities[d.action] == pytest.approx(d.propensity)
        assert set(d.features) >= {"turn", "n_known", "log_candidates", "sentiment_mean"}


def test_an_activity_settles_the_feel_and_two_dont_knows_end_the_quizzing():
    from dataclasses import replace

    state = DialogueState()
    state.constraints = replace(state.constraints, activity="workout")
    available = available_actions(state, can_pair=True, can_suggest_artist=True, can_sample=True)
    assert Action.MOOD_QUESTION not in available  # "for a workout" already says upbeat
    assert Action.GENRE_PAIR in available and Action.ERA_QUESTION in available

    state = DialogueState(dont_know_count=DONT_KNOW_LIMIT - 1)
    available = available_actions(state, can_pair=True, can_suggest_artist=True, can_sample=True)
    assert Action.MOOD_QUESTION in available and Action.OPEN_QUESTION in available
    state.dont_know_count = DONT_KNOW_LIMIT
    available = available_actions(state, can_pair=True, can_suggest_artist=True, can_sample=True)
    assert not {
        Action.OPEN_QUESTION,
        Action.MOOD_QUESTION,
        Action.ERA_QUESTION,
        Action.ACTIVITY_QUESTION,
    } & set(available)
    assert {Action.GENRE_PAIR, Action.ARTIST_SUGGESTION, Action.PLAY_SAMPLE} <= set(available)


def test_questions_already_answered_are_not_available():
    state = DialogueState()
    state.unknown.add("era")
    from dataclasses import replace

    state.constraints = replace(state.constraints, genres=("rock",), energy=0.8)
    actions = available_actions(state, can_pair=True, can_suggest_artist=True, can_sample=True)
    assert Action.MOOD_QUESTION not in actions
    assert Action.ERA_QUESTION not in actions
    assert Action.OPEN_QUESTION not in actions
    assert Action.PLAY_SAMPLE in actions


def test_same_seed_same_conversation(tiny_catalog, make_manager):
    turns = ["help me find music", "something chill", "no", "jazz", "no", "yes"]
    a, _ = make_manager(tiny_catalog, seed=11)
    b, _ = make_manager(tiny_catalog, seed=11)
    assert [r.text for r in talk(a, *turns)] == [r.text for r in talk(b, *turns)]


def test_empathy_follows_goal_closeness(tiny_catalog, make_manager):
    happy, _ = make_manager(tiny_catalog)
    close = happy.step("upbeat rock please")
    assert close.empathy == "enthusiastic" and close.closeness >= 0.72
    sad, _ = make_manager(tiny_catalog)
    replies = talk(sad, "something", "no I hate this", "ugh no, terrible", "awful")
    assert replies[-1].empathy == "supportive"
    assert replies[-1].closeness < 0.52


class _AlwaysAsks:
    """A policy that would rather ask a question than play whenever it can (as a learned one may)."""

    name = "always_asks"

    def decide(self, state, available, features):
        prefer = {a: float(a is not Action.PLAY_SAMPLE) for a in available}
        return greedy(prefer, available)


def test_a_command_to_play_an_artist_overrides_a_policy_that_would_ask(tiny_catalog, make_manager):
    manager, events = make_manager(tiny_catalog, policy=_AlwaysAsks())
    reply = manager.step("can you play something by copper atlas")
    assert reply.action == Action.PLAY_SAMPLE and reply.sample.artist == "Copper Atlas"
    decision = events.of(Decision)[-1]
    assert decision.policy == "user_request" and decision.propensity == 1.0
    # Naming the artist as an answer (not a command) leaves the choice to the policy.
    manager, _ = make_manager(tiny_catalog, policy=_AlwaysAsks())
    assert manager.step("something like copper atlas").action != Action.PLAY_SAMPLE


@pytest.mark.parametrize("turns", [["just play something"], ["hi", "play anything please"], ["surprise me"]])
def test_handing_the_choice_over_plays_at_once(tiny_catalog, make_manager, turns):
    manager, events = make_manager(tiny_catalog, policy=_AlwaysAsks())
    for text in turns:
        reply = manager.step(text)
    assert reply.action == Action.PLAY_SAMPLE and reply.sample is not None
    assert events.of(Decision)[-1].policy == "user_request"
    # The first sample answers no miss: not "something a bit different ... any better?".
    assert "different" not in reply.text and "Any better" not in reply.text


def test_surprise_me_as_an_answer_is_i_dont_know_and_the_policy_decides(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog, policy=_AlwaysAsks())
    manager.step("help me find music")
    assert manager.step("surprise me").action != Action.PLAY_SAMPLE
    # "play some music" is how many people start a search: the policy still asks.
    manager, _ = make_manager(tiny_catalog, policy=_AlwaysAsks())
    assert manager.step("play some music").action != Action.PLAY_SAMPLE


def test_a_surprise_is_drawn_from_the_best_tracks_not_always_the_same(tiny_catalog, make_manager):
    tracks = set()
    for seed in range(8):
        manager, _ = make_manager(tiny_catalog, seed=seed, policy=_AlwaysAsks())
        tracks.add(manager.step("surprise me").sample.id)
    assert len(tracks) > 2


@pytest.mark.parametrize(("answer", "index"), [("the second one I guess", 1), ("um, the first", 0)])
def test_pointing_at_an_offered_genre_chooses_it(tiny_catalog, make_manager, answer, index):
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    manager.step("I don't know")
    pair = manager.step("no idea")
    assert pair.action == Action.GENRE_PAIR
    options = manager.state.pending_options
    manager.step(answer)
    assert manager.state.constraints.genres == (options[index],)


def test_pointing_at_an_option_of_the_mood_question_chooses_it(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    manager.step("help me find music")
    assert manager.step("I don't know").action == Action.MOOD_QUESTION
    manager.step("the latter")
    assert manager.state.constraints.energy is not None and manager.state.constraints.energy > 0.7


def test_every_mood_question_offers_laid_back_first():
    # "The first one" is resolved by this order (manager._MOOD_OPTIONS); a new phrasing must keep it.
    calm = ("laid back", "chilled", "calm")
    lively = ("upbeat", "high energy")
    for variants in PROMPTS[Action.MOOD_QUESTION].values():
        for text in variants:
            low = text.lower()
            first_calm = min(low.find(w) for w in calm if w in low)
            first_lively = min(low.find(w) for w in lively if w in low)
            assert first_calm < first_lively, text


def test_a_sample_outside_the_period_asked_for_says_so(tiny_catalog, make_manager):
    # The tiny catalogue has jazz from 1972, 1995 and 2018 only: era fit is soft, so the nearest is offered,
    # and the reply must not let "from the 1980s, got it" stand as if it were from then.
    manager, _ = make_manager(tiny_catalog, policy=AlwaysSamples())
    manager.step("jazz")
    reply = manager.step("something from the eighties")
    assert reply.sample is not None and not 1980 <= reply.sample.year <= 1989
    assert f"nothing that fits from the 1980s, so here's the nearest, from {reply.sample.year}" in reply.text
    # Inside the period asked for: no such note.
    manager, _ = make_manager(tiny_catalog, policy=AlwaysSamples())
    manager.step("jazz")
    reply = manager.step("something from the seventies")
    assert reply.sample is not None and reply.sample.year == 1972
    assert "nearest" not in reply.text
    # "Nothing more that fits" once the period has run out is in tests/transcripts/rejects_several.


def test_a_genre_the_catalogue_lacks_is_said_and_not_searched_for(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    reply = manager.step("some upbeat country please")
    assert "I don't have any country" in reply.text
    assert manager.state.constraints.genres == ()
    assert manager.state.constraints.energy is not None  # the rest of the turn still counts


def test_hiking_and_other_everyday_activities_are_understood(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    manager.step("a playlist for hiking")
    assert manager.state.constraints.activity == "outdoors"
    manager.step("actually it's for a road trip")
    assert manager.state.constraints.activity == "commute"


class AlwaysPairs:
    """A policy that offers a genre pair whenever it can."""

    name = "always_pairs"

    def decide(self, state, available, features):
        return greedy({Action.GENRE_PAIR: 1.0}, available)


def test_a_genre_pair_passed_over_is_not_offered_again_word_for_word(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog, policy=AlwaysPairs())
    first = manager.step("help me find music")
    offered = set(manager.state.pending_options)
    second = manager.step("something like Zyxwv Qrstu")  # talks about something else
    assert first.action == second.action == Action.GENRE_PAIR
    assert len(set(manager.state.pending_options) & offered) == 0


class _SameDraw:
    """A generator stand-in that always draws the first variant, counting draws."""

    def __init__(self):
        self.draws = 0

    def integers(self, n):
        self.draws += 1
        return 0


def test_a_question_asked_again_is_worded_differently_with_the_same_draws():
    from assistant.dialogue.closeness import Empathy
    from assistant.dialogue.phrasing import Phraser

    rng = _SameDraw()
    phraser = Phraser(rng)
    first = phraser.prompt(Action.MOOD_QUESTION, Empathy.NEUTRAL)
    second = phraser.prompt(Action.MOOD_QUESTION, Empathy.NEUTRAL)
    third = phraser.prompt(Action.MOOD_QUESTION, Empathy.NEUTRAL)
    assert first != second and third == first
    assert rng.draws == 3  # a seeded conversation draws exactly as before


def test_a_classic_is_an_old_song_and_a_decade_says_which(tiny_catalog, make_manager):
    manager, _ = make_manager(tiny_catalog)
    manager.step("play a classic")  # the model's fuzzy match read it as classical
    c = manager.state.constraints
    assert c.genres == () and c.era is not None and c.era[1] < 2010
    # "older" and a decade in one turn: the decade says which older, it does not widen it.
    manager, _ = make_manager(tiny_catalog)
    manager.step("classics from the 80s")
    assert manager.state.constraints.era == (1980, 1989)
    manager, _ = make_manager(tiny_catalog)
    manager.step("something from the 80s or 90s")
    assert manager.state.constraints.era == (1980, 1999)
