"""The training corpus, generated: templates x lexicons x paraphrase frames x speech-recognition noise.

Every example is built from segments that know their slot, so character spans stay exact through casing,
punctuation, disfluencies ("um", repeated words), dropped function words and homophones. Sentiment targets
come from the construction: each reaction phrase has a valence, and saying it in capitals, with "!", with
stretched letters or an intensifier scales it, so the order "Hmm, OK" < "Yes" < "YES!" < "Brilliant, I love
it" holds by design. Artist names are the loaded catalogue's plus invented ones, so the tagger learns where
names sit in a request rather than which names exist. Nothing here reads ../shared/data.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, field

from nlu.lexicon import ACT_PHRASES, ACTIVITIES, DECADES, ERA_RELATIVE, GENRES, MOODS, TEMPO_WORDS

__all__ = ["DECOY_NAMES", "Corpus", "Example", "generate", "invented_artists", "invented_titles"]


@dataclass(frozen=True)
class Example:
    text: str
    act: str
    spans: tuple[tuple[int, int, str, str], ...]
    """(start, end, slot, value) with text[start:end] the words that said it."""
    sentiment: float


@dataclass
class _Seg:
    text: str
    slot: str | None = None
    value: str = ""
    glue: bool = False
    """Attach to the previous segment without a space (punctuation, "'s")."""


@dataclass
class _Draft:
    segs: list[_Seg] = field(default_factory=list)
    act: str = "inform"
    valence: float = 0.0
    reaction: bool = False
    """A reaction whose feeling capitals, "!" and stretching should amplify."""

    def add(self, text: str, slot: str | None = None, value: str = "", glue: bool = False) -> _Draft:
        for i, word in enumerate(text.split(" ") if slot is None and text else [text]):
            if word:
                self.segs.append(_Seg(word, slot, value, glue and i == 0))
        return self


def _words(text: str) -> list[str]:
    return text.split()


# -- vocabularies the lexicon does not hold -------------------------------------------------------------
# fmt: off
EXTRA_GENRES = [
    "opera", "gospel", "grunge", "bluegrass", "swing", "disco", "k-pop", "k pop", "j-pop", "afrobeats",
    "afrobeat", "dancehall", "ska", "shoegaze", "emo", "post-rock", "trip hop", "trip-hop", "uk garage",
    "dubstep", "trance", "hardstyle", "new age", "world music", "flamenco", "tango", "fado", "samba",
    "cumbia", "bachata", "merengue", "zydeco", "celtic", "sea shanties", "polka", "christmas music",
    "soundtracks", "film scores", "show tunes", "a cappella", "doo wop", "rockabilly", "surf rock",
    "psychedelic rock", "prog rock", "progressive rock", "math rock", "glam rock", "britpop", "grime",
    "drill", "phonk", "vaporwave", "chiptune", "industrial", "black metal", "death metal", "nu metal",
    "metalcore", "gothic rock", "post-punk", "krautrock", "breakbeat", "idm", "chillwave", "city pop",
    "bollywood", "bhangra", "highlife", "soca", "calypso", "mariachi", "latin jazz", "jazz fusion",
    "acid jazz", "free jazz", "big band", "ragtime", "dixieland", "gregorian chant", "choral music",
    "chamber music", "singer-songwriter", "spoken word", "children's music", 'dream pop", "art rock',
    "space rock", "stoner rock", "garage rock", "noise rock", "emo rap", "cloud rap", "conscious hip hop",
    "jazz rap", "christian rock", "worship music", "country rock", "folk rock", "folk-rock", "power pop",
    "power metal", "symphonic metal", "avant-garde", "experimental", "minimal techno", "deep techno",
    "acid house", "future bass", "moombahton", "kizomba", "zouk", "rai", "klezmer", "balkan brass",
    "electro swing",
]
# fmt: on
# fmt: off
GENRE_MODIFIERS = [
    "german", "french", "brazilian", "japanese", "korean", "swedish", "african", "irish", "british",
    "italian", "christian", "experimental", "progressive", "psychedelic", "symphonic", "melodic", "gothic",
    "southern", "acid", "art", "garage", "tropical", "latin", "instrumental", "avant-garde", "post", "neo",
    "nordic",
]
# fmt: on
GENRE_FAMILIES = ["rock", "pop", "punk", "metal", "jazz", "folk", "house", "hip hop", "rap", "soul", "techno"]
EXTRA_DECADES = {
    "1920s": ["twenties", "the 1920s", "nineteen twenties", "roaring twenties"],
    "1930s": ["thirties", "the 1930s", "nineteen thirties", "30s"],
    "1940s": ["forties", "fourties", "1940s", "nineteen forties", "40s"],
    "1950s": ["50's", "early fifties", "late fifties"],
    "1960s": ["60's", "early sixties", "late sixties", "sixties era"],
    "1970s": ["70's", "early seventies", "late seventies", "mid seventies"],
    "1980s": ["80's", "early eighties", "late eighties", "mid eighties"],
    "1990s": ["90's", "early nineties", "late nineties", "mid nineties"],
    "2000s": ["early 2000s", "late 2000s", "two thousands", "oh ohs"],
    "2010s": ["early 2010s", "twenty tens", "the tens"],
}
# fmt: off
SERVICES = [
    "bandcamp", "mixcloud", "qobuz", "vimeo", "slacker", "rdio", "audiomack", "anghami", "gaana", "jiosaavn",
    "my phone", "the radio", "vinyl", "the speaker", "the kitchen speaker", "spotify", "youtube", "deezer",
    "pandora", "soundcloud", "itunes", "apple music", "google music", "last fm", "tidal", "amazon music",
    "youtube music", "napster", "iheart", "groove shark", "netflix",
]
# fmt: on
MUSIC_ITEMS = [
    "song",
    "track",
    "tune",
    "album",
    "record",
    "ep",
    "single",
    "soundtrack",
    "playlist",
    "songs",
    "chant",
    "movement",
    "piece",
    "number",
    "jam",
    "cut",
    "melody",
    "concerto",
    "sonata",
    "anthem",
]
SORTS = ["top", "best", "most popular", "popular", "greatest", "top rated", "top ten", "best known"]

FIRST = _words(
    "james maria lena tom ana yusuf kenji aiko olu chidi priya ravi sofia mateo luca elena ivan olga "
    "marta jan piotr ewa kasia bjorn astrid sven ingrid noah liam emma ava mia zoe kai leo max ben sam "
    "nina rosa carmen diego pablo jorge lucia isabel hana yuki hiro min ji soo omar layla fatima amir "
    "david sarah rachel moshe tamar eli nadia dimitri eleni yannis nikos aroha tane mele sione jack grace "
    "ruby frank billy johnny bobby ray ella etta louis duke count otis aretha marvin jimi janis prince "
    "lil young big little "
)
LAST = _words(
    "smith jones garcia martinez okafor adeyemi tanaka suzuki kim park lee chen wang nguyen kowalski "
    "nowak novak virtanen korhonen lindqvist johansson hansen jensen muller schmidt fischer rossi bianchi "
    "dubois moreau silva santos costa pereira haddad khoury cohen levi papadopoulos georgiou ivanova "
    "petrov sokolova brown taylor wilson walker wright turner harper carter hughes brooks reed fox "
    "washington jefferson holiday armstrong fitzgerald coleman mingus monk baker davis parker young gold "
)
BAND_ADJ = _words(
    "velvet paper copper silver electric midnight golden broken quiet northern wild lonely neon crystal "
    "hollow burning frozen violet scarlet lucky dusty rusty little big black white blue red green sonic "
    "cosmic atomic secret glass iron wooden sleepy dancing crying flying "
)
BAND_NOUN = _words(
    "moons harbors lanterns atlas drive juniper foxes wolves kings queens pilots sailors saints strangers "
    "ghosts horses birds tigers owls rivers mountains oceans machines robots engines hearts bones stars "
    "suns clouds shadows mirrors keys doors wheels roses lilies echoes waves giants monks brothers "
    "sisters collective orchestra trio quartet band ensemble club society "
)
SYLLABLES = _words("ka ri zo la mi ne to su va lo pe xa qui ro shi na de bo ly ra mo ki te zu fa ")
TITLE_WORDS = _words(
    "love night heart rain summer dream fire light midnight river home road city dance sky blue gold "
    "tears kiss forever tonight baby girl boy wild free alone moon sun stars time world life soul "
    "paradise ocean train shadow angel devil money crazy sweet bitter hey la vida amor corazon "
)
# fmt: off
DECOY_NAMES = [
    "Yes", "Love", "Chill", "Next", "Home", "Fine", "Sunday", "Run", "Stop", "Help", "Nice", "Perfect",
    "Sure", "Jazz Cat", "Rock", "Blue", "Happy", "Skip", "Okay Kid", "Cool", "Great", "Old School",
]
# fmt: on
"""Catalogue-style names that are everyday words: in the training gazetteer so the heads learn context."""


def invented_artists(rng: random.Random, n: int) -> list[str]:
    """Plausible artist names that exist nowhere: people, bands, DJs, one-word names, duos."""
    names: set[str] = set()
    while len(names) < n:
        kind = rng.random()
        if kind < 0.35:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        elif kind < 0.5:
            name = f"the {rng.choice(BAND_ADJ)} {rng.choice(BAND_NOUN)}"
        elif kind < 0.6:
            name = f"{rng.choice(BAND_ADJ)} {rng.choice(BAND_NOUN)}"
        elif kind < 0.72:
            name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
        elif kind < 0.78:
            name = f"{rng.choice(['dj', 'mc', 'lil', 'young', 'big', 'dr'])} {rng.choice(FIRST + SYLLABLES)}"
        elif kind < 0.85:
            name = f"{rng.choice(LAST)} and {rng.choice(LAST)}"
        elif kind < 0.9:
            name = f"{rng.choice(FIRST)} {rng.choice(string.ascii_lowercase)} {rng.choice(LAST)}"
        elif kind < 0.93:
            name = f"{rng.choice(FIRST)} {rng.choice(FIRST)} {rng.choice(LAST)}"
        elif kind < 0.95:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} & the {rng.choice(BAND_NOUN)}"
        else:
            name = f"{rng.choice(FIRST)} and the {rng.choice(BAND_NOUN)}"
        names.add(" ".join(w.capitalize() if w not in ("the", "and") else w for w in name.split()))
    return sorted(names)


def invented_titles(rng: random.Random, n: int) -> list[str]:
    titles: set[str] = set()
    while len(titles) < n:
        words = rng.sample(TITLE_WORDS, rng.randint(1, 4))
        if rng.random() < 0.3:
            words = [rng.choice(["the", "my", "your", "a", "no", "in the", "for"]), *words]
        titles.add(" ".join(words).title())
    return sorted(titles)


# -- reactions: phrase -> valence ------------------------------------------------------------------------
# fmt: off
ACCEPT = {
    "yes": 0.35, "yeah": 0.3, "yep": 0.3, "yup": 0.3, "sure": 0.25, "ok": 0.1, "okay": 0.1, "alright": 0.15,
    "fine": 0.12, "yes please": 0.45, "i like it": 0.45, "i like this": 0.45, "i like this one": 0.45,
    "that's good": 0.45, "nice": 0.45, "that's nice": 0.45, "great": 0.65, "that's great": 0.65,
    "perfect": 0.85, "love it": 0.8, "i love it": 0.8, "i love this": 0.8, "i love this song": 0.8,
    "brilliant": 0.9, "amazing": 0.9, "awesome": 0.8, "fantastic": 0.9, "excellent": 0.8, "sounds good": 0.45,
    "sounds great": 0.65, "play it": 0.35, "keep it": 0.35, "keep this one": 0.35, "this one": 0.3,
    "that one": 0.3, "that's the one": 0.6, "exactly": 0.6, "spot on": 0.7, "bingo": 0.5, "go for it": 0.4,
    "let's go": 0.5, "works for me": 0.3, "that works": 0.3, "good choice": 0.5, "nice pick": 0.5,
    "great pick": 0.65, "oh yes": 0.45, "ooh nice": 0.5, "that's it": 0.45, "this is it": 0.5,
    "i'll take it": 0.35, "why not": 0.1, "sure why not": 0.15, "hmm ok": 0.05, "i guess so": 0.0,
    "ok i guess": 0.0, "it's fine": 0.12, "it's alright": 0.15, "not bad": 0.3, "pretty good": 0.4,
    "really good": 0.6, "so good": 0.65, "this slaps": 0.8, "what a tune": 0.8, "absolutely": 0.6,
    "definitely": 0.5, "of course": 0.4, "hell yeah": 0.7, "yass": 0.5, "cool": 0.4, "lovely": 0.65,
    "beautiful": 0.75, "gorgeous": 0.75, "wonderful": 0.8, "superb": 0.85, "stunning": 0.8, "incredible": 0.9,
    "that's perfect": 0.85, "this is great": 0.65, "this is perfect": 0.85, "yes that's it": 0.55,
    "keep playing": 0.35, "more like this": 0.5, "play that": 0.3, "good": 0.45, "yeah that's good": 0.45,
    "i like that": 0.45, "i dig it": 0.5, "i'm into it": 0.5, "i'm into this": 0.5, "this is nice": 0.45,
    "oh i like this": 0.5, "yes this": 0.4, "that's the stuff": 0.6, "right on": 0.5,
    "sounds about right": 0.35, "correct": 0.3, "uh huh": 0.2, "mm hmm": 0.2, "yeah go on": 0.3, "ya": 0.3,
    "yea": 0.3, "sweet": 0.45, "love this": 0.8, "i'm loving it": 0.8, "this is fire": 0.8,
    "this rocks": 0.75, "super": 0.6, "wow": 0.6, "yay": 0.6,
}
# fmt: on
REJECT = {
    "no": -0.35,
    "nope": -0.35,
    "nah": -0.3,
    "no thanks": -0.3,
    "no thank you": -0.3,
    "not really": -0.3,
    "not for me": -0.45,
    "not my thing": -0.45,
    "not my style": -0.45,
    "not my taste": -0.45,
    "i don't like it": -0.5,
    "i don't like this one": -0.5,
    "don't like it": -0.5,
    "i dont like this": -0.5,
    "i hate it": -0.85,
    "i hate this": -0.85,
    "hate it": -0.85,
    "this is awful": -0.85,
    "terrible": -0.85,
    "horrible": -0.85,
    "boring": -0.55,
    "meh": -0.35,
    "ugh": -0.5,
    "yuck": -0.65,
    "no way": -0.5,
    "not feeling it": -0.4,
    "i'm not feeling this": -0.4,
    "not quite": -0.2,
    "not it": -0.3,
    "that's not it": -0.3,
    "not a fan": -0.45,
    "i'm not into this": -0.4,
    "not into it": -0.4,
    "this isn't it": -0.3,
    "no no": -0.45,
    "nooo": -0.5,
    "not good": -0.45,
    "bad": -0.55,
    "this is bad": -0.55,
    "not great": -0.35,
    "that's rubbish": -0.7,
    "this sucks": -0.7,
    "eh no": -0.3,
    "hmm no": -0.25,
    "not this one": -0.3,
    "not that one": -0.3,
    "nah not that": -0.35,
    "that's not what i want": -0.35,
    "wrong": -0.35,
    "that's wrong": -0.35,
    "absolutely not": -0.6,
    "hard pass": -0.55,
    "pass on that": -0.3,
    "i'd rather not": -0.3,
    "not this": -0.3,
    "no good": -0.45,
    "this is dreadful": -0.85,
    "awful": -0.85,
    "not feeling this one": -0.4,
    "not what i had in mind": -0.3,
    "doesn't do it for me": -0.4,
    "it's not for me": -0.45,
    "i don't think so": -0.3,
    "dislike": -0.6,
    "this is annoying": -0.6,
    "too much": -0.3,
    "not a big fan": -0.4,
    "i'm not a fan": -0.45,
}
# fmt: off
ALTERNATIVE = [
    "something else", "another one", "play another", "different one", "can i hear something else",
    "what else you got", "what else have you got", "other options", "show me more", "try again",
    "got anything else", "let's try another", 'something different please", "a different song',
    "change it up", "switch it up", "play me something different", "how about another one", "anything else",
    "give me another", "another one please", "next suggestion", "one more", "try another", "different song",
    "show me something else", "can we try a different one", "what else is there", "let's hear something else",
    "something new", "give me another option", "other suggestions",
]
# fmt: on
# fmt: off
SKIP = [
    "skip", "skip it", "skip this", "skip this one", "next", "next one", "next song", "next track",
    "next please", "skip please", "can you skip", "skip the song", "move on", "pass", "go to the next one",
    "let's move on", 'skip ahead", "skip that", "skip that one", "next next", "can you skip this',
    "skip to the next one", "just skip it", "next tune",
]
# fmt: on
DONT_KNOW = [
    *ACT_PHRASES["dont_know"],
    "i really don't know",
    "hmm i don't know",
    "not sure tbh",
    "you decide",
    "whatever's fine",
    "i have no clue",
    "anything works",
    "i'm easy",
    "doesn't matter to me",
    "no preference really",
    "either way",
    "hard to say",
    "dunno you pick",
    "whatever you like",
    "i don't really know",
    "good question",
    "i'm not really sure",
    "could be anything",
    "i want both",
    "a bit of both",
    "a mix of both",
    "both i guess",
    "i like both",
    "either works",
]
HELP = [
    *ACT_PHRASES["help"],
    "what can i ask for",
    "what should i say",
    "how do i do this",
    "i don't understand",
    "how does it work",
    "can you explain",
    "what does this do",
    "what am i supposed to do",
    "sorry what",
    "say that again",
    "what did you say",
    "repeat that please",
    "what are the options",
    "help me out here",
    "what kind of things can i say",
    "what's this",
]
STOP = [
    *ACT_PHRASES["stop"],
    "stop the music",
    "i'm done thanks",
    "goodbye now",
    "bye for now",
    "see you later",
    "exit please",
    "switch off",
    "end the session",
    "we're done",
    "ok stop",
    "stop playing",
    "that'll do thanks",
    "i have to go",
    "stop please",
    "ok bye",
    "all done",
    "that's all for now",
    "please stop",
    "good night",
]
GIVE_UP = [
    *ACT_PHRASES["give_up"],
    "this is a waste of time",
    "you clearly don't get it",
    "i'll just do it myself",
    "forget the whole thing",
    "this is not working at all",
    "you're useless",
    "never mind then",
    "i give up on this",
    "ugh forget it",
    "you just don't understand",
    "this is going nowhere",
    "i'm giving up",
    "never mind i'll do it myself",
    "it's hopeless",
]
GREET = [
    *ACT_PHRASES["greet"],
    "hi there",
    "hey tunetalk",
    "good afternoon",
    "hey can you help me",
    "i'm looking for something to listen to",
    "find me something good",
    "can you recommend me some music",
    "what should i play",
    "help me discover some music",
    "yo",
    "howdy",
    "hey hey",
    "hiya",
    "good morning tunetalk",
    "i'd like to hear something",
    "play something",
    "play me something",
    "put something on",
    "recommend me a song",
    "i need something to listen to",
    "hello there",
    "i want to find some music",
    "got any recommendations",
    "what do you recommend",
    "hey what's up",
]
# fmt: off
UNCLEAR = [
    "what's the weather like", 'set a timer for ten minutes", "what time is it", "how old is the moon',
    "call mom", "turn on the lights", "order a pizza", "what is two plus two", "tell me a joke",
    "who won the game last night", "remind me to buy milk", "how far is paris", "book a table for two",
    "what's the capital of peru", 'send a text to john", "is it going to rain", "my cat is sleeping',
    "the car needs petrol", "i had pasta for lunch", "where are my keys", "what day is it",
    "translate this to french", "how do you spell necessary", "open the window", "read my email", "the the",
    "uh", "um", "erm", "hmm", "blah blah", "asdf", "qwerty", "lorem ipsum", "ok google", "testing testing",
    "one two three", "purple elephant", "banana", "table chair lamp", "why is the sky",
    "how tall is mount everest", "what's on tv", 'buy tickets", "navigate home", "wake me up at six',
    "i need a doctor", "what is love", "tell me about yourself", "are you a robot", "what's your name",
    "hola que tal", "buenos dias como estas", "donde esta el baño", "bonjour comment ça va",
    "je ne sais pas quoi faire", "wie geht es dir", "ich habe hunger", "wo ist der bahnhof", "ciao come stai",
    "dov'è la stazione", 'olá tudo bem", "obrigado", "dank je wel", "hoe gaat het", "jak się masz',
    "nasılsın", "hur mår du", "grazie mille", "merci beaucoup", "gracias amigo", "привет как дела", "你好",
    "こんにちは", "مرحبا", "שלום", "γεια σου", "🎵🎶", "😀😀", "👍", "🙃🙃🙃", "...", "???", "!!!",
    "12345", "42", "x",
    "k", "zzz", "mmm", "ahh", "the", "and then", "so yeah", "i mean", "wait what", "hang on", "hold on a sec",
    "one moment", "sorry wrong window", "my bad",
]
# fmt: on
INTERJECTIONS = ["oh", "ooh", "ah", "wow", "hmm", "well", "um", "uh", "oh wow", "mm", "yeah", "okay so"]
INTENSIFY = ["really", "so", "absolutely", "totally", "super", "very", "truly", "damn"]
# fmt: off
PREFIXES = [
    "hey", "hi", "ok", "okay so", "so", "um", "uh", "alright", "hmm", "well", "please", "hey there",
    "actually", "oh", "right so", "i think", "honestly", "hello", "hey tunetalk", "yeah", "now", "erm",
]
# fmt: on
# fmt: off
SUFFIXES = [
    "please", "thanks", "right now", "tonight", "for me", "if you can", "if possible", "today", "now",
    "maybe", "thank you", "for a while", "for now", "this evening", "or something", "i guess",
]
# fmt: on
# fmt: off
CARRIERS = [
    "play {}", "put on {}", "i want {}", "i'd like {}", 'can you play {}", "could you put on {}',
    "give me {}", "let's hear {}", "i'm in the mood for {}", "how about {}", "what about {}", "find me {}",
    "i feel like {}", "i wanna hear {}", "gimme {}", "queue up {}", "throw on {}", "do you have {}",
    "{} please", "{}", "maybe {}", "i need {}", "i'm looking for {}", 'got any {}", "i could go for {}',
    "let's do {}", 'switch to {}", "start a station with {}", "i want to listen to {}", "play me {}',
    "search for {}", "bring up {}", "i'm craving {}", 'can i get {}", "could i have {}", "would you play {}',
    "i'd love {}", 'i would like to hear {}', "let's listen to {}", "any chance of {}", "i'm feeling {}",
    "can we have {}", "can we get {}", "i'd prefer {}", 'rather {}", "just {}", "put {} on", "find {}',
    "listen to {}", "can you find {}", "i want to hear {}", "play us {}", "how about playing {}",
    "start playing {}", "i need to hear {}", "could you play me {}",
]
# fmt: on
HOMOPHONES = {
    "jazz": ["jas", "jaz", "jasz"],
    "hip hop": ["hip-hop", "hiphop", "hip hopp"],
    "r&b": ["r and b", "are and be"],
    "reggae": ["raggae", "reggay"],
    "techno": ["tekno"],
    "blues": ["blew's"],
    "rock": ["rok"],
    "country": ["cuntry"],
    "metal": ["medal"],
    "soul": ["sole"],
    "funk": ["phunk"],
    "pop": ["pup"],
    "house": ["how's"],
    "classical": ["classic all"],
    "eighties": ["80s", "a t's"],
    "nineties": ["9 t's"],
}
FUNCTION_WORDS = {"the", "a", "some", "to", "of", "for", "me", "i", "can", "you", "please", "an"}


def _pick_forms(table: dict[str, list[str]]) -> list[tuple[str, str]]:
    forms = []
    for canonical, surfaces in table.items():
        for surface in {canonical.replace("_", " "), *surfaces}:
            forms.append((surface, canonical))
    return sorted(forms)


class _Generator:
    def __init__(self, rng: random.Random, artists: Sequence[str], titles: Sequence[str]) -> None:
        self.rng = rng
        self.artists = list(artists)
        self.titles = list(titles)
        self.genres = _pick_forms(GENRES)
        self.extra_genres = [(g, g) for g in EXTRA_GENRES] + [
            (f"{m} {f}", f) for m in GENRE_MODIFIERS for f in GENRE_FAMILIES
        ]
        moods = {k: v for k, v in MOODS.items() if not k.startswith("more_")}
        self.moods = _pick_forms(moods)
        self.relative_moods = _pick_forms({k: v for k, v in MOODS.items() if k.startswith("more_")})
        self.activities = _pick_forms(ACTIVITIES)
        self.decades = _pick_forms({**DECADES, **EXTRA_DECADES})
        self.relative_eras = _pick_forms(ERA_RELATIVE)
        self.tempos = _pick_forms(TEMPO_WORDS)

    # -- attribute phrases -------------------------------------------------------------------------------
    def genre(self, d: _Draft) -> None:
        r = self.rng
        surface, value = r.choice(self.extra_genres) if r.random() < 0.3 else r.choice(self.genres)
        if value in HOMOPHONES and r.random() < 0.15:
            surface = r.choice(HOMOPHONES[value])
        frame = r.choice(
            [
                "{}",
                "some {}",
                "{} music",
                "a bit of {}",
                "{} songs",
                "something {}",
                "{} stuff",
                "some {} music",
                "{} tracks",
                "a little {}",
                "some good {}",
                "{} tunes",
            ]
        )
        self._frame(d, frame, surface, "genre", value)

    def artist(self, d: _Draft) -> None:
        r = self.rng
        name = self._noisy_name(r.choice(self.artists))
        frame = r.choice(
            [
                "{}",
                "something by {}",
                "songs by {}",
                "music by {}",
                "something like {}",
                "stuff like {}",
                "music similar to {}",
                "anything by {}",
                "more {}",
                "some {}",
                "{}'s music",
                "artists like {}",
                "something similar to {}",
                "anything from {}",
                "the new {}",
                "a song by {}",
                "{}'s new album",
                "the latest from {}",
                "something in the style of {}",
                "a bit of {}",
                "tracks by {}",
                "{} songs",
                "music from {}",
                "the artist {}",
                "the band {}",
                "some of {}'s stuff",
                "stuff by {}",
            ]
        )
        if r.random() < 0.12:
            article, item = r.choice(["a", "the", "some", "any"]), r.choice(MUSIC_ITEMS)
            frame = f"{article} {item} {r.choice(['by', 'from'])} {{}}"
        self._frame(d, frame, name, "artist", name)

    def track(self, d: _Draft) -> None:
        r = self.rng
        title = self._noisy_name(r.choice(self.titles))
        if r.random() < 0.45:
            artist = self._noisy_name(r.choice(self.artists))
            if r.random() < 0.75:
                pre = r.choice(["", "the song ", "the track ", "the tune "])
                d.add(pre.strip()) if pre else None
                d.add(title, "track", title)
                d.add(r.choice(["by", "from"]))
                d.add(artist, "artist", artist)
            else:
                d.add(artist, "artist", artist)
                d.add("'s", glue=True)
                d.add(title, "track", title)
            return
        frame = r.choice(
            ["{}", "the song {}", "the track {}", "the album {}", "{} the song", "the single {}"]
        )
        self._frame(d, frame, title, "track", title)

    def era(self, d: _Draft) -> None:
        r = self.rng
        roll = r.random()
        if roll < 0.2:
            year = r.randint(1925, 2024)
            surface = str(year)
            self._frame(
                d,
                r.choice(["from {}", "released in {}", "from the year {}", "{}", "around {}"]),
                surface,
                "era",
                f"{year // 10 * 10}s",
            )
        elif roll < 0.45:
            surface, value = r.choice(self.relative_eras)
            self._frame(
                d,
                r.choice(
                    [
                        "something {}",
                        "{}",
                        "{} stuff",
                        "{} music",
                        "a bit {}",
                        "more {}",
                        "go {}",
                        "{} songs",
                        "something a little {}",
                    ]
                ),
                surface,
                "era",
                value,
            )
        else:
            surface, value = r.choice(self.decades)
            if value in HOMOPHONES and r.random() < 0.1:
                surface = r.choice(HOMOPHONES[value])
            self._frame(
                d,
                r.choice(
                    [
                        "from the {}",
                        "{}",
                        "from {}",
                        "something from the {}",
                        "{} music",
                        "back in the {}",
                        "out of the {}",
                        "from the {} era",
                    ]
                ),
                surface,
                "era",
                value,
            )

    def mood(self, d: _Draft) -> None:
        r = self.rng
        if r.random() < 0.2:
            surface, value = r.choice(self.relative_moods)
            self._frame(
                d,
                r.choice(["{}", "something {}", "a bit {}", "make it {}", "can it be {}"]),
                surface,
                "mood",
                value,
            )
            return
        surface, value = r.choice(self.moods)
        self._frame(
            d,
            r.choice(
                [
                    "something {}",
                    "{}",
                    "{} music",
                    "with a {} vibe",
                    "with a {} feel",
                    "that's {}",
                    "{} songs",
                    "something a bit {}",
                    "really {} stuff",
                    "something {} please",
                    "{} tunes",
                    "a {} playlist",
                ]
            ),
            surface,
            "mood",
            value,
        )

    def activity(self, d: _Draft) -> None:
        r = self.rng
        surface, value = r.choice(self.activities)
        if surface.endswith("ing") and r.random() < 0.5:
            # Bare answers to "what are you up to?" too: "working", "just cooking" (a lone "working" was
            # give-up, from "this isn't working").
            frame = r.choice(
                [
                    "while {}",
                    "while i'm {}",
                    "for {}",
                    "to listen to while {}",
                    "good for {}",
                    "{}",
                    "i'm {}",
                    "just {}",
                ]
            )
        else:
            frame = r.choice(
                [
                    "for {}",
                    "for my {}",
                    "for the {}",
                    "music for {}",
                    "something for {}",
                    "to {} to",
                    "during {}",
                    "for a {}",
                ]
            )
        self._frame(d, frame, surface, "activity", value)

    def tempo(self, d: _Draft) -> None:
        r = self.rng
        if r.random() < 0.3:
            bpm = r.randrange(60, 190, 5)
            surface = r.choice([f"{bpm} bpm", f"{bpm} beats per minute", f"{bpm} bpm"])
            self._frame(
                d,
                r.choice(["around {}", "at {}", "{}", "about {}", "something at {}"]),
                surface,
                "tempo",
                str(bpm),
            )
            return
        surface, value = r.choice(self.tempos)
        self._frame(
            d,
            r.choice(["something {}", "{}", "a bit {}", "{} please", "{} songs", "make it {}"]),
            surface,
            "tempo",
            value,
        )

    def _frame(self, d: _Draft, frame: str, surface: str, slot: str, value: str) -> None:
        before, _, after = frame.partition("{}")
        if before.strip():
            d.add(before.strip())
        d.add(surface, slot, value)
        if after.startswith("'s"):
            d.add("'s", glue=True)
            after = after[2:]
        if after.strip():
            d.add(after.strip())

    def _noisy_name(self, name: str) -> str:
        """Names as a speech recognizer or a hurried typist gives them back."""
        r = self.rng
        roll = r.random()
        words = name.split()
        if roll < 0.08 and len(words) == 1 and len(name) >= 7:
            cut = r.randint(3, len(name) - 3)
            return f"{name[:cut]} {name[cut:].lower()}"
        if roll < 0.14 and len(words) == 2:
            return "".join(words)
        if roll < 0.2 and words and words[0].lower() == "the":
            return " ".join(words[1:])
        if roll < 0.24 and len(name) > 5:
            i = r.randrange(1, len(name) - 1)
            return name[:i] + name[i + 1 :]
        return name

    # -- whole utterances --------------------------------------------------------------------------------
    def request(self) -> _Draft:
        r = self.rng
        d = _Draft(act="inform")
        if r.random() < 0.25:
            d.add(r.choice(PREFIXES))
            if r.random() < 0.3:
                d.add(",", glue=True)
        kinds = ["genre", "artist", "track", "era", "mood", "activity", "tempo"]
        weights = [0.26, 0.22, 0.07, 0.14, 0.15, 0.1, 0.06]
        n = r.choices([1, 2, 3], [0.55, 0.33, 0.12])[0]
        chosen: list[str] = []
        while len(chosen) < n:
            kind = r.choices(kinds, weights)[0]
            if kind not in chosen:
                chosen.append(kind)
        if r.random() < 0.25 and "era" in chosen and "genre" in chosen:
            # "nineties rock", "chill jazz": adjective order.
            chosen.remove("era")
            chosen.insert(chosen.index("genre"), "era")
        carrier = r.choice(CARRIERS)
        before, _, after = carrier.partition("{}")
        if r.random() < 0.15:
            sort = r.choice(SORTS)
            before = f"{before} the {sort} " if before.strip() else f"the {sort} "
        if before.strip():
            d.add(before.strip())
        for i, kind in enumerate(chosen):
            if i and r.random() < 0.5:
                joints = ["and", ",", "or maybe", "and also", "plus"]
                if kind in ("mood", "era", "tempo"):
                    joints += ["but", "but maybe", "preferably"]
                joint = r.choice(joints)
                d.add(joint, glue=joint == ",")
            getattr(self, kind)(d)
        if r.random() < 0.08:
            d.add(r.choice(["on", "from", "using"]))
            d.add(r.choice(SERVICES))
        if r.random() < 0.08:
            d.add(r.choice(["a", "the", "an"]))
            d.add(r.choice(MUSIC_ITEMS))
        if after.strip():
            d.add(after.strip())
        if r.random() < 0.2:
            d.add(r.choice(SUFFIXES))
        if r.random() < 0.05:
            d.valence = 0.3
            d.segs.insert(0, _Seg(r.choice(["yes", "ooh", "oh yes", "yeah"])))
        return d

    def bare_request(self) -> _Draft:
        """ "play adele", "put on jazz", "nirvana please": the shortest and most common way to ask."""
        r = self.rng
        d = _Draft(act="inform")
        kind = r.choices(["artist", "genre", "track", "mood", "era"], [0.45, 0.25, 0.15, 0.1, 0.05])[0]
        carrier = r.choice(
            [
                "play {}",
                "put on {}",
                "{}",
                "{} please",
                "play some {}",
                "play me {}",
                "i want {}",
                "listen to {}",
                "how about {}",
                "play {} please",
                "can you play {}",
                "some {}",
                "let's hear {}",
                "um play {}",
                "play uh {}",
                "i wanna hear {}",
                "{} maybe",
            ]
        )
        before, _, after = carrier.partition("{}")
        d.add(before.strip())
        if kind == "artist":
            name = self._noisy_name(r.choice(self.artists))
            d.add(name, "artist", name)
        elif kind == "track":
            title = self._noisy_name(r.choice(self.titles))
            d.add(title, "track", title)
        elif kind == "genre":
            surface, value = r.choice(self.extra_genres) if r.random() < 0.3 else r.choice(self.genres)
            d.add(surface, "genre", value)
        elif kind == "mood":
            surface, value = r.choice(self.moods)
            d.add(surface, "mood", value)
        else:
            surface, value = r.choice(self.decades)
            d.add(surface, "era", value)
        d.add(after.strip())
        return d

    def playlist_request(self) -> _Draft:
        """ "play my Sunday Morning playlist": a playlist's name is not an attribute (left unlabelled)."""
        r = self.rng
        d = _Draft(act="inform")
        name = r.choice(self.titles) if r.random() < 0.7 else r.choice(self.artists) + " mix"
        frame = r.choice(
            [
                "play my {} playlist",
                "open the {} playlist",
                "play the playlist {}",
                "put on my {} playlist",
                "start {} playlist",
                "play {} playlist",
                "shuffle my {} list",
                "play songs from the {} playlist",
            ]
        )
        before, _, after = frame.partition("{}")
        d.add(before.strip())
        d.add(name if r.random() < 0.5 else name.lower())
        d.add(after.strip())
        if r.random() < 0.3:
            d.add(r.choice(["on", "from"]))
            d.add(r.choice(SERVICES))
        return d

    def hedged_request(self) -> _Draft:
        """ "i don't know, maybe jazz": a 'don"t know" or greeting that still informs."""
        r = self.rng
        d = self.request()
        lead = r.choice(
            [
                "i don't know",
                "not sure",
                "dunno",
                "hmm",
                "hi",
                "hello",
                "hey",
                "i guess",
                "no idea really",
                "help me find music",
                "hi there",
                "good evening",
                "find me some music",
                "i'm not sure",
            ]
        )
        d.segs = [_Seg(w) for w in lead.split()] + [_Seg(",", glue=True)] * (r.random() < 0.4) + d.segs
        return d

    def reaction(self, act: str) -> _Draft:
        r = self.rng
        table = ACCEPT if act == "accept" else REJECT
        phrase, valence = r.choice(list(table.items()))
        d = _Draft(act=act, valence=valence, reaction=True)
        if r.random() < 0.2:
            d.add(r.choice(INTERJECTIONS))
            if r.random() < 0.5:
                d.add(",", glue=True)
        if r.random() < 0.12 and not phrase.startswith(tuple(INTENSIFY)):
            word = r.choice(INTENSIFY)
            if phrase.startswith(("i like", "i love", "i hate", "i don't like")):
                phrase = phrase.replace("i ", f"i {word} ", 1)
                d.valence *= 1.25
            elif act == "accept" and r.random() < 0.5:
                phrase = f"{word} {phrase}"
                d.valence *= 1.2
        d.add(phrase)
        if r.random() < 0.25:
            second, value = r.choice(list(table.items()))
            if second != phrase:
                d.add(",", glue=True) if r.random() < 0.5 else None
                d.add(second)
                d.valence = max(d.valence, value, key=abs) + 0.12 * (1 if d.valence > 0 else -1)
        return d

    def reaction_with_slots(self) -> _Draft:
        r = self.rng
        roll = r.random()
        attr = r.choice(["genre", "era", "mood", "tempo", "artist", "mood", "era"])
        if roll < 0.45:
            phrase, valence = r.choice(list(REJECT.items()))
            d = _Draft(act="reject", valence=valence, reaction=True).add(phrase)
            d.add(",", glue=True) if r.random() < 0.5 else None
            d.add(
                r.choice(
                    [
                        "",
                        "something",
                        "i want",
                        "more like",
                        "i'd prefer",
                        "maybe",
                        "try",
                        "i said",
                        "give me",
                    ]
                )
            )
        elif roll < 0.8:
            phrase, valence = r.choice([(p, v) for p, v in ACCEPT.items() if v >= 0.1])
            d = _Draft(act="request_alternative", valence=valence * 0.5, reaction=True).add(phrase)
            d.add(
                r.choice(
                    [
                        "but",
                        "but maybe",
                        ", but",
                        "but can we go",
                        "but something",
                        "though maybe",
                        "but a bit",
                        "but can it be",
                        "but make it",
                        "only",
                    ]
                )
            )
        else:
            d = _Draft(act="request_alternative", valence=0.0, reaction=True)
            d.add(
                r.choice(
                    [
                        "something else",
                        "another one",
                        "something different",
                        "same but",
                        "something like this but",
                        "similar but",
                        "a different one",
                        "another but",
                        "play another one",
                        "something else but still",
                    ]
                )
            )
        getattr(self, attr)(d)
        return d

    def phrase(self, act: str, bank: Sequence[str], valence: float) -> _Draft:
        r = self.rng
        d = _Draft(act=act, valence=valence, reaction=act in ("skip", "give_up"))
        if r.random() < 0.15:
            d.add(r.choice(["um", "uh", "hmm", "oh", "ok", "well", "erm", "ah"]))
        d.add(r.choice(bank))
        if r.random() < 0.12 and act not in ("unclear",):
            d.add(r.choice(["please", "thanks", "now", "then", "for now", "ok", "man", "mate"]))
        return d

    def draft(self) -> _Draft:
        r = self.rng
        roll = r.random()
        if roll < 0.31:
            return self.request()
        if roll < 0.38:
            return self.bare_request()
        if roll < 0.4:
            return self.playlist_request()
        if roll < 0.44:
            return self.hedged_request()
        if roll < 0.53:
            return self.reaction("accept")
        if roll < 0.61:
            return self.reaction("reject")
        if roll < 0.68:
            return self.reaction_with_slots()
        if roll < 0.72:
            return self.phrase("request_alternative", ALTERNATIVE, 0.0)
        if roll < 0.76:
            return self.phrase("skip", SKIP, 0.0)
        if roll < 0.8:
            return self.phrase("dont_know", DONT_KNOW, 0.0)
        if roll < 0.84:
            return self.phrase("help", HELP, 0.0)
        if roll < 0.87:
            return self.phrase("stop", STOP, 0.0)
        if roll < 0.9:
            return self.phrase("give_up", GIVE_UP, -0.6)
        if roll < 0.94:
            return self.phrase("greet", GREET, 0.05)
        return self.phrase("unclear", UNCLEAR, 0.0)

    # -- surface noise -------------------------------------------------------------------------------------
    def render(self, d: _Draft) -> Example:
        r = self.rng
        segs = [s for s in d.segs if s.text]
        style = r.choices(["asr", "typed", "shout", "mixed"], [0.45, 0.42, 0.05, 0.08])[0]
        if style == "asr":
            segs = [s for s in segs if not (s.slot is None and not any(c.isalnum() for c in s.text))]
            segs = [
                s for s in segs if s.slot is not None or s.text not in FUNCTION_WORDS or r.random() > 0.12
            ]
            if r.random() < 0.25:
                i = r.randrange(len(segs) + 1) if segs else 0
                segs.insert(i, _Seg(r.choice(["um", "uh", "like", "you know", "i mean", "er", "uh uh"])))
            if r.random() < 0.1 and segs and segs[0].slot is None:
                segs.insert(0, _Seg(segs[0].text))
            if r.random() < 0.08:
                segs.append(_Seg(r.choice(["um", "uh", "er", "hmm", "i guess", "or something", "yeah"])))
        valence = d.valence
        out: list[tuple[str, _Seg]] = []
        for i, seg in enumerate(segs):
            word = seg.text
            if style == "asr":
                word = word.lower().replace("!", "").replace("?", "")
            elif style == "shout":
                word = word.upper()
            elif style == "typed":
                if seg.slot in ("artist", "track"):
                    word = word if r.random() < 0.25 else _title(word)
                if i == 0:
                    word = word[:1].upper() + word[1:]
                if word == "i":
                    word = "I"
            elif style == "mixed":
                word = word.capitalize() if r.random() < 0.5 else word
            out.append((word, seg))
        text, spans = "", []
        for word, seg in out:
            if text and not seg.glue:
                text += " "
            start = len(text)
            text += word
            if seg.slot:
                spans.append((start, len(text), seg.slot, seg.value))
        if d.reaction and style != "asr" and r.random() < 0.12:
            text, stretched = _stretch(r, text, spans)
            if stretched:
                valence *= 1.2
        if style == "shout" and d.reaction:
            valence *= 1.35
        if style != "asr":
            end = r.choices(["", ".", "!", "?", "!!", "..."], [0.45, 0.25, 0.15, 0.08, 0.04, 0.03])[0]
            if d.act in ("help",) and r.random() < 0.6:
                end = "?"
            text += end
            if d.reaction:
                valence += (0.12 if valence >= 0 else -0.12) * min(3, end.count("!"))
        valence = max(-1.0, min(1.0, valence / (1.0 + 0.3 * abs(valence)) * 1.3))
        return Example(text, d.act, tuple(_merge(spans)), round(valence, 4))


