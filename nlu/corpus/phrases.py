"""Phrase banks of the training corpus: what the lexicon does not hold, reactions with their valence, the
words of each act, carriers, prefixes, suffixes and recognizer homophones. Data only; nlu/corpus/ builds
utterances from it."""

from __future__ import annotations

from nlu.lexicon import ACT_PHRASES


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
