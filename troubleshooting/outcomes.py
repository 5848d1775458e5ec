"""Read a step's outcome from the operator's free-text reply to "did this work?" (SPEC §3.3).

While a troubleshooting step waits for an answer, every chat message goes through
`outcome_from_text`. It must tell an answer ("yes", "δεν δούλεψε", "sigue igual", "litt bedre")
from a new question ("where is the filter?") or a new fault, in any of the six languages, whatever
the session language says: all word lists are always consulted (an operator who chose English
often writes Greek), and they do not collide in ways that change an outcome.

Precedence, first match wins, because the answers mix signals ("better but still low"):

1. unsafe — smoke, fire, sparks, burning or gas smell, shock, injury anywhere in the message, even
   inside a question; "dangerous"/"not safe" only outside questions. A negated cue ("no smoke")
   does not count. Safety always wins.
2. Only what the message states before its first question counts ("didn't work, where is the
   filter?" → didnt_work; "where is the filter?" → None). Long messages (> 25 words) are read
   only at their start: a new fault description is not an answer.
3. "no problem", "not leaking anymore" read as success; "not sure", "maybe", "trying now" block
   "worked" and a bare yes/no (an unsure reply is no outcome).
4. not better ("no better", "worse") → didnt_work; then partial ("a bit better", "partly",
   "yes but") → partially_worked; then no change → didnt_work; then "I can't do this step", "no
   tool" → skipped; then negations ("didn't work", "not fixed", "still", "same") → didnt_work —
   negations beat the positive words they contain; then worked; then skip words ("skip", "next
   step"); finally a reply that opens with yes/no ("no", "όχι", "nei", "hayır", "لا") — the
   question was "did this work?".
5. Weak cues — a bare state ("not turning", "it turns", "bien") — only count in short replies
   (≤ 10 words); in longer ones they describe the machine, not the step.
"""

from __future__ import annotations

import re

from troubleshooting.wording import TR_NOT_FUNCTIONING, compile_phrases, negated, normalize, sentences, word_set, words

OUTCOMES = ("worked", "partially_worked", "didnt_work", "skipped", "unsafe")

SHORT_REPLY_WORDS = 10  # up to this many words, weak cues count
LONG_MESSAGE_WORDS = 25  # beyond this many, only the opening counts ...
OPENING_WORDS = 12  # ... this many words

