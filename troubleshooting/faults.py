"""Does an operator's message report a fault with the machine? (SPEC §3.3)

A fault report starts a troubleshooting run; anything else is answered as an ordinary question.
Starting a run on "What is the pump pressure?" would be wrong and annoying, so precision comes first
on borderline questions. Runs on every chat turn: compiled regular expressions only.

Signals, in any of the six languages (all lists are always consulted, whatever the session says):

* a fault code ("P-206", "alarm E12") — an upper-case code with a hyphen counts on its own; one
  without a hyphen or in lower case needs a word such as alarm/error/code/screen in the message, a
  diagnostic question ("what does P206 mean?"), or must be (nearly) the whole message ("E12?",
  "E12 again"). Standards, part numbers and oil grades ("ISO-9001", "AB31-PS-1120", "HV46") are not;
* strong cues — the machine does not do its job ("won't turn", "δεν γυρίζει", "no gira",
  "dönmüyor", "starter ikke", "لا يعمل") or is in a bad state ("losing pressure", "overheating",
  "keeps drifting", "strange noise", "is gone") — count in statements and in questions ("why is the
  pressure dropping?" is a fault), except in specification questions ("how long can it run before it
  overheats?");
* weak cues — nouns and plain verbs ("noise", "leak", "alarm", "problem", "drop") — count in
  statements and in diagnostic questions ("why…", "what does … mean", "how do I fix…"), not in
  neutral questions ("what is the noise level?").

A cue right after a negation ("no leaks", "not overheating", "sin fugas") does not count, nor do
weak cues in a sentence that says the problem is solved, nor a quoted instruction ("do not run the
pump dry?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.text.lexicon import SYMPTOM_STEMS
from knowledge.glossary import glossary
from troubleshooting.wording import TR_NOT_FUNCTIONING, compile_phrases, negated, normalize, sentences, words


@dataclass(frozen=True)
class FaultSignal:
    is_fault: bool
    cues: tuple[str, ...]  # the matched words/codes, for logs and tests


NOT_FUNCTIONING = compile_phrases(
    """
