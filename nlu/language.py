"""Is a turn in another language? A guess from function words, for saying "I only understand English".

The understanding is trained on English only; given "ich möchte etwas ruhiges hören" the tagger still finds
something ("hören" as a track), and a conversation that acts on it goes nowhere. Function words are the
cheapest reliable signal for short turns (Cavnar and Trenkle's n-gram profiles need more text than a turn
has), and names are not function words, so "play some Los Lobos" stays English.
"""

from __future__ import annotations

import re
from dataclasses import replace

from nlu.meaning import Act, Understanding

__all__ = ["other_language", "without_foreign_names"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that are common in each language and are not English words (or only rarely).
_FUNCTION_WORDS = {
    "Spanish": _words(
        """el los las una unos unas del al y o pero porque que qué quiero quieres quiere puedes puede
        algo alguna alguno música canción canciones escuchar poner pon ponme reproducir por favor para
        con sin muy más menos como cómo cuando dónde donde estoy estás está tengo tienes hola gracias
        sí también otra otro esta este eso esto ahora hoy mi mis tu tus su sus nada bueno buena"""
    ),
    "French": _words(
        """le les une des du au aux et ou mais parce que qu je tu il elle nous vous ils elles veux voudrais
        peux pouvez quelque chose musique chanson chansons écouter mettre mets joue jouer pour avec sans
        très plus moins comme quand où suis es est ai as bonjour salut merci oui aussi autre cette ce
        cela ça maintenant aujourd mon ma mes ton ta tes son sa ses rien bon bonne s'il plaît svp"""
    ),
    "German": _words(
        """der die das den dem des ein eine einen einem einer und oder aber weil dass ich du er sie wir ihr
        möchte möchten will willst kannst können etwas musik lied lieder hören spielen spiel spiele für
        mit ohne sehr mehr weniger wie wann wo bin bist ist habe hast hallo danke ja auch andere anderes
        diese dieser dieses jetzt heute mein meine dein deine sein seine nichts gut gute bitte ruhiges
        ruhige"""
    ),
    "Italian": _words(
        """il lo gli una uno dei delle della dello e o ma perché che io tu lui lei noi voi loro voglio
        vorrei puoi può qualcosa musica canzone canzoni ascoltare mettere metti suona suonare per con
        senza molto più meno come quando dove sono sei è ho hai ciao grazie sì anche altra altro questa
        questo adesso oggi mio mia miei tuo tua niente buono buona di allegro allegra"""
    ),
    "Portuguese": _words(
        """os as uma umas uns do da dos das ao e ou mas porque que eu tu ele ela nós vocês eles quero
        queria pode podes algo alguma música canção canções ouvir tocar toca coloca para com sem muito
        mais menos como quando onde estou está tenho olá obrigado obrigada sim também outra outro esta
        este isso isto agora hoje meu minha meus teu tua nada bom boa favor"""
    ),
    "Dutch": _words(
        """de het een en of maar omdat dat ik jij je hij zij wij jullie wil wilt kun kunt iets muziek
        liedje liedjes luisteren spelen speel voor met zonder heel meer minder hoe wanneer waar ben bent
        heb hebt hallo dank bedankt ja ook andere deze dit nu vandaag mijn jouw zijn niets goed goede
        alsjeblieft graag"""
    ),
}
# English words the lists above share ("die", "is", "me", "son"): they count for English, not against it.
_ENGLISH = _words(
    """a an the and or but because that this these those i you he she we they it me my your want would
    like could can some something anything music song songs play put on listen hear to for with without
    very more less how when where what who am is are was have has hi hello thanks thank yes no also other
    now today please good maybe not don't just from by of in something please really kind sort"""
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def other_language(text: str) -> str | None:
    """The language a turn seems to be in when it is clearly not English ("German"), else None.

    Clearly: at least two function words of that language, more than English function words, and at least
    a third of the words. Anything less is left to the understanding, which handles English with a few
    foreign names or words in it.
    """
    words = [w.lower() for w in _WORD.findall(text[:1000])]
    if len(words) < 2:
        return None
    english = sum(w in _ENGLISH for w in words)
    best, hits = None, 0
    for language, vocabulary in _FUNCTION_WORDS.items():
        n = sum(w in vocabulary and w not in _ENGLISH for w in words)
        if n > hits:
            best, hits = language, n
    if best is None or hits < 2 or hits <= english or hits * 3 < len(words):
        return None
    return best


def without_foreign_names(text: str, u: Understanding) -> Understanding:
    """What is left of an understanding when the turn is in another language, with that language said: the
    tagger and the name cues find "names" among foreign words ("ich möchte etwas ruhiges hören" -> track
    "hören"), so artists and titles are dropped unless linked to the catalogue, while lexicon values stay
    ("je voudrais écouter du jazz" -> jazz). With nothing left, the turn is unclear. A turn naming an
    artist or title of the catalogue counts as English; English turns are returned as they are."""
    language = None if any(s.linked for s in u.slots) else other_language(text)
    if language is None:
        return u
    kept = tuple(s for s in u.slots if s.name not in ("artist", "track"))
    if not kept:
        return replace(u, act=Act.UNCLEAR, slots=(), confidence=min(u.confidence, 0.2), language=language)
    if kept != u.slots:
        return replace(u, act=Act.INFORM, slots=kept, language=language)
    return replace(u, language=language)