UNSAFE_STRONG = compile_phrases("""
en  smoke* | fire | on fire | flame* | sparks | sparking | sparked | a spark | burning | burnt smell | burned smell
en  smells burnt | smell of burning | electric shock | got a shock | shocked me | electrocut* | gas smell
en  smell* of gas
en  smells like gas | injured | injury | hurt myself | i am hurt | bleeding | explod* | explosion | melted | melting
en  short circuit | _fire_ | _smoke_ | _spark_
el  καπν* | φωτιά | φλόγα | φλόγες | σπίθα | σπίθες | σπινθήρ* | καμένο | μυρίζει καμένο | μυρωδιά καμένου
el  ηλεκτροπληξία | με χτύπησε ρεύμα | χτύπησε ρεύμα | με τίναξε | μυρίζει γκάζι | μυρωδιά γκαζιού | μυρωδιά αερίου
el  μυρίζει αέριο | τραυματ* | χτύπησα | αιμορραγ* | έκρηξη | έλιωσε | λιώνει | βραχυκύκλωμα
es  humo* | fuego | llamas | chispa* | chispea* | olor a quemado | huele a quemado | quemándose | descarga eléctrica
es  me dio .. descarga | calambre | electrocut* | olor a gas | huele a gas | herido | herida | me lastimé | me corté
es  sangr* | explot* | explosión | derriti* | cortocircuito
tr  duman* | yangın | ateş | alev* | kıvılcım* | yanık kokusu | yanık koku* | yanma kokusu | elektrik çarptı | çarpıldım
tr  beni çarptı | elektrik çarpması | gaz kokusu | gaz kokuyor | yaralandım | yaralı | kanıyor | patladı | patlama
tr  eridi | kısa devre
nb  røyk* | brann | flamme* | gnist* | brent lukt | lukter brent | svidd lukt | lukter svidd | elektrisk støt
nb  fikk støt
nb  gasslukt | lukter gass | skadet meg | jeg er skadet | personskade | blør | eksplo* | smeltet | kortslutning
ar  دخان | حريق | نار | لهب | شرار* | رائحة احتراق | ريحة احتراق | رائحة حريق | رائحة شياط | ريحة شياط | صعق*
ar  ماس كهربائي | كهربتني | رائحة غاز | ريحة غاز | اصابة | أصبت | انجرحت | نزيف | انفجار | انفجر | ذاب
""")
UNSAFE_WEAK = compile_phrases("""
en  dangerous | danger | unsafe | not safe | risky | hazard* | scared | too hot to touch
el  επικίνδυν* | κίνδυνος | δεν είναι ασφαλές | μη ασφαλές | ανασφαλές | φοβάμαι
es  peligro* | no es seguro | inseguro | arriesgado | me da miedo | tengo miedo
tr  tehlikeli | tehlike | güvenli değil | güvensiz | riskli | korkuyorum
nb  farlig | fare | ikke trygt | utrygt | risikabelt | redd
ar  خطير | خطر | غير آمن | ليس آمن* | مش آمن | خايف | أخاف
""")
CLEARED = compile_phrases("""
en  no problem* | no issue* | no more leak*/noise/alarm*/vibration*/smoke
en  no longer leak*/drip*/vibrat*/overheat*/drift*
en  not leak*/drip*/vibrat*/overheat* | nothing wrong | stopped leaking/dripping | leak .. stopped
en  alarm* .. gone/cleared
en  noise .. gone | error .. gone/cleared
el  κανένα πρόβλημα | δεν στάζει/χάνει/ζεσταίνεται/δονείται | δεν κάνει θόρυβο | δεν υπάρχει διαρροή
el  σταμάτησε η διαρροή
el  σταμάτησε να στάζει | ο συναγερμός έφυγε/σβήστηκε/σταμάτησε | έφυγε ο συναγερμός
es  sin problema* | ningún problema | ya no gotea/pierde/suena/vibra/calienta | ya no hace ruido | no gotea | no pierde
es  no hay fuga* | ya no hay fuga*/alarma/ruido | alarma .. desapareci*
tr  sorun yok | sorun kalmadı | problem yok | problem kalmadı | arıza kalmadı | kaçak kalmadı | sızıntı kalmadı
tr  ses kalmadı | alarm gitti | alarm kalmadı | sızdırmıyor | damlatmıyor | damlamıyor | titremiyor | ısınmıyor
tr  kaçırmıyor | sızıntı durdu | kaçak durdu
nb  ikke noe problem | ingen problem* | lekker ikke | drypper ikke | vibrerer ikke | lekkasjen .. stoppet
nb  alarmen .. borte/forsvant | ikke lenger lekk*
ar  لا مشكلة | لا مشاكل | مافي مشكلة | ما في مشكلة | بدون مشاكل | مفيش مشكلة | توقف التسرب | لم يعد يسرب
ar  ما عاد يسرب | لا يسرب | اختفى الانذار | راح الانذار
""")
UNSURE = compile_phrases("""
en  not sure | unsure | not know | dunno | no idea | maybe | perhaps | not certain | hard to say | can not tell
en  not yet
en  working on it | trying | will try | will check | let me check | i will see
es  re:no se(?=\\s+si\\b|\\s*$|\\s*[^\\w\\s]) | ni idea | quizás | quizá | tal vez | no estoy segur* | voy a probar
es  re:(?:todavia|aun) no(?=\\s*$|\\s*[^\\w\\s]) | lo intento | estoy probando
el  δεν ξέρω | δεν είμαι σίγουρ* | ίσως | ιδέα δεν έχω | θα δοκιμάσω | re:οχι ακομ[αη](?=\\s*$|\\s*[^\\w\\s])
tr  bilmiyorum | bilemiyorum | emin değilim | belki | fikrim yok | henüz değil | henüz | deneyeceğim | deniyorum
nb  vet ikke | aner ikke | usikker | kanskje | ikke sikker | ikke ennå | ikke enda | skal prøve | prøver nå
nb  virker som
ar  لا أعرف | ما أعرف | مش عارف | ما بعرف | لست متأكد* | مش متأكد | مو متأكد | ربما | يمكن | ليس بعد | سأجرب
""")
NOT_BETTER = compile_phrases("""
en  not .. better | no better | not .. improv* | no improvement | worse
es  no .. mejor* | no hay mejora | sin mejora | ninguna mejora | peor
el  δεν .. καλύτερ* | δεν .. βελτιώθηκε | καμία βελτίωση | όχι καλύτερα | χειρότερ*
tr  daha iyi değil | iyi değil | iyileşmedi | daha kötü | kötüleşti | kötü
nb  ikke bedre | ikke noe bedre | ingen bedring | ingen forbedring | verre
ar  ليس أفضل | مش أحسن | مو أحسن | لم يتحسن | ما تحسن | لا تحسن | أسوأ
""")
PARTIAL = compile_phrases("""
en  partly | partially | partial | somewhat | a bit better | a little better | slightly better | bit better | better
en  improv* | not completely | not fully | not entirely | not quite | almost | mostly | kind of | sort of | halfway
en  but still | less than before | a bit | a little
es  parcialmente | en parte | a medias | más o menos | algo mejor | un poco mejor | mejor | mejoró | mejora
es  ha mejorado
es  casi | no del todo | no completamente | pero todavía | pero aún | pero sigue | un poco
el  λίγο καλύτερα | κάπως καλύτερα | καλύτερα | καλύτερο | εν μέρει | μερικώς | κάπως | βελτιώθηκε | βελτίωση | σχεδόν
el  όχι εντελώς | όχι τελείως | αλλά ακόμα | αλλά ακόμη | λίγο
tr  biraz daha iyi | biraz iyi | daha iyi | biraz düzeldi | biraz iyileşti | iyileşti | kısmen | yarı yarıya | neredeyse
tr  tam değil | tamamen değil | ama hala | fakat hala | ancak hala | biraz
nb  litt bedre | noe bedre | bedre | delvis | nesten | halvveis | ikke helt | men fortsatt | men fremdeles | forbedret
nb  bedring | litt
ar  أفضل قليلا | أفضل | أحسن | تحسن* | جزئيا | نوعا ما | شوي | قليلا | لكن ما زال | لكن لا يزال | بس لسه | مش تماما
ar  ليس تماما
""")
# "yes, but …", "works but …": the step did something, not everything.
_HEADS = "yes yeah worked works working fixed helped si funciona funciono sirvio ναι δουλεψε δουλευει λειτουργει evet"
_HEADS += " calisti calisiyor oldu duzeldi ja fungerte fungerer virker hjalp نعم اشتغل يعمل نجح"
_BUTS = "but however although pero aunque αλλα ομως ama fakat ancak men بس لكن ولكن"
PARTIAL_BUT = re.compile(rf"(?<!\w)(?:{'|'.join(_HEADS.split())})[\s,;:.-]*(?:{'|'.join(_BUTS.split())})(?!\w)")
NO_CHANGE = compile_phrases("""
en  no change* | not .. chang* | nothing .. chang* | no difference | not .. difference | no effect | no luck | no good
en  no success | no result* | nothing happen* | did nothing | nothing
es  sin cambio* | ningún cambio | no .. cambi* | no hay diferencia | ninguna diferencia | nada cambi* | no pasó nada
es  nada
el  καμία αλλαγή | δεν .. άλλαξε | δεν .. αλλάζει | καμία διαφορά | δεν .. διαφορά | τίποτα | τίποτε
tr  değişiklik yok | değişmedi | değişen bir şey yok | fark yok | fark etmedi | hiçbir şey | sonuç yok | etkisi yok
nb  ingen endring | ingen forskjell | ikke .. forskjell | ikke .. endring | ingenting | ingen effekt | uendret
ar  لا تغيير | لم يتغير | ما تغير | ماتغير | بدون تغيير | لا يوجد تغيير | ما في تغيير | لا فرق | ما في فرق | لا شيء
ar  ولا شي | ما صار شي | لم يحدث شيء
""")
CANT = compile_phrases("""
en  i can/could not .. do/reach/open/find/access/get/remove/loosen/undo/unscrew/lift/take/turn/perform/follow/check
en  i can/could not .. clean/locate/move | unable to | not able to | i do not have .. tool*/key/spanner/wrench/ladder
en  i have no .. tool*/key/spanner/wrench | no tool* | without .. tool* | did not try | have not tried | not tried
es  no puedo | no pude | no he podido | no tengo .. herramienta*/llave*/acceso | sin herramienta*
es  me falta* .. herramienta*
es  no lo voy a hacer | no alcanzo | no llego | no lo intenté | no lo he intentado | no lo he hecho
el  δεν μπορώ | δεν μπόρεσα | δεν καταφέρνω | δεν κατάφερα | δεν έχω .. εργαλεί*/κλειδί/πρόσβαση | χωρίς εργαλεί*
el  δεν θα το κάνω | δεν το δοκίμασα | δεν το έκανα
tr  re:\\w+[ae]m[iu]yorum | re:\\w+[ae]mad[iu]m | re:\\w{2,}[ae]m[ae]m | aletim yok | alet yok | takım yok
tr  anahtarım yok
tr  aletim .. yok | yapmayacağım | denemedim | yapmadım
nb  jeg kan ikke | jeg klarer ikke | jeg får ikke til | jeg fikk ikke til | jeg greier ikke | mangler verktøy*
nb  uten verktøy*
nb  jeg har ikke .. verktøy*/nøkkel/tilgang | prøvde ikke | har ikke prøvd | gjorde det ikke
ar  لا أستطيع | ما أقدر | ما بقدر | مش قادر | مو قادر | لا يمكنني | لم أستطع | لم أتمكن | ما قدرت | ماعندي
ar  ليس لدي .. أداة/عدة/مفتاح | ما عندي .. أداة/عدة/مفتاح | بدون عدة | بدون أداة | لم أجرب | ما جربت
""")
NEG = compile_phrases("""
en  not .. work*/help*/fix*/solv*/resolv*/succeed* | not .. do anything | not .. do the trick | failed | fail* | still
en  same | useless | not really | not at all | re:did not(?=\\s*$|\\s*[^\\w\\s])
es  no .. funcion*/sirv*/arregl*/solucion*/resolv*/ayud* | fall* | sigue | siguen | igual | lo mismo | mismo problema
es  todavía | aún | tampoco | no anda | no va
el  δεν/δε .. δουλ*/λειτουργ*/λυθ*/διορθ*/φτιαχ*/φτιαξ*/βοηθ*/πετυχ*/επιασ* | ακόμα | ακόμη | ίδιο* | ίδια | απέτυχε
tr  işe yaramadı | yaramadı | işe yaramıyor | yaramıyor | olmadı | olmuyor | düzelmedi | düzelmiyor | çözülmedi
tr  çalışmadı | çalışmıyor | hala | hâlâ | halen | aynı | aynısı | başarısız
nb  fungert*/funger*/virk*/hjalp/hjelp*/fiks*/løs*/ordn* .. ikke
nb  ikke .. fungert*/funger*/virk*/hjalp/hjulpet/fiks*/løs*
nb  fortsatt | fremdeles | samme | mislyk* | nytteløst
ar  لم .. ينجح/تنجح/يعمل/تعمل/يشتغل/تشتغل/يفيد/ينفع/يحل/تحل | ما .. نجح/نجحت/اشتغل/اشتغلت/زبط/ظبط/نفع/فاد/انحل/انحلت
ar  مش .. زابط/شغال/نافع | لا .. يعمل/تعمل/يشتغل/تشتغل/ينفع | ما زال* | مازال* | ما زلت | لا يزال | لا تزال | لسه | لسا
ar  نفس .. المشكلة/الشي/الشيء | نفسه | فشل* | بدون فائدة | بلا فائدة
""")
NEG_WEAK = compile_phrases(
    """
en  not .. turn*/rotat*/spin*/start*/run*/mov*/respond*/build*/rise*/light*/power*/open*/pump*/suck*/hold*/stop*
en  not .. go up | not .. come on | no pressure/power/image/picture/signal/flow/water/suction/response/movement
en  too low
en  low pressure | dead | nope
es  no .. gir*/arranc*/enciend*/enciende/prend*/sub*/muev*/mueve/respond*/bomb*/aspir*/abr* | sin presión | muy baja
es  no hay presión/imagen/señal/agua/flujo/corriente
el  δεν/δε .. γυρ*/περιστρ*/ξεκιν*/παίρνει/ανάβ*/ανεβ*/κιν*/αντλ*/τραβ*/ανοίγ*/σταματ* | χωρίς πίεση
el  καθόλου πίεση | δεν έχει .. πίεση/εικόνα/ρεύμα/σήμα | χαμηλή
tr  basınç yok | görüntü yok | güç yok | düşük
nb  starter/roterer/snur/går/gir/bygger/stiger/beveger/pumper/suger/tenner/kommer/reagerer/åpner .. ikke | uten trykk
nb  ikke .. start*/roter*/snu*/gå/bygg*/stig*/beveg*/pump*/sug*/tenn*/komm*/reager*/åpn* | ingen .. trykk/bilde/strøm
nb  lavt trykk
ar  لا/لم/ما/مش/مو .. يدور/تدور/يشتغل/تشتغل/يبدأ/تبدأ/يتحرك/تتحرك/يرتفع/ترتفع/يضخ/تضخ/يستجيب/تستجيب/يعرض/تعرض | مش شغال
ar  مو شغال | لا يوجد .. ضغط/صورة/كهرباء | ما في ضغط | بدون ضغط | منخفض
""",
    TR_NOT_FUNCTIONING,
)
WORKED = compile_phrases("""
en  worked | works | working | fixed | solved | resolved | sorted | that did it | did the trick | helped | success*
en  problem gone | issue gone | back to normal | normal again | pressure/image/picture/signal/power/flow .. back
en  all good | all fine | all ok | good now | fine now | ok now | okay now | great | perfect | excellent | awesome
en  _ok_
es  funcionó | funciona | funcionando | arreglado* | se arregló | solucionado* | se solucionó | resuelto | listo
es  sirvió | ya está | ya va | ya anda | todo bien | todo ok | todo correcto | perfecto | genial | excelente
es  gira ahora | arrancó | volvió la presión | la presión volvió
el  δούλεψε | δουλεύει | λειτουργεί | λειτούργησε | λύθηκε | διορθώθηκε | φτιάχτηκε | έφτιαξε | βοήθησε | πέτυχε
el  εντάξει τώρα | όλα καλά | όλα εντάξει | τέλεια | τέλειο | γυρίζει τώρα | ξεκίνησε | επανήλθε | μια χαρά
tr  çalıştı | çalışıyor | düzeldi | tamam oldu | iyi oldu | işe yaradı | yaradı | çözüldü | halloldu | tamamdır
tr  şimdi iyi | mükemmel
tr  harika | süper | dönüyor | basınç geldi | geri geldi | normale döndü
nb  fungerte | fungerer | virket | virker | løst | fikset | ordnet | i orden | alt bra | alt ok | bra nå | ok nå
nb  går nå | hjalp | perfekt | flott | supert | topp | trykket/bildet/strømmen .. tilbake | normalt igjen
ar  نجح | نجحت | اشتغل | اشتغلت | يعمل الآن | تعمل الآن | شغال | زبط | ظبط | تم الحل | تم الإصلاح | انحلت | اتحلت
ar  حلت المشكلة | انحلت المشكلة | تمام | ممتاز | رائع | عاد الضغط | رجع الضغط | يدور الآن
""")
WORKED_WEAK = compile_phrases("""
en  turns | turning | spins | spinning | rotates | rotating | runs | running | starts | started | good | fine | normal
es  gira | girando | arranca | anda | va bien | bien | normal
el  γυρίζει | περιστρέφεται | ξεκινάει | ξεκινά | καλά | κανονικά | ανεβαίνει
tr  iyi | normal | başladı
nb  går | roterer | snurrer | starter | bra | fint | greit | normalt
ar  يدور | تدور | يعمل | تعمل | جيد | كويس | منيح | طبيعي
""")
SKIP = compile_phrases("""
en  skip* | next | next step | next one | move on | go on | pass | another step | other step | later | not now
en  i will not do* | rather not
es  saltar | salta* | sáltalo | omitir | omite | omítelo | siguiente | siguiente paso | próximo paso | otro paso
es  más tarde
el  παράλειψ* | προσπέρασ* | επόμενο | επόμενο βήμα | άλλο βήμα | αργότερα | όχι τώρα | πάμε παρακάτω | παρακάτω
tr  atla* | geç | geçelim | sonraki | sonraki adım | bir sonraki | başka adım | daha sonra | şimdi değil
nb  hopp over | hopp | hoppe over | hopper over | neste | neste steg | neste trinn | et annet steg | senere | ikke nå
ar  تخطي | تخطى | تخطاها | تجاوز* | التالي | الخطوة التالية | خطوة أخرى | بعدين | لاحقا | ليس الآن
""")
_YES = "yes yeah yea yep yup sure correct affirmative indeed _yes_ si sí sip claro efectivamente correcto ναι μάλιστα"
_YES += " σωστά evet aynen tabii ja jepp japp jo jada نعم اي ايوه ايوا أجل بلى أكيد"
_NO = "no nope nah negative _no_ nop όχι όχ hayır yok nei neida لا كلا"
_FILLERS = "ok okay well hmm um uh so oh ah pues bueno vale eh ε λοιπόν şey tamam vel altså طيب يعني"
YES_WORDS, NO_WORDS, FILLERS = word_set(_YES), word_set(_NO), word_set(_FILLERS)