en  not .. work*/turn*/rotat*/spin*/start*/run*/mov*/respond*/build*/rise/rising/power*/open*/pump*/suck*/hold*
en  not .. charg*/connect*/boot*/engag*/feed*/prim*/light*/function*/operat*/lift*/go/show*/display*/stay*/keep*
en  not .. go up
en  not .. come on | fails to | failed to | refuses to | stopped working | stops working | quit working
en  no longer work*/turn*/start*
es  no .. funcion*/gir*/arranc*/enciend*/enciende/prend*/sub*/muev*/mueve/respond*/bomb*/aspir*/carg*/conect*
es  no .. muestr*/abr*/levant*/trabaj*/anda/va/avanz*/rot* | dejó de funcionar | deja de funcionar
el  δεν/δε .. δουλ*/λειτουργ*/γυρ*/περιστρ*/ξεκιν*/παίρνει/ανάβ*/ανεβ*/κιν*/αντλ*/τραβ*/ανοίγ*/σταματ*/φορτ*
el  δεν/δε .. δείχν*/εμφαν*/ανταποκρ*/συνδ* | σταμάτησε να λειτουργεί/δουλεύει
nb  start*/roter*/snur*/går/gir/bygg*/stig*/beveg*/pump*/sug*/tenn*/komm*/reager*/åpn*/lad*/vis*/virk*/funger* .. ikke
nb  ikke .. start*/roter*/snu*/gå/bygg*/stig*/beveg*/pump*/sug*/tenn*/komm*/reager*/åpn*/virk*/funger*
nb  sluttet å virke/fungere
ar  لا/لم/ما/مش/مو/ليس .. يعمل/تعمل/يشتغل/تشتغل/يدور/تدور/يبدأ/تبدأ/يتحرك/تتحرك/يرتفع/ترتفع/يضخ/تضخ
ar  لا/لم/ما/مش/مو/ليس .. يستجيب/تستجيب/يظهر/تظهر/يعرض/تعرض/يفتح/تفتح/يشحن/تشحن | مش شغال | مو شغال | توقف عن العمل
""",
    TR_NOT_FUNCTIONING,
)
BAD_STATE = compile_phrases("""
en  dropping | losing | loses | lost .. pressure/power/image/signal/suction/oil/connection | leaking | leaked
en  dripping | overheat* | heating up | getting hot | drifting | drifted | drifts | vibrating | shaking | rattling
en  knocking | grinding | squealing | screeching | whining | smoking | sparking | slipping | stuck | jammed | jamming
en  clogged | blocked | tripping | tripped | cuts out | cutting out | shuts/shutting/switches/turns .. off/down
en  re:keeps (?:on )?\\w+ing | stalls | stalling | stalled | re:(?<!\\bi )(?<!\\bwe )(?:stopped|dropped) | freezes
en  froze | frozen | flickering
en  fluctuating | surging | wobbling | is/are/has/have gone | disappeared | vanished | went out | went dead
en  no signal/image/picture/video/power/pressure/flow/water/suction/response/connection | black/blank screen
en  broke | broken down | failed | something .. wrong | problem*/issue*/trouble with | there is a leak | there is water
en  makes/making/made .. noise*/sound* | strange/weird/odd/unusual/loud/funny/new/metallic/high-pitched noise*/sound*
en  grinding/rattling/knocking/squealing/whining/clicking/banging noise*/sound* | noise from | burning smell
el  χάνει | χάνω | έχασε | χάθηκε | πέφτει | έπεσε | στάζει | τρέχει νερό/λάδι | υπερθερμαίν* | ζεσταίνεται | ζεματάει
el  κάνει .. θόρυβο/θορύβους/ήχο | περίεργ*/παράξεν*/δυνατ*/μεταλλικ* θόρυβ*/ήχ* | θόρυβος από | τρέμει | δονείται
el  τραντάζεται | κολλάει | κόλλησε | κολλημένο | μπλοκάρ* | βούλωσε | βουλωμένο | φραγμένο | σταμάτησε
el  σβήνει μόνο/μόνη | έσβησε | χάλασε | χαλασμένο | έσπασε | εξαφανίστηκε | μαύρη οθόνη | καμία εικόνα | φεύγει
el  ξεφεύγει
el  απομακρύνεται | υπάρχει διαρροή | έχει διαρροή | κάτι δεν πάει καλά | πρόβλημα με
es  pierde | perdiendo | perdió | bajando | baja la presión | la presión baja | cae | cayendo | se cae | gotea
es  goteando | hay una fuga | tiene una fuga
es  sale agua/aceite | se calienta | calentando | sobrecalient* | vibra | vibrando | tiembla | hace .. ruido/ruidos
es  ruido* raro*/extraño*/fuerte/metálico | atascad* | atasca* | bloquead* | obstruid* | tapad* | se para sol*
es  se paró | se detiene sol* | se detuvo | se apaga sol* | se apagó | se fue | desapareci*
es  no hay imagen/presión/señal/agua/corriente
es  sin imagen/presión/señal | pantalla negra | se rompió | roto | rota | se desvía | se va de | deriva | algo .. mal
es  problema* con
tr  kaybediyor | kaybetti | düşüyor | düştü | sızdırıyor | sızıntı var | kaçırıyor | kaçak var | damlıyor | ısınıyor
tr  aşırı ısın* | titriyor | sallanıyor | ses yapıyor | ses geliyor | garip/tuhaf/anormal/yüksek/metalik/değişik ses
tr  sıkıştı | sıkışmış | tıkandı | tıkalı | tıkanmış | durdu | kendi kendine kapan* | kapandı | bozuldu | bozuk
tr  kırıldı | kırık
tr  gitti | kayboldu | görüntü yok | basınç yok | ekran siyah | kayıyor | sapıyor | uzaklaşıyor | sorun var
tr  problem var | arıza var
nb  mister | taper | tapt | faller | synker | lekker | drypper | overopphet* | blir .. varm | vibrerer | rister
nb  bråker | lager .. lyd/støy/lyder | rar/merkelig/høy/unormal/skrapende lyd/støy | sitter fast | satt seg fast
nb  tetter seg | blokkert | stopper hele tiden/stadig | stopper av seg selv | stoppet | stanset | slår seg av
nb  slo seg av | går i stå | gikk i stå
nb  er borte | forsvant | forsvunnet | ingen .. bilde/trykk/strøm/signal | svart skjerm | ødelagt | i stykker | knust
nb  driver av/bort | noe .. galt | problem/problemer med | feil på
ar  تفقد | يفقد | فقدان | ينخفض | تنخفض | انخفض | يهبط | هبوط | يسرب | تسرب | يسيل | ترشح | ينقط | يسخن | تسخن
ar  سخونة | ارتفاع .. الحرارة | حرارة عالية | يهتز | تهتز | صوت .. غريب/عالي/مزعج | أصوات غريبة | ضجيج | طقطقة
ar  عالق | عالقة | علق | مسدود | انسد | توقف | توقفت | يتوقف | تتوقف | انطفأ | اختفت | اختفى | راحت .. الصورة
ar  لا توجد .. صورة/ضغط/إشارة | ما في .. صورة/ضغط | شاشة سوداء | الشاشة سوداء | انكسر | مكسور | خربان | خرب
ar  معطل | تعطل | ينحرف | تنحرف | يبتعد | في مشكلة | مشكلة في | فيه مشكلة
""")
# SYMPTOM_STEMS recognise fault headings in manuals; "jam" is left out because it matches "jamás".
_STEMS = " | ".join(s + "*" for s in SYMPTOM_STEMS if s != "jam")
SYMPTOM = compile_phrases(
    "xx  " + _STEMS,
    """