def _title(name: str) -> str:
    return " ".join(w if w in ("and", "the", "of") else w[:1].upper() + w[1:] for w in name.split(" "))


def _stretch(r: random.Random, text: str, spans: list[tuple[int, int, str, str]]) -> tuple[str, bool]:
    """ "yes" -> "yesss": stretch a vowel or final letter outside any span."""
    if spans:
        return text, False
    positions = [i for i, c in enumerate(text) if c.lower() in "aeiouys"]
    if not positions:
        return text, False
    i = r.choice(positions)
    return text[: i + 1] + text[i] * r.randint(2, 4) + text[i + 1 :], True


def _merge(spans: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    return sorted(spans)


@dataclass(frozen=True)
class Corpus:
    examples: list[Example]
    artists: list[str]
    """Every artist name the examples draw from (catalogue + invented)."""
    titles: list[str]


def generate(n: int, seed: int = 0, artists: Sequence[str] = (), titles: Sequence[str] = ()) -> Corpus:
    """`n` examples, the same for the same seed and name lists."""
    rng = random.Random(seed)
    pool_artists = sorted(set(artists)) + invented_artists(rng, 3000) + DECOY_NAMES[:6]
    pool_titles = sorted(set(titles)) + invented_titles(rng, 1500)
    gen = _Generator(rng, pool_artists, pool_titles)
    examples: list[Example] = []
    while len(examples) < n:
        example = gen.render(gen.draft())
        if example.text.strip() or example.act == "unclear":
            examples.append(example)
    return Corpus(examples, pool_artists, pool_titles)