_WORD = re.compile(r"[\w']+")


def _unnegated(pattern: re.Pattern[str], text: str) -> bool:
    return any(not negated(text, m) for m in pattern.finditer(text))


def _scope(norm: str) -> str:
    """What the message states before its first question, cut to its opening when it is long."""
    parts = []
    for sentence in sentences(norm):
        if sentence.lead:
            parts.append(sentence.lead)
        if sentence.question:
            break
    scope = " . ".join(parts)
    tokens = list(_WORD.finditer(scope))
    if len(tokens) > LONG_MESSAGE_WORDS:
        scope = scope[: tokens[OPENING_WORDS - 1].end()]
    return scope


def outcome_from_text(text: str, language: str | None = None) -> str | None:
    """One of OUTCOMES when `text` answers "did this step work?", None when it is something else.

    `language` is only a hint and is not needed: every language's words are always consulted.
    """
    norm = normalize(text)
    if not norm:
        return None
    scope = _scope(norm)
    if _unnegated(UNSAFE_STRONG, norm) or _unnegated(UNSAFE_WEAK, scope):
        return "unsafe"
    if not scope:
        return None
    short = len(words(scope)) <= SHORT_REPLY_WORDS
    scope = CLEARED.sub(lambda m: m[0] if negated(scope, m, 2) else " _ok_ ", scope)
    unsure = UNSURE.search(scope) is not None
    if unsure:
        scope = UNSURE.sub(" _unsure_ ", scope)
    if NOT_BETTER.search(scope):
        return "didnt_work"
    if PARTIAL.search(scope) or PARTIAL_BUT.search(scope):
        return "partially_worked"
    if NO_CHANGE.search(scope):
        return "didnt_work"
    if CANT.search(scope):
        return "skipped"
    if NEG.search(scope) or (short and NEG_WEAK.search(scope)):
        return "didnt_work"
    if not unsure and (WORKED.search(scope) or (short and WORKED_WEAK.search(scope))):
        return "worked"
    if SKIP.search(scope):
        return "skipped"
    if unsure:
        return None
    first = next((w for w in words(scope) if w not in FILLERS), None)
    if first in YES_WORDS:
        return "worked"
    if first in NO_WORDS:
        return "didnt_work"
    return None