en  noise* | leak* | lose | drop | drops | overheat | hot | drift | stops | fault* | alarm* | damaged | faulty
en  defective | loud | too low | too high | not enough | weak | smell* | fire | smoke | spark* | crack* | worn | torn
en  rust*
en  corros* | burst | jams | jammed | warning
el  θόρυβ* | απώλει* | συναγερμ* | ζεστ* | δόνηση | κραδασμ* | χαμηλή πίεση | φθορά | σκουριά | ραγισμ*
es  ruido* | pérdida* | baja | caliente | vibración* | presión baja | baja presión | desgaste | óxido
tr  ses | gürültü | sızıntı | kayıp | kaybı | titreşim* | sıcak | ısınma | düşük basınç | aşınma | pas
nb  lyd | støy | varm | vibrasjon* | lavt trykk | slitasje | rust
ar  ضوضاء | حرارة | ضغط منخفض | صدأ
""",
)
# "What does … mean", "why …", "how do I fix …": a question about a symptom is about a fault.
DIAGNOSTIC = compile_phrases("""
en  why | what's/whats wrong | what is wrong | what went wrong | what causes/caused | what could cause | cause of
en  what should/do/can i do | what to do | how .. fix/repair/solve/stop/clear/reset/cure/troubleshoot
en  what does .. mean | is it/this/that normal
el  γιατί | τι φταίει | τι έχει | τι να κάνω | τι πρέπει να κάνω | τι κάνω | πώς .. διορθώσω/φτιάξω/λύσω/σταματήσω
el  τι σημαίνει | είναι φυσιολογικό | ποια είναι η αιτία
es  por qué | porque | qué hago | qué debo hacer | qué puedo hacer | a qué se debe | qué significa | es normal
es  cómo .. arreglo/reparo/soluciono/quito/arreglar/reparar/solucionar | cuál es la causa | qué le pasa
tr  neden | niye | niçin | ne yapmalıyım | ne yapayım | ne yapabilirim | nasıl .. düzelt*/tamir/gider*/çöz* | ne demek
tr  anlamı ne | normal mi | sebebi ne | nedeni ne
nb  hvorfor | hva er galt | hva gjør jeg | hva skal jeg gjøre | hvordan .. fikse/fikser/reparere/løse/rette
nb  hva betyr | er det normalt | hva er årsaken
ar  لماذا | ليش | ليه | ماذا أفعل | ما العمل | شو أعمل | كيف .. أصلح/أحل/أوقف | ما معنى | ماذا يعني | هل هذا طبيعي
ar  ما السبب | ما سبب
""")
# Specification questions: a bad state they mention is hypothetical ("… before it overheats").
SPEC_QUESTION = compile_phrases("""
en  what/which is/are the max*/min*/normal/nominal/recommended/rated/operating/working/allowed/permitted/correct
en  what/which is/are the right/standard/typical/default/expected/required/ideal/usual | what's/whats the max*/min*
en  how heavy/long/much/many/big/large/wide/tall/high/often/far/fast/deep/old/hot/cold | what/which size/type/kind/grade
en  when should/do/must
es  cuál es el/la máxim*/mínim*/normal/recomendad*/nominal/correct* | cuánto/cuánta/cuántos/cuántas | cada cuánto
es  qué tipo/tamaño
el  ποια/ποιο/ποιος είναι η/ο/το μέγιστ*/ελάχιστ*/κανονικ*/συνιστώμεν*/ονομαστικ* | πόσο/πόση/πόσα/πόσες/πόσοι
el  κάθε πότε | τι τύπου | τι μέγεθος
tr  maksimum/azami/önerilen/nominal/asgari/minimum | ne kadar | kaç* | hangi tip/tür/yağ/model | ne sıklıkla | ne zaman
nb  hva er maks*/minimal*/minste/normal*/anbefalt*/nominell*/riktig* | hvor tung/lang/mye/mange/stor/ofte/høy/bred/dyp
nb  hvilken type/størrelse | når bør/skal
ar  كم | كل كم | ما نوع | ما حجم | ما هو الحد | ما هي الحد
""")
# "No problem", "the problem is solved": a weak cue in such a sentence reports no fault.
RESOLVED = compile_phrases("""
en  no problem* | no issue* | solved | fixed | resolved | works now | working now
el  κανένα πρόβλημα | χωρίς πρόβλημα | λύθηκε | διορθώθηκε
es  sin problema* | ningún problema | solucionado | resuelto | arreglado
tr  sorun yok | sorun değil | problem yok | sorun kalmadı | çözüldü | düzeldi
nb  ingen problem* | ikke noe problem | løst | fikset
ar  لا مشكلة | ما في مشكلة | مافي مشكلة | بدون مشاكل | تم الحل | انحلت
""")
CODE_CONTEXT = compile_phrases("""
en  alarm* | error* | code* | fault* | fail* | screen | display* | show* | message | warning*
el  κωδικ* | σφάλμα* | συναγερμ* | οθόν* | ένδειξ* | εμφαν* | δείχνει
es  código* | alarma* | pantalla* | aviso* | fallo* | muestra* | aparece*
tr  kod* | hata* | ekran* | arıza* | uyarı* | gösteriyor
nb  feil* | kode* | skjerm* | melding* | viser
ar  رمز | كود | خطأ | إنذار | الشاشة | شاشة | يظهر | تظهر | رسالة
""")
_CODE_RE = re.compile(r"(?<![\w.\-/])([A-Za-z]{1,3})(-?)(\d{2,4})(?![\w\-/]|[.,]\d)")
# Standards, threads, pipe sizes and protection classes look like codes but are not.
_NOT_CODES = frozenset(("ISO", "EN", "DIN", "IEC", "IP", "DN", "PN", "NPT", "UNF", "UNC", "CE", "SAE", "BSP", "M", "G"))
# A message of at most this many words that opens with a code is about the code ("E12 again").
_CODE_ONLY_WORDS = 3


def _fault_codes(text: str, norm: str) -> list[str]:
    codes = []
    n_words = len(words(norm))
    context = CODE_CONTEXT.search(norm) is not None or DIAGNOSTIC.search(norm) is not None or n_words <= 2
    for m in _CODE_RE.finditer(text):
        letters, hyphen, digits = m.groups()
        if letters.upper() in _NOT_CODES:
            continue
        leading = n_words <= _CODE_ONLY_WORDS and not text[: m.start()].strip()  # "E12 again"
        if (letters.isupper() and hyphen) or context or leading:
            codes.append(f"{letters.upper()}{hyphen}{digits}")
    return codes


def _cues(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m[0] for m in pattern.finditer(text) if not negated(text, m, 2)]


def fault_signal(text: str, language: str | None = None, *, concepts: tuple[str, ...] = ()) -> FaultSignal:
    """Whether `text` reports a fault, and the cues that said so.

    `language` is only a hint and is not needed: every language's cues are always consulted.
    `concepts` are the glossary concepts of the text (knowledge.glossary, as the turn's search found
    them): a concept of kind "fault" ("pressure_drop", "wont_start") is a cue in any of the six
    languages, wider than the lists here — except in a specification question ("how long can it run
    before it overheats?").
    """
    norm = normalize(text)
    cues = _fault_codes(text, norm)
    parts = sentences(norm)
    if concepts and not any(s.question and SPEC_QUESTION.match(s.question) for s in parts):
        terms = glossary()
        cues += [c for c in concepts if c in terms.concepts and terms.kind(c) == "fault"]
    for sentence in parts:
        whole = ", ".join(part for part in (sentence.lead, sentence.question) if part)
        spec = bool(sentence.question) and SPEC_QUESTION.match(sentence.question) is not None
        cues += NOT_FUNCTIONING.findall(whole) if not _imperative(whole) else []
        if not spec:
            cues += _cues(BAD_STATE, whole)
        if RESOLVED.search(whole):
            continue
        cues += _cues(SYMPTOM, sentence.lead)
        if sentence.question and DIAGNOSTIC.search(sentence.question):
            cues += _cues(SYMPTOM, sentence.question)
    unique = tuple(dict.fromkeys(c.strip() for c in cues))
    return FaultSignal(bool(unique), unique)


def is_question(text: str) -> bool:
    """The message asks something (rather than only stating what the machine does)."""
    return any(sentence.question for sentence in sentences(normalize(text)))


_IMPERATIVE_RE = re.compile(r"^(?:please )?(?:do not|μην)\b")


def _imperative(sentence: str) -> bool:
    """An instruction quoted or asked about ("do not run the pump dry?") is not a symptom."""
    return _IMPERATIVE_RE.match(sentence) is not None
