## API-fel
error-malformed_json = Begärans innehåll är inte giltig JSON för den här slutpunkten.
error-invalid_field = Ett fält i begäran har fel typ eller värde.
error-payload_too_large = Begärans innehåll är större än gränsen på 1 MiB.
error-bad_compression = Begärans innehåll kunde inte packas upp.
error-unsupported_media_type = Begärans innehåll måste vara JSON (Content-Type: application/json).
error-unauthorized = Inloggningsuppgifter saknas eller är ogiltiga.
error-forbidden = Din roll tillåter inte den här åtgärden.
error-not_found = Objektet finns inte.
error-method_not_allowed = Metoden är inte tillåten för den här sökvägen.
error-invalid_cursor = Sidmarkören är ogiltig; börja om från första sidan.
error-invalid_query = En frågeparameter har ett felaktigt värde.
error-unknown_token = Registreringstoken är okänd.
error-token_expired = Registreringstoken har gått ut.
error-token_exhausted = Registreringstoken har använts det högsta tillåtna antalet gånger.
error-token_revoked = Registreringstoken har återkallats.
error-platform_not_allowed = Den här plattformen får inte registreras med den här token.
error-malformed_request = Registreringsbegäran är ofullständig eller har ogiltiga fält.
error-duplicate_device = Enheten är redan registrerad; dra först tillbaka den befintliga enhetsposten.
error-invalid_credentials = Fel e-postadress eller lösenord.
error-account_locked = För många misslyckade inloggningar: kontot är låst en stund. Försök igen senare eller kontakta en administratör.
error-csrf_mismatch = Begäran saknar en giltig CSRF-token; ladda om sidan och försök igen.
error-conflict = Objektet finns redan.
error-mail_not_configured = E-post är inte konfigurerad: ange först en SMTP-server (notify.smtp_host).
error-device_retired = Enheten har dragits tillbaka och får inte längre checka in.
error-overloaded = Servern är upptagen; försök igen om en stund.
error-internal = Ett internt fel inträffade; det har loggats.
error-field_too_long = Ett fält i begäran är längre än tillåtet.
error-too_many_entries = En lista eller tabell i begäran har fler poster än tillåtet.
error-too_many_attempts = För många misslyckade försök från din adress; vänta en stund och försök igen.
error-unavailable = Databasen kan inte nås just nu; försök igen om en stund.
error-outbound_refused = Adressen är inte tillåten: använd http eller https till en offentlig adress, eller be serverns ägare att tillåta den (outbound.allow).
error-unknown_reference = Begäran hänvisar till något som inte finns eller inte kan användas här (en kanal, regel, funktion eller uppdatering).
error-invalid_period = Perioden slutar innan den börjar eller är redan över.
error-own_request = Du kan inte godkänna eller avslå din egen begäran: en annan administratör måste besluta.
error-already_decided = Den här begäran har redan avgjorts.

## Startsida

## Kommandorad
cli-error = Fel: { $message }
cli-serve-listening = Steward lyssnar på { $url } (lagring: { $backend }).
cli-demo-starting = Startar demon med { $count ->
    [one] 1 simulerad enhet…
   *[other] { $count } simulerade enheter…
}
cli-demo-ready = Demon är klar efter { $secs } s.
cli-demo-url = Server: { $url }
cli-demo-admin = Administratör: { $email }   lösenord: { $password }
cli-demo-api-token = API-token (administratör): { $token }
cli-demo-enroll-token = Registreringstoken: { $token }
cli-demo-fleet = { $count ->
    [one] 1 simulerad enhet checkar
   *[other] { $count } simulerade enheter checkar
} in med { $interval } s mellanrum.
cli-demo-try = Prova: curl -H "Authorization: Bearer { $token }" { $url }/api/v1/devices
cli-demo-stop = Tryck Ctrl-C för att avsluta.
cli-token-created = API-token skapad med rollen { $role }. Den visas bara en gång:
cli-enroll-token-created = Registreringstoken skapad. Den visas bara en gång:
cli-enroll-token-revoked = Registreringstoken { $id } återkallad.
cli-user-created = Användaren { $email } skapad med rollen { $role }.
cli-user-password = Lösenord (visas bara en gång): { $password }
cli-invalid-role = Okänd roll "{ $role }". Använd administrator, operator, helpdesk eller readonly.
cli-sim-summary = Simuleringen är klar: { $enrolled ->
    [one] 1 enhet registrerad
   *[other] { $enrolled } enheter registrerade
}, { $refused ->
    [one] 1 registrering nekad
   *[other] { $refused } registreringar nekade
}, { $checkins ->
    [one] 1 incheckning
   *[other] { $checkins } incheckningar
}, { $errors ->
    [one] 1 fel
   *[other] { $errors } fel
}.

## Agent
agent-enrolled = Registrerad som enhet { $id }.
agent-checked-in = Incheckad (sekvens { $seq }); nästa incheckning om { $secs } s.
agent-not-enrolled = Enheten är inte registrerad än. Kör: steward-agent enroll --server URL --token TOKEN
agent-server-error = Servern nekade begäran: { $message }
agent-unreachable = Det gick inte att nå servern: { $message }
agent-scan-clean = Genomsökningen är klar: inga hot hittades i { $paths }.
agent-scan-found = Genomsökningen är klar: { $count ->
    [one] 1 hot hittades:
   *[other] { $count } hot hittades:
}
agent-status-os = Operativsystem
agent-status-host = Värdnamn
agent-status-protection = Slutpunktsskydd
agent-status-signatures = signaturer från
agent-status-firewall = Brandvägg aktiv
agent-status-encryption = Disken krypterad
agent-status-disks = Ledigt diskutrymme
agent-status-boot = Startad
agent-status-users = Inloggade användare
agent-status-updates = Väntande uppdateringar
agent-status-updates-count = { $count } (säkerhet: { $security })
agent-status-unknown = okänt
agent-status-unknown-because = okänt: { $reason }
agent-status-yes = ja
agent-status-no = nej
agent-status-queued = Väntar på att skickas
agent-status-queued-count = { $count ->
    [one] 1 ögonblicksbild
   *[other] { $count } ögonblicksbilder
}
agent-status-set-aside = Lagd åt sidan
agent-status-set-aside-entry = ögonblicksbild { $seq } den { $at }: { $reason }
alert-reason-active-threat = Aktivt hot: { $threats }
alert-reason-no-protection = Inget slutpunktsskydd
alert-reason-realtime-off = Realtidsskyddet är avstängt
alert-reason-signatures-old = { $days ->
    [one] Signaturerna är 1 dag gamla
   *[other] Signaturerna är { $days } dagar gamla
}
alert-reason-scan-overdue = { $days ->
    [one] Senaste genomsökning för 1 dag sedan
   *[other] Senaste genomsökning för { $days } dagar sedan
}
alert-reason-never-scanned = Aldrig genomsökt
alert-reason-noncompliant = Inte kompatibel
alert-reason-silent = { $hours ->
    [one] Ingen incheckning på 1 timme
   *[other] Ingen incheckning på { $hours } timmar
}
alert-reason-low-disk = Lite diskutrymme: { $disks }
alert-reason-fleet-share = { $matching } av { $total ->
    [one] 1 enhet
   *[other] { $total } enheter
}: { $state }
alert-reason-enrollment-failures = { $count ->
    [one] 1 misslyckad registrering
   *[other] { $count } misslyckade registreringar
} på { $minutes ->
    [one] 1 minut
   *[other] { $minutes } minuter
}
severity-critical = Kritisk
severity-warning = Varning
severity-informational = Information
notify-title-firing = [{ $severity }] { $rule }: { $open ->
    [one] 1 öppet
   *[other] { $open } öppna
}
notify-title-resolved = [{ $severity }] { $rule }: åtgärdad
notify-title-repeat = [{ $severity }] { $rule }: fortfarande { $open ->
    [one] 1 öppet
   *[other] { $open } öppna
}
notify-title-escalation = [{ $severity }] { $rule }: { $count ->
    [one] 1 obekräftat
   *[other] { $count } obekräftade
} i { $minutes ->
    [one] 1 minut
   *[other] { $minutes } minuter
}
notify-new = Nya larm ({ $count })
notify-still = Aktiva larm ({ $count })
notify-resolved = Åtgärdade larm ({ $count })
notify-more = … och ytterligare { $count }
notify-fleet = Enhetsparken
notify-open = Öppna i Steward: { $url }
notify-open-short = Öppna i Steward
notify-footer = Skickat av Steward. Avisering { $id }.
notify-test-title = Testavisering från Steward
notify-test-body = Den här kanalen ({ $channel }) fungerar. Skickad { $at }.
alert-reason-delivery-failing = { $count ->
    [one] 1 avisering har inte kunnat levereras
   *[other] { $count } aviseringar har inte kunnat levereras
} på { $minutes ->
    [one] 1 minut
   *[other] { $minutes } minuter
}: { $channels }

# Console
alerts-ack-selected = Bekräfta markerade
alerts-acknowledge = Bekräfta
alerts-acknowledged-by = Bekräftad av
alerts-actions = Åtgärder
alerts-add-comment = Lägg till kommentar
alerts-assign = Tilldela
alerts-assignee = Ansvarig
alerts-comment = Kommentar
alerts-comment-optional = Kommentar (valfritt)
alerts-device = Enhet
alerts-fired = Utlöst
alerts-open-device = Visa enhet
alerts-resolve = Åtgärda
alerts-resolved-by = Åtgärdad av
alerts-rule = Regel
alerts-select = Markera
alerts-severity = Allvarlighetsgrad
alerts-silenced = Tystad
alerts-state = Status
alerts-summary = Larm
audit-action = Åtgärd
audit-actor = Vem
audit-object = Objekt
audit-object-id = Objekt-ID
audit-object-type = Objekttyp
audit-outcome = Resultat
channel-email = E-post
channel-slack = Slack (inkommande webhook)
channel-teams = Microsoft Teams (webhook)
channel-webhook = Webhook (signerad JSON)
channels-create = Skapa kanal
channels-delivery = Leverans
channels-failed = { $count ->
    [one] 1 avbruten
   *[other] { $count } avbrutna
}
channels-kind = Typ
channels-last-delivered = Senast levererad
channels-last-error = Senaste fel
channels-new = Ny kanal
channels-next-attempt = Nästa försök
channels-pending = { $count ->
    [one] 1 väntar
   *[other] { $count } väntar
}
channels-secret = Signeringshemlighet (webhooks)
channels-severities = Alla larm med dessa allvarlighetsgrader
channels-target = URL eller e-postadresser
channels-test = Skicka test
condition-active-threat = Aktivt hot
condition-delivery-failing = Aviseringar levereras inte
condition-enrollment-failures = Misslyckade registreringar
condition-fleet-share = Andel enheter i ett tillstånd
condition-low-disk = Lite diskutrymme
condition-noncompliant = Inte kompatibel
condition-not-checked-in = Ingen incheckning
condition-protection-missing = Slutpunktsskydd saknas eller är avstängt
condition-realtime-off = Realtidsskydd avstängt
condition-scan-overdue = Genomsökning försenad
condition-signatures-outdated = Inaktuella signaturer
console-all = Alla
console-any = Alla
console-apply = Tillämpa
console-clear = Rensa
console-confirm-delete = Ta bort permanent?
console-confirm-revoke = Återkalla den här token? Den slutar fungera direkt.
console-csv = Exportera CSV
console-delete = Ta bort
console-error-title = Inte tillgänglig
console-filter = Filtrera
console-language = Språk
console-logout = Logga ut
console-navigation = Huvudnavigering
console-next-page = Nästa sida
console-none = Ingen
console-empty = Inget att visa ännu.
console-off = Av
console-on = På
console-shown-once = Kopiera den nu: den visas bara en gång.
console-skip = Hoppa till innehållet
console-test-delivered = Testaviseringen levererades.
console-test-failed = Testaviseringen levererades inte: { $error }
dash-alerts = Öppna larm
dash-as-of = Siffrorna gäller { $time }
dash-checkins = Incheckningar
dash-compliance = Efterlevnad
dash-devices = Hanterade enheter per plattform
dash-enroll-totals = lyckade / misslyckade
dash-enrollments = Registreringar, senaste 7 dagarna
dash-malware = { $count ->
    [one] enhet med skadlig kod
   *[other] enheter med skadlig kod
}
dash-noncompliant = { $count ->
    [one] inte kompatibel
   *[other] inte kompatibla
}
dash-open-alerts = { $count ->
    [one] öppet
   *[other] öppna
}
dash-protection = Slutpunktsskydd
detection-blocked = Blockerad
detection-left-in-place = Kvar på plats
detection-quarantined = I karantän
detection-removed = Borttagen
device-action = Vidtagen åtgärd
device-detail = Detaljer
device-detected = Identifierad
device-detections = Identifieringar
device-engine = Motor
device-enrolled = Registrerad
device-full-scan = Senaste fullständiga genomsökning
device-health-reasons = Orsaker:
device-history = Historik
device-id = Enhets-ID
device-identity = Identitet
device-inventory = Inventering
device-malware-protection = Skydd mot skadlig kod
device-model = Modell
device-no-protection-report = Enheten har inte rapporterat något slutpunktsskydd.
device-path = Sökväg
device-protection = Slutpunktsskydd
device-quick-scan = Senaste snabbgenomsökning
device-realtime = Realtidsskydd
device-result = Resultat
device-retired = Tillbakadragen
device-rule = Regel
device-serial = Serienummer
device-signatures = Signaturer
device-threat = Hot
devices-compliance = Efterlevnad
devices-group = Grupp
devices-health = Skydd
devices-last-seen = Senaste incheckning
devices-name = Namn
devices-os = Operativsystem
devices-owner = Ägare
devices-platform = Plattform
devices-search = Sök namn, serienummer, ägare
devices-seen-filter = Filtrerat på senaste incheckning.
devices-sort = Sortera efter
devices-sort-enrolled = Senast registrerade
devices-sort-recent = Senaste incheckning
devices-sort-silent = Längst utan incheckning
attempt-at = Tidpunkt
attempt-from = Från
attempt-host = Värdnamn
attempt-result = Resultat
event-acknowledged = Bekräftad
event-assigned = Tilldelad
event-commented = Kommentar
event-escalated = Eskalerad
event-fired = Utlöst
event-reopened = Återöppnad
event-resolved = Åtgärdad
fresh-day = Senaste 24 timmarna
fresh-older = Äldre än 7 dagar
fresh-week = Senaste 7 dagarna
login-email = E-post
login-password = Lösenord
login-submit = Logga in
login-title = Logga in
nav-alerts = Larm
nav-audit = Granskningslogg
nav-channels = Kanaler
nav-dashboard = Översikt
nav-devices = Enheter
nav-enrollment-tokens = Registreringstoken
nav-enrollments = Registreringar
nav-policies = Efterlevnadsprinciper
nav-rules = Larmregler
nav-settings = Inställningar
nav-silences = Tystnader
nav-tokens = API-token
nav-users = Användare och roller
platform-android = Android
platform-ios = iOS/iPadOS
platform-linux = Linux
platform-macos = macOS
platform-windows = Windows
policies-create = Skapa princip
policies-grace = Respitperiod (timmar)
policies-new = Ny princip
policies-rules = Regler
role-administrator = Administratör
role-helpdesk = Support
role-operator = Operatör
role-readonly = Endast läsning
rules-condition = Villkor
rules-count = Fler än (antal)
rules-create = Skapa regel
rules-days = Dagar
rules-disable = Stäng av
rules-enable = Slå på
rules-free-percent = Ledigt utrymme under (%)
rules-group-by = En avisering per
rules-group-by-device = enhet
rules-group-by-rule = regel (grupperad)
rules-groups = Enhetsgrupper
rules-hours = Timmar
rules-minutes = Minuter utan leverans
rules-name = Namn
rules-new = Ny larmregel
rules-off = Av
rules-on = På
rules-percent = Andel över (%)
rules-window = Inom (minuter)
silences-author = Skapad av
silences-create = Skapa tystnad
silences-expire = Avsluta nu
silences-intro = Tystade larm registreras ändå; bara deras aviseringar och eskaleringar väntar tills tystnaden är slut.
silences-matches = Gäller
silences-minutes = Längd (minuter)
silences-new = Ny tystnad (underhållsfönster)
silences-reason = Anledning
silences-window = Tidsfönster
state-acknowledged = Bekräftad
state-active = Aktiv
state-active-threat = Aktivt hot
state-at-risk = I riskzonen
state-compliant = Kompatibel
state-delivered = Levererad
state-error = Fel
state-expired = Avslutad
state-fail = Inte uppfylld
state-failed = Misslyckad
state-firing = Utlöst
state-in-grace = I respitperiod
state-noncompliant = Inte kompatibel
state-not-evaluated = Inte utvärderad
state-other = Övrigt
state-pass = Uppfylld
state-not-applicable = Inte tillämplig
state-pending = Väntar
state-protected = Skyddad
state-resolved = Åtgärdad
state-success = Lyckad
state-unknown = Okänt
state-unprotected = Oskyddad
tokens-create = Skapa token
tokens-expires = Går ut
tokens-expires-hours = Går ut efter (timmar)
tokens-last-used = Senast använd
tokens-max-uses = Max antal användningar
tokens-new = Ny token
tokens-prefix = Börjar med
tokens-revoke = Återkalla
tokens-revoked = Återkallad
tokens-user-token = En användares egen token
tokens-uses = Användningar
users-active = Aktiv
users-create = Skapa användare
users-disable = Inaktivera
users-disabled = Inaktiverad
users-enable = Aktivera
users-name = Visningsnamn
users-new = Ny användare
users-reset-password = Återställ lösenord
users-role = Roll
dash-devices-caption = { $count ->
    [one] enhet
   *[other] enheter
}
dash-checkins-caption = { $count ->
    [one] incheckad de senaste 24 timmarna
   *[other] incheckade de senaste 24 timmarna
}
health-not-reported = Enheten har inte rapporterat något slutpunktsskydd
health-no-engine = Ingen skyddsmotor
health-malware-off = Skyddet mot skadlig kod är avstängt
health-active-threat = { $count ->
    [one] 1 aktivt hot
   *[other] { $count } aktiva hot
}
health-pending-action = En identifiering väntar på åtgärd
health-realtime-unknown = Realtidsskydd inte rapporterat
health-signature-age-unknown = Signaturernas ålder inte rapporterad
rule-min-os-version = { $platform } version { $version } eller senare
rule-protection-required = Slutpunktsskydd på
rule-realtime-required = Realtidsskydd på
rule-signatures-max-age = { $days ->
    [one] Signaturer högst 1 dag gamla
   *[other] Signaturer högst { $days } dagar gamla
}
rule-no-active-threats = Inga aktiva hot
rule-firewall = Brandvägg på
rule-disk-encryption = Disken krypterad
rule-checked-in-within = { $days ->
    [one] Incheckad inom 1 dag
   *[other] Incheckad inom { $days } dagar
}

# Update awareness
notice-mail-subject = [Större uppdatering] { $title }
notice-reminder-subject = Bekräfta gärna: { $title }
readiness-not-acknowledged = ”{ $notice }” inte bekräftad av { $people }
readiness-all-acknowledged = Alla har bekräftat de uppdateringar som skulle bekräftas.
readiness-missing-rules = Ingen påslagen regel för: { $types }
readiness-no-tested-channel = Ingen aviseringskanal har klarat ett test.
readiness-monitoring-ok = Regler påslagna för alla områden; testade kanaler: { $channels }
readiness-no-oncall = Kritiska regler utan jourmottagare: { $rules }
readiness-no-escalation = Kritiska regler utan eskalering: { $rules }
readiness-no-critical-rules = Ingen kritisk larmregel är påslagen.
readiness-unacknowledged-critical = { $count ->
    [one] 1 kritiskt larm obekräftat
   *[other] { $count } kritiska larm obekräftade
} i mer än { $minutes ->
    [one] 1 minut
   *[other] { $minutes } minuter
}
readiness-ack-median = Mediantid till bekräftelse av kritiska larm (30 dagar): { $minutes } min
readiness-discovery-ok = Kartläggningsfrågorna är besvarade.
discovery-team = Vilka ingår i drift- och underhållsteamet?
discovery-reporting = Hur ska ni rapportera till viktiga intressenter? (Varje rad med intressenter anger en schemalagd rapport.)
discovery-awareness-owner = Vem ansvarar för uppdateringsbevakningen?
readiness-stale-material = ”{ $material }” är inaktuellt: { $features } har ändrats sedan den senaste granskningen
readiness-onboarding-behind = Introduktionen ligger efter tidsplanen: { $people }
readiness-training-ok = Utbildningsmaterialet är aktuellt och introduktionen följer planen.
agent-no-messages = Inga tillkännagivanden från din organisation.

# Console: awareness
announcements-below-version = Lägre version än
announcements-delivered = { $count ->
    [one] 1 mottagen
   *[other] { $count } mottagna
}
announcements-devices = { $count ->
    [one] 1 enhet
   *[other] { $count } enheter
}
announcements-from-version = Från version
announcements-new = Nytt tillkännagivande till användare
announcements-owners = { $count ->
    [one] 1 ägare
   *[other] { $count } ägare
}
announcements-reach = Räckvidd
announcements-read = { $count ->
    [one] 1 visad
   *[other] { $count } visade
}
announcements-send = Skicka
announcements-sent = { $count ->
    [one] Köad för 1 ägare: enheterna visar den vid nästa incheckning.
   *[other] Köad för { $count } ägare: enheterna visar den vid nästa incheckning.
}
category-informed = Håll dig informerad
category-plan = Planera för förändring
category-prevent = Förebygg eller åtgärda problem
nav-announcements = Tillkännagivanden
nav-awareness = Uppdateringsbevakning
nav-notices = Uppdateringar
nav-plan = Driftplan
nav-readiness = Beredskap
nav-training = Utbildning
notices-acknowledged = Bekräftad
notices-acknowledged-by = Bekräftad av
notices-archive = Arkivera
notices-body = Text (Markdown)
notices-briefing = Supportgenomgång
notices-category = Kategori
notices-create = Publicera
notices-favourite = Favorit
notices-favourite-action = Lägg till i favoriter
notices-help-desk = Supportgenomgång (alla i supporten måste bekräfta)
notices-missing = Har inte bekräftat
notices-new = Ny uppdatering
notices-read = Läst
notices-languages = Språk
notices-default-language = Standardspråk
notices-severity = Allvarlighetsgrad
notices-release = Lanseringsstatus
notices-act-by = Åtgärda senast
notices-platforms = Berörda plattformar
notices-save = Spara
notices-edit = Redigera
notices-views = Vyer för uppdateringar
notices-view-inbox = Inkorg
notices-view-favourites = Favoriter
notices-view-archived = Arkiverade
notices-view-all = Alla
notices-also-in = Finns även på
notices-message = Innehåll
notices-facts = I korthet
notices-source = Källa
notices-source-manual = Skriven här
notices-published = Publicerad
notices-changed = Senast ändrad
notices-materials = { $count ->
    [one] 1 utbildningsmaterial
   *[other] { $count } utbildningsmaterial
}
notices-acknowledgments = Bekräftelser
training-add-enabled = Lägg till som påslagen
training-notices = Uppdateringar
severity-normal = Normal
severity-high = Hög
release-scheduled = Planerad
release-rolling-out = Distribueras
release-launched = Lanserad
notices-remind = Påminn dem som inte har bekräftat
notices-reminded = { $count ->
    [one] Påminnelse skickad till 1 person.
   *[other] Påminnelse skickad till { $count } personer.
}
notices-tags = Taggar
notices-title = Rubrik
notices-unarchive = Återställ
notices-unfavourite = Ta bort från favoriter
notices-unread = Oläst
notices-updated = Uppdaterad
plan-area = Område
plan-awareness-owner = Ansvarig för uppdateringsbevakning
plan-blank-rows = Fyll i en tom rad för att lägga till någon; töm en rad för att ta bort den.
focus-planning = Planering
focus-help-desk = Support
focus-awareness = Uppdateringsbevakning
focus-training = Utbildning
focus-operations = Drift
focus-not-started = Inte påbörjad
focus-in-progress = Pågår
focus-done = Klar
plan-cadence = Hur ofta
plan-focus = Fokusområden
plan-goals = Mål
plan-open-questions = Obesvarade kartläggningsfrågor
plan-owner = Ansvarig
plan-person = Person
plan-reporting = Rapportering till intressenter
plan-responsibilities = Ansvar
plan-save = Spara planen
plan-stakeholders = Intressenter
plan-team = Drift- och underhållsteamet
readiness-fail = Behöver åtgärd
readiness-item-admins = Administratörer informerade om funktions- och tjänsteuppdateringar
readiness-item-discovery = Kartläggningsfrågor besvarade
readiness-item-help-desk = Supporten informerad om ändringar
readiness-item-monitoring = Övervakningsrutiner på plats
readiness-item-reacting = Redo att agera på viktiga larm
readiness-item-training = Utbildningen aktuell, introduktionen enligt plan
readiness-pass = Redo
tag-admin-impact = Påverkar administratörer
tag-data-privacy = Dataskydd
tag-feature-update = Funktionsuppdatering
tag-major-update = Större uppdatering
tag-new-feature = Ny funktion
tag-retirement = Utfasning
tag-user-impact = Påverkar användare
training-audience = Målgrupp
training-behind = Ligger efter
training-completed = Slutförda / tilldelade
training-current = Aktuell
training-enabled = Påslagen
training-feature-changed = Markera som ändrad
training-features = Funktioner
training-mark-done = Jag har gått igenom det
training-mark-reviewed = Markera som granskad
training-materials = Utbildningsmaterial
training-onboarding = Introduktion
training-progress = Framsteg
training-stale = Inaktuell
condition-readiness-failing = Beredskapspunkt underkänd
alert-reason-readiness-failing = Beredskapspunkter underkända i mer än { $hours ->
    [one] 1 timme
   *[other] { $hours } timmar
}: { $items }
notice-digest-subject = Din veckosammanfattning av uppdateringar: { $count ->
    [one] 1 oläst
   *[other] { $count } olästa
}
feeds-title = Leverantörsflöden
feeds-last-fetched = Senast hämtad
feeds-fetch = Hämta nu
feeds-interval = Intervall (minuter)
feeds-add = Lägg till flöde
feeds-fetched = { $new ->
    [one] 1 ny
   *[other] { $new } nya
}, { $updated ->
    [one] 1 uppdaterad
   *[other] { $updated } uppdaterade
}.
training-new-material = Nytt utbildningsmaterial
training-add = Lägg till material
training-add-feature = Lägg till funktion
training-assign = Tilldela
training-assign-to = Tilldela till
demo-feature-passkeys = Inloggning med nyckel
demo-material-passkeys = Inloggning med nyckel: vad som ändras för administratörer
demo-notice-passkeys-title = Inloggning med nyckel kommer till konsolen
demo-notice-passkeys-body = Administratörer kommer att kunna logga in med en **nyckel** (passkey) i stället för ett lösenord. Slå på funktionen när teamet har gått igenom utbildningsmaterialet, och informera supporten innan ni gör det.
demo-notice-macos-title = macOS 15: VPN-profilen måste installeras om
demo-notice-macos-body = Efter uppgraderingen till **macOS 15** slutar VPN-profilen att fungera på vissa enheter. När en användare ringer om VPN, be användaren installera om profilen via företagsportalen.
reason-unknown-token = Registreringstoken som angavs eller som är inbäddad i installationsprogrammet finns inte: ett skrivfel eller en token från en annan Steward-server.
reason-token-expired = Registreringstoken har passerat sitt utgångsdatum.
reason-token-revoked = Registreringstoken har återkallats av en administratör.
reason-token-exhausted = Registreringstoken har använts för så många enheter som den tillåter: enhetsgränsen är nådd.
reason-platform-not-allowed = Token tillåter inte enheter med den här plattformen: plattformen är blockerad för den här registreringen.
reason-duplicate-device = Den här maskinvaran är redan registrerad; den gamla enhetsposten måste dras tillbaka innan enheten kan registreras igen.
reason-malformed-request = Agenten skickade en ofullständig registreringsbegäran, oftast för att agenten är för gammal.
reason-win-mdm-blocked = Windows: MDM-registrering är blockerad för den här enhetstypen av en registreringsbegränsning.
reason-win-device-quota = Windows: användaren har nått det högsta antalet enheter hen får ansluta eller registrera.
reason-win-license = Windows: användaren har ingen giltig licens för enhetshantering.
reason-app-download-failed = Appen kunde inte laddas ned: problem med nätverk, proxy eller innehållsserver.
reason-app-checksum = Den nedladdade appen stämmer inte med sin kontrollsumma: nedladdningen är skadad eller ändrad.
reason-app-disk-full = Det finns inte tillräckligt med ledigt diskutrymme för att installera appen.
reason-app-not-detected = Installationsprogrammet slutfördes, men appen hittades inte efteråt (identifieringsregel).
reason-win-1603 = Windows Installer-fel 1603: ett allvarligt fel under installationen, ofta en förutsättning eller en fil som används.
reason-win-1618 = Windows Installer-fel 1618: en annan installation pågår redan.
reason-win-1638 = Windows Installer-fel 1638: en annan version av produkten är redan installerad.
reason-win-disk-full = Windows: det finns inte tillräckligt med utrymme på disken.
reason-win-appx-failed = Windows: apppaketet kunde inte installeras (distributionsfel).
reason-intune-not-detected = Appen identifierades inte efter att installationen slutförts utan fel.
reason-ios-install-command = iOS: kommandot för appinstallation misslyckades utan att enheten angav orsak.
reason-ios-network-lost = iOS: nätverksanslutningen bröts under nedladdningen.
reason-app-timeout = Installationen blev inte klar inom den tillåtna tiden.
reason-app-dependency = En app eller komponent som appen behöver är inte installerad.
reason-unknown = Ingen förklaring är känd för den här koden ännu.
invite-subject = Registrera din enhet
invite-body =
    Hej!

    Installera Steward-agenten och kör följande för att registrera din enhet:

    { $command }

    Token gäller för en enhet och i en vecka. Servern är { $server }.
nav-helpdesk = Felsökning
nav-kb = Kunskapsbas
helpdesk-find = Användare (e-postadress)
helpdesk-search = Sök
helpdesk-requests = Begäranden till enheter
helpdesk-request = Begäran
helpdesk-by = Begärd av
helpdesk-answer = Svar
request-sent = Skickad, väntar på svar
request-waiting = Väntar på nästa incheckning
request-queued = Begärd: enheten får begäran vid nästa incheckning.
request-sync = Checka in nu
request-full-scan = Fullständig genomsökning
request-update-definitions = Uppdatera signaturer
answer-checked-in = Incheckad
answer-scan-clean = Genomsökning klar: inga hot
answer-threats-found = Hot hittades
answer-definitions-updated = Signaturerna är uppdaterade
answer-no-engine = Ingen skyddsmotor på enheten
answer-unsupported = Enheten stöder inte detta
answer-failed = Misslyckades
helpdesk-issues = Problem
helpdesk-failed-enrollments = Misslyckade registreringar
helpdesk-failed-installs = Misslyckade appinstallationer
helpdesk-open-alerts = Öppna larm
helpdesk-invite = Skicka registreringsinbjudan igen
helpdesk-actions = Åtgärder
helpdesk-note = Anteckning
helpdesk-add-note = Lägg till anteckning
helpdesk-why = Orsak och åtgärd
helpdesk-installs = Appinstallationer
helpdesk-app = App
install-failed = Misslyckades
install-installed = Installerad
install-pending = Väntar
helpdesk-changes = Senaste ändringar för användarens plattformar
invite-sent = Inbjudan skickad.
kb-search = Sök artiklar (alla språk, även felkoder)
kb-results = Resultat
kb-gaps = Behöver åtgärdas
kb-low-success = löser bara { $percent } % av fallen
kb-no-article = { $count ->
    [one] 1 fel
   *[other] { $count } fel
} på 30 dagar och ingen artikel
kb-not-helping = { $count ->
    [one] 1 fel
   *[other] { $count } fel
} på 30 dagar; artikeln hjälper sällan
kb-articles = Artiklar
kb-codes = Felkoder
kb-success = Lösningsgrad
kb-reviewed = Senast granskad
kb-new = Ny artikel
kb-create = Publicera
kb-slug = Kortnamn (för länkar)
kb-rules = Larmregler
kb-fix = Åtgärd
kb-did-it-help = Löste artikeln ärendet?
kb-solved = Ja, löst
kb-not-solved = Nej
kb-revision = Version
kb-revisions = Versioner
kb-thanks = Tack, det är noterat.
kb-for-alert = Artikel för larmet
history-enrolled = Registrerad
history-renamed = Namn ändrat
history-os-changed = Operativsystem ändrat
history-protection-changed = Skydd ändrat
history-compliance-changed = Efterlevnad ändrad
history-inventory-changed = Inventering ändrad
history-secret-rotated = Hemlighet bytt
history-retired = Tillbakadragen
history-note = Anteckning
history-request = Begäran från supporten
history-request-answered = Svar från enheten
history-snapshot-set-aside = Agenten lade en ögonblicksbild åt sidan
history-snapshot-set-aside-detail = Ögonblicksbild { $seq } efter { $attempts ->
    [one] 1 försök
   *[other] { $attempts } försök
}: { $reason }

## Compliance results on the device page
device-rules-tally = { $applicable ->
    [one] { $pass } av 1 tillämplig regel är uppfylld.
   *[other] { $pass } av { $applicable } tillämpliga regler är uppfyllda.
}
device-rules-not-applicable = { $count ->
    [one] 1 regel gäller en annan plattform och tillämpas inte.
   *[other] { $count } regler gäller en annan plattform och tillämpas inte.
}

## Console: forms, profile, search, inventory, relative times
console-save = Spara
console-edit = Redigera
console-search = Sök
search-title = Sök
search-label = Enhetsnamn, serienummer, ägare eller användare
search-placeholder = Sök enheter och användare
search-no-devices = Ingen enhet matchar sökorden.
search-all-devices = Alla matchande enheter
search-users = Enhetsanvändare
search-no-users = Ingen enhetsanvändares adress börjar med sökorden.
profile-title = Din profil
profile-time-zone = Tidszon
profile-region = Regionalt format
profile-region-language = Enligt språket
profile-region-us = Engelska (USA): 11/30/2026, 2:05 PM
profile-region-gb = Engelska (Storbritannien): 30/11/2026, 14:05
profile-example = Tider visas så här: { $time }
time-just-now = nyss
time-ago-minutes = { $count ->
    [one] 1 minut sedan
   *[other] { $count } minuter sedan
}
time-in-minutes = { $count ->
    [one] om 1 minut
   *[other] om { $count } minuter
}
time-ago-hours = { $count ->
    [one] 1 timme sedan
   *[other] { $count } timmar sedan
}
time-in-hours = { $count ->
    [one] om 1 timme
   *[other] om { $count } timmar
}
time-ago-days = { $count ->
    [one] 1 dag sedan
   *[other] { $count } dagar sedan
}
time-in-days = { $count ->
    [one] om 1 dag
   *[other] om { $count } dagar
}
time-ago-months = { $count ->
    [one] 1 månad sedan
   *[other] { $count } månader sedan
}
time-in-months = { $count ->
    [one] om 1 månad
   *[other] om { $count } månader
}
time-ago-years = { $count ->
    [one] 1 år sedan
   *[other] { $count } år sedan
}
time-in-years = { $count ->
    [one] om 1 år
   *[other] om { $count } år
}
rules-escalation = Eskalering
rules-escalation-help = När ett larm förblir obekräftat aviserar varje steg sina kanaler när stegets antal minuter har gått. Lämna minuterna tomma för att ta bort ett steg.
rules-step-after = Steg { $step }: efter (minuter)
rules-escalation-steps = { $count ->
    [one] 1 eskaleringssteg
   *[other] { $count } eskaleringssteg
}
rules-all-devices = Alla enheter
rules-none = Inga larmregler ännu.
channels-none = Inga aviseringskanaler ännu.
channels-new-secret = Ny hemlighet (tom: behåll den nuvarande)
rule-param-days = { $count ->
    [one] mer än 1 dag
   *[other] mer än { $count } dagar
}
rule-param-hours = { $count ->
    [one] ingen incheckning på 1 timme
   *[other] ingen incheckning på { $count } timmar
}
rule-param-free = mindre än { $count } % ledigt
rule-param-failures = { $count ->
    [one] mer än 1 misslyckande på { $minutes } min
   *[other] mer än { $count } misslyckanden på { $minutes } min
}
rule-param-share = mer än { $percent } % av { $platform }: { $health }
rule-param-all-platforms = alla plattformar
rule-param-minutes = { $count ->
    [one] i mer än 1 minut
   *[other] i mer än { $count } minuter
}
policies-requirement = Krav
policies-required = Krävs
policies-days = dagar (högst)
policy-field-min-os = Lägsta operativsystemversion: { $platform }
policy-field-protection-required = Slutpunktsskydd med skydd mot skadlig kod påslaget
policy-field-realtime-protection-required = Realtidsskydd påslaget
policy-field-no-active-threats = Inga aktiva hot
policy-field-firewall-required = Brandvägg påslagen
policy-field-disk-encryption-required = Diskkryptering
policy-field-signatures-max-age-days = Signaturernas ålder
policy-field-checked-in-within-days = Senaste incheckning
policies-empty-help = En rad som lämnas tom eller omarkerad ingår inte i principen. Versionsnummer skrivs med punkter (15, 10.0.19045).
policies-hours = { $count ->
    [one] 1 timme
   *[other] { $count } timmar
}
policies-none = Inga efterlevnadsprinciper ännu: alla enheter räknas som inte utvärderade.
silences-minutes-from-now = Slutar om (minuter)
silences-none = Ingen tystnad: alla larm aviseras.
device-actions = Enhetsåtgärder
device-rotate = Byt hemlighet
device-rotate-confirm = Enheten får en ny hemlighet vid nästa incheckning. Vill du fortsätta?
device-rotation-pending = Begärt: enheten får sin nya hemlighet vid nästa incheckning.
device-retire = Dra tillbaka
device-retire-confirm = Dra tillbaka enheten? Den kan inte längre checka in; posten och historiken sparas.
device-note = Anteckning för supporten
device-add-note = Lägg till anteckning
device-no-group = Ingen grupp
device-no-engine = Ingen motor rapporterad
device-no-detections = Inga identifieringar rapporterade.
device-no-rules = Ingen efterlevnadsprincip gäller för enheten.
device-no-alerts = Inga larm för enheten.
device-no-inventory = Enheten har inte skickat sin inventering ännu.
device-no-history = Ingen historik ännu.
device-threat-state = Hotstatus
inventory-empty-list = inga
inventory-unknown = okänt ({ $reason })
inventory-model = Modell
inventory-cpu-model = Processor
inventory-cpu-count = Processorkärnor
inventory-memory = Minne
inventory-boot-time = Startad
inventory-logged-in = Inloggade användare
inventory-pending-updates = Väntande uppdateringar
inventory-os-release = Operativsystem
inventory-updates = { $count ->
    [one] 1 uppdatering
   *[other] { $count } uppdateringar
} ({ $security ->
    [one] varav 1 säkerhetsuppdatering
   *[other] varav { $security } säkerhetsuppdateringar
})
inventory-disks = Diskar
inventory-mount = Monteringspunkt
inventory-fs = Filsystem
inventory-size = Storlek
inventory-free = Ledigt
history-compliance-evaluated = Efterlevnad utvärderad
history-health-changed = Skyddsstatus ändrad
history-enrolled-group = Grupp: { $group }
fact-secure-boot = Säker start
fact-screen-lock = Skärmlås
alerts-none = Inga larm matchar filtren.
alerts-open-totals = { $count ->
    [one] 1 öppet larm
   *[other] { $count } öppna larm
}: kritiska { $critical }, varningar { $warning }
devices-total = { $count ->
    [one] 1 enhet
   *[other] { $count } enheter
}
devices-none = Ingen enhet matchar filtren.
devices-columns = Kolumner
console-page-size = Per sida
audit-ok = Utförd
audit-denied = Nekad
audit-none = Ingen post i granskningsloggen matchar filtren.
invite-not-mailed = E-post är avstängd, så inget skickades. Ge användaren denna registreringstoken för engångsbruk (giltig i 7 dagar) och kommandot som använder den; de visas bara en gång.
attempt-retire-existing = Öppna den registrerade posten för att dra tillbaka den
enrollments-none = Inga registreringsförsök matchar filtren.
threat-clean = Inget hot
threat-pending-full-scan = Fullständig genomsökning krävs
threat-pending-reboot = Omstart krävs
threat-pending-manual = Manuella åtgärder krävs
compliance-not-reported = Inte rapporterat av enheten
compliance-firewall-off = Brandväggen är avstängd
compliance-disk-not-encrypted = Disken är inte krypterad
compliance-last-checkin = { $days ->
    [one] Senaste incheckning för 1 dag sedan
   *[other] Senaste incheckning för { $days } dagar sedan
}

install-state-pending = Väntar
install-state-available = Tillgänglig
install-state-downloading = Hämtas
install-state-installing = Installeras
install-state-removing = Avinstalleras
install-state-installed = Installerad
install-state-removed = Avinstallerad
install-state-failed = Misslyckades
install-state-not-applicable = Ej tillämplig
install-state-blocked = Blockerad
install-state-timed-out = Tidsgränsen passerad
install-state-mismatch = Inventeringen stämmer inte
install-state-unknown = Okänt
assign-intent-required = Obligatorisk
assign-intent-available = Tillgänglig
assign-intent-uninstall = Avinstallera
agent-apps-none = Inga appar erbjuds den här enheten.
agent-apps-offline = Applistan kunde inte hämtas ({ $message }); den sparade listan visas.
agent-app-unknown = Ingen app med namnet ”{ $app }” erbjuds den här enheten.
agent-app-result = { $name } { $version }: { $state }
agent-app-line = { $name } { $version } ({ $intent }): { $state }
reason-app-script-failed = Ett skript i paketet misslyckades när det installerades eller avinstallerades.
reason-app-busy = En annan installation pågick på enheten; den provas igen.
reason-app-bad-package = Paketfilen är skadad eller inte ett Debianpaket.
reason-app-architecture = Paketet är byggt för en annan processorarkitektur än enhetens.
reason-app-not-root = Agenten körs inte med administratörsbehörighet och kan därför inte installera appar.
reason-app-package-not-found = Enhetens paketkällor erbjuder inte det här paketet eller den här versionen.
reason-app-install-failed = Pakethanteraren vägrade installationen; dess meddelande säger varför.
reason-app-no-answer = Enheten rapporterade inte om appen före tidsgränsen.
reason-app-inventory = Enheten rapporterar appen som installerad, men dess programvaruinventering visar den inte (eller tvärtom).
reason-app-wrong-platform = Appens paket är avsett för en annan plattform.

nav-apps = Appar
apps-intro = Appar som levereras till enheter enligt plan: katalogen, dess versioner och var varje tilldelning står.
apps-new = Lägg till en app
apps-name = App
apps-publisher = Utgivare
apps-description = Beskrivning
apps-create = Lägg till appen
apps-versions = Versioner
apps-assignments = Tilldelningar
apps-none = Inga appar i katalogen ännu.
apps-version = Version
apps-platform = Plattform
apps-kind = Pakettyp
apps-package = Paket
apps-added = Tillagd
apps-no-versions = Inga versioner ännu.
apps-add-version = Lägg till en version
apps-upload-help = Ladda upp ett Debianpaket via API:t: namn, version och arkitektur läses ur paketet. Andra versioner anges nedan.
apps-intent = Tilldelningstyp
apps-progress = Installationsstatus
apps-deadline = Tidsgräns
apps-no-assignments = Inte tilldelad någon enhet ännu.
apps-assign = Tilldela
apps-group = Enhetsgrupp (tom: alla enheter)
apps-start = Start
apps-time = Tid
apps-waves = Vågor
apps-gate = Spärr (% lyckade)
apps-target = Mål vid tidsgränsen (%)
apps-failure-threshold = Larm över andel fel (%)
apps-waves-help = Vågor: andelar av enheterna, stigande (10, 50, 100), eller enhetsgrupper som ringar (pilot, 100). Nästa våg startar när spärren nås.
apps-paused = Pausad
apps-paused-help = Ingen enhet påbörjar tilldelningen förrän den återupptas.
apps-resume = Återuppta
apps-pause = Pausa
apps-retry-failed = Försök igen på alla misslyckade enheter
apps-change-version = Leverera en annan version
apps-states = Enheter per status
apps-targets = Enheter som omfattas
apps-no-targets = Inga enheter.
apps-wave = Våg
apps-succeeded = Lyckade
apps-failed = Misslyckade
apps-phase = Läge
apps-wave-done = Klar
apps-wave-started = Pågår
apps-wave-waiting = Väntar på spärren
apps-gate-text = Nästa våg startar när { $percent } % av vågens enheter har nått målet.
apps-errors = Fel
apps-error = Fel
apps-devices = Enheter
apps-article = Felsökningsartikel
apps-no-errors = Inga fel.
apps-all-states = Alla statusar
apps-state = Status
apps-detail = Detalj
apps-updated = Uppdaterad
apps-attempt = försök { $count }
apps-retry = Försök installera igen
apps-retry-queued = Nytt försök begärt: enheten börjar om direkt.
apps-device-none = Inga appar tilldelade den här enheten.
apps-kind-deb = Debianpaket (uppladdat)
apps-kind-apt = Debianpaket (apt-källor)
apps-kind-msi = Windows Installer (MSI)
apps-kind-win32 = Windows-app (Win32)
apps-kind-pkg = macOS-paket (PKG)
apps-kind-store = Butiksapp

readiness-item-apps = Appdistributionen följer planen
readiness-apps-behind = { $app }: { $percent } % nådde målet före tidsgränsen; planen kräver { $target } %.
readiness-apps-failing = { $app }: { $percent } % av våg { $wave } misslyckades (gräns { $threshold } %).
readiness-apps-ok = { $count ->
    [one] Apptilldelningen följer planen.
   *[other] Alla { $count } apptilldelningar följer planen.
}

readiness-apps-none = Inga appar är tilldelade ännu: inget ligger efter planen.

helpdesk-app-attempts = Försök att installera appar

condition-app-failing = Apputrullning misslyckas
condition-app-behind-plan = Appdistribution efter planen
alert-reason-app-failing = Fel över gränsen i den pågående vågen: { $apps }.
alert-reason-app-behind = Tidsgränsen har passerats med mindre än målet installerat: { $apps }.

request-apps = Nytt installationsförsök
answer-apps-refreshed = Applistan hämtades igen

report-period = { $from } till { $to }
report-devices-total = Enheter
report-dim-compliance = Efterlevnad
report-dim-health = Slutpunktsskydd
report-dim-checkin = Senaste incheckning
report-dim-platform = Plattform
report-rule-failing = Inte uppfylld: { $rule }
report-alerts-opened = Öppnade larm
report-alerts-resolved = Åtgärdade larm
report-alerts-ack-time = Genomsnittlig tid till bekräftelse
report-alerts-resolve-time = Genomsnittlig tid till åtgärd
report-alerts-opened-severity = Öppnade larm: { $severity }
report-enrollments-succeeded = Lyckade registreringar
report-enrollments-refused = Nekade registreringar
report-enrollments-refused-reason = Nekade: { $reason }
report-readiness-passing = Uppfyllda beredskapspunkter
report-kb-solved = Svar ”det löste problemet”
report-kb-answers = Svar på artiklar
report-kb-solve-rate = Lösningsgrad
report-announcements-targets = Enheter som tillkännagivanden riktas till
report-announcements-delivered = Levererade tillkännagivanden
report-announcements-read = Lästa tillkännagivanden
report-section-devices = Enheter
report-section-policies = Efterlevnadsprinciper: utfall mot plan
report-section-alerts = Larm
report-section-enrollments = Registreringar
report-section-apps = Appinstallationer
report-section-readiness = Checklista för beredskap
report-section-knowledge = Kunskapsbas
report-section-announcements = Tillkännagivanden
report-hours = { $hours } h
report-mail-subject = { $name }: { $period }
report-figure = Nyckeltal
report-value = Värde
report-change = Förändring
report-made-at = Skapad av Steward { $time }.
report-no-figures = Inga siffror för perioden ännu.

report-title = Rapport om enhetsparken

report-compared = { $days ->
    [one] Förändring: jämfört med dagen innan.
   *[other] Förändring: jämfört med de { $days } dagarna innan.
}

nav-reports = Rapporter
reports-rolled = { $count ->
    [one] 1 dag med siffror
   *[other] { $count } dagar med siffror
}
reports-days = { $count ->
    [one] 1 dag
   *[other] { $count } dagar
}
reports-sent-to = { $count ->
    [one] skickad till 1 mottagare
   *[other] skickad till { $count } mottagare
}
reports-period = Period
reports-csv = Ladda ned CSV
reports-pdf = Ladda ned PDF
reports-schedules = Schemalagda rapporter
reports-no-group = Ingen grupp
reports-back = Tillbaka till rapporterna
reports-schedules-intro = Varje schemalagd rapport e-postas till mottagarna som en sammanfattning med PDF och CSV bifogade, en gång per period, på varje mottagares språk.
reports-no-mail = Ingen SMTP-server är konfigurerad: schemalagda rapporter kan inte skickas.
reports-new = Schemalägg en rapport
reports-name = Namn
reports-sections = Avsnitt
reports-cadence = Hur ofta
reports-weekly = Varje vecka
reports-monthly = Varje månad
reports-weekday = Veckodag
reports-day-of-month = Dag i månaden
reports-hour = Timme
reports-time-zone = Tidszon
reports-groups = Enhetsgrupper (kommaseparerade; tomt: alla enheter)
reports-recipients = Mottagare
reports-recipients-help = En per rad: en användares e-postadress (hen får rapporten på sitt språk och i sin tidszon), eller valfri adress följd av en språkkod (en-US, fr, sv, de, ko).
reports-create = Schemalägg
reports-when = När
reports-next = Nästa utskick
reports-history = Skickade
reports-manual = skickad manuellt
reports-none = Inga schemalagda rapporter ännu.
reports-send-now = Skicka nu
reports-weekly-at = Varje { $day } kl. { $hour } ({ $zone })
reports-monthly-at = Den { $day } varje månad kl. { $hour } ({ $zone })
weekday-monday = måndag
weekday-tuesday = tisdag
weekday-wednesday = onsdag
weekday-thursday = torsdag
weekday-friday = fredag
weekday-saturday = lördag
weekday-sunday = söndag

report-minutes = { $minutes } min

plan-report = Schemalagd rapport
plan-no-report = Ingen ännu
nav-remediation = Åtgärder
nav-remediations = Åtgärder
nav-scripts = Skript
nav-approvals = Godkännanden
action-awaits-approval = Skickat för godkännande: en annan administratör måste godkänna det innan det körs.
action-collect-diagnostics = Samla in diagnostik
action-lock = Lås
action-logoff = Logga ut användare
action-logoff-confirm = Logga ut alla inloggade användare från den här enheten? Osparat arbete går förlorat.
action-quarantine = Sätt i karantän
action-quarantine-all = Sätt i karantän på alla enheter
action-quarantine-all-confirm = Sätta det här hotet i karantän på alla enheter som rapporterar det?
action-restart = Starta om
action-restart-delay = Minuter till omstart
action-restart-message = Meddelande till användaren
action-run-script = Kör skript
action-script = Skript
action-sent = { $count ->
    [one] Skickat till { $count } enhet.
   *[other] Skickat till { $count } enheter.
}
action-wipe = Rensa
action-wipe-confirm = Rensa den här enheten? Allt på den raderas när en annan administratör har godkänt.
answer-diagnostics-uploaded = Diagnostik uppladdad
answer-hash-mismatch = Nekat: skriptet är inte det som Steward gick i god för
answer-locked = Låst
answer-logged-off = Användare utloggade
answer-quarantined = Satt i karantän
answer-restart-scheduled = Omstart schemalagd
answer-script-failed = Skriptet misslyckades
answer-script-succeeded = Skriptet lyckades
answer-superseded = Ersatt av en nyare version
answer-timed-out = Stoppat: tiden tog slut
answer-no-answer = Inget svar från enheten i tid
answer-wiped = Rensad
approval-approved = Godkänd
approval-pending = Väntar på godkännande
approval-refused = Avslagen
approval-remediation = Åtgärd ”{ $name }” (ny version)
approvals-approve = Godkänn
approvals-decided = Avgjorda
approvals-decision = Beslut
approvals-intro = Rensningar, omstarter av många enheter och skriptversioner som når många enheter väntar här tills en annan administratör än den som bad om dem godkänner dem.
approvals-none = Inget väntar på godkännande.
approvals-note = Anteckning
approvals-pending = Väntar på godkännande
approvals-refuse = Avslå
approvals-requested = Begärd
approvals-what = Begäran
approvals-yours = Din begäran: en annan administratör beslutar.
device-diagnostics = Diagnostik
device-diagnostics-size = { $count ->
    [one] { $count } KiB
   *[other] { $count } KiB
}
history-remediation = Åtgärd
remediation-all-groups = Alla grupper
remediation-attempt = Försök { $attempt } av { $count }
remediation-by-group = Per grupp
remediation-detect-only = Endast identifiering
remediation-device = Enhet
remediation-devices = { $count ->
    [one] { $count } enhet
   *[other] { $count } enheter
}
remediation-failure-rate = { $count ->
    [one] { $count } % misslyckades
   *[other] { $count } % misslyckades
}
remediation-failing = Enheter med fel
remediation-next = Nästa försök: { $time }
remediation-output = Utdata
remediation-output-after = Identifiering efter åtgärden
remediation-output-detect = Identifiering
remediation-output-fix = Åtgärd
remediation-rerun = Kör igen på enheter med fel
remediation-state = Status
remediation-state-detected = Problem identifierat
remediation-state-fix-failed = Åtgärden misslyckades
remediation-state-fixed = Åtgärdat
remediation-state-no-issue = Utan problem
remediation-state-not-applicable = Inte tillämpligt
remediation-state-pending = Väntar
remediation-state-remediating = Åtgärdas
remediation-state-script-error = Skriptfel
remediation-waiting = Den här versionen når många enheter: den körs när en annan administratör har godkänt den.
remediations-alert-percent = Larm när felandelen överstiger (%)
remediations-approval-help = En åtgärd som når fler enheter än gränsen för godkännande körs när en annan administratör har godkänt den; likaså varje ny version av dess skript.
remediations-create = Skapa åtgärd
remediations-detect = Identifieringsskript
remediations-devices = Enheter
remediations-every-hours = Kör igen med intervall (timmar, 0: en gång)
remediations-fix = Åtgärdsskript
remediations-intro = Ett identifieringsskript kontrollerar varje enhet (slutkod 0: inget problem, slutkod 1: problem hittat); hittar det problemet åtgärdar åtgärdsskriptet det och identifieringen körs igen. En misslyckad åtgärd körs igen senare, varje väntetid dubbelt så lång som den förra.
remediations-max-attempts = Försök
remediations-name = Namn
remediations-new = Ny åtgärd
remediations-no-scripts = Lägg först till ett identifieringsskript.
remediations-none = Inga åtgärder ännu.
remediations-retry-minutes = Första nya försöket efter (minuter)
remediations-trigger-rule = Endast på enheter som inte uppfyller regeln
request-remediate = Åtgärd
script-shell-bash = Bash (Linux, macOS)
script-shell-powershell = PowerShell (Windows)
script-shell-sh = Shell (Linux, macOS)
script-shell-zsh = zsh (macOS)
scripts-changed = Ändrat
scripts-clear = Tillåt den här versionen för supporten
scripts-cleared-version = Version { $version }
scripts-content = Skript
scripts-create = Lägg till skript
scripts-description = Beskrivning
scripts-edit = Ändra
scripts-edit-reruns = En ny text blir en ny version: varje åtgärd som kör skriptet körs igen.
scripts-exit-codes = Som identifieringsskript: slutkod 0 när allt är bra, slutkod 1 när problemet finns.
scripts-hash = SHA-256
scripts-helpdesk = Support
scripts-intro = Varje version av ett skript sparas och identifieras av sin SHA-256; enheter kör ett skript bara när texten stämmer med det hashvärde Steward skickar.
scripts-name = Namn
scripts-new = Nytt skript
scripts-none = Inga skript ännu.
scripts-not-cleared = Inte tillåtet
scripts-seconds = { $count ->
    [one] { $count } s
   *[other] { $count } s
}
scripts-shell = Skal
scripts-timeout = Tidsgräns (sekunder)
scripts-version = Version
scripts-versions = Versioner

condition-remediation-failing = Åtgärd misslyckas
alert-reason-remediation-failing = Fel över gränsen: { $remediations }.
readiness-item-remediation = Åtgärderna rättar det de hittar
readiness-remediation-failing = { $remediation }: { $percent } % av de färdiga enheterna misslyckades (gräns { $threshold } %).
readiness-remediation-ok = { $count ->
    [one] Den enda åtgärden med en felgräns ligger under den.
   *[other] Alla { $count } åtgärder med en felgräns ligger under den.
}
readiness-remediation-none = Ingen åtgärd har någon felgräns ännu: inget att bevaka.
report-section-remediations = Åtgärdernas resultat
jobs-running = { $total ->
    [one] Alla enheter utvärderas på nytt ({ $reason }): { $done } av { $total } enhet klar
   *[other] Alla enheter utvärderas på nytt ({ $reason }): { $done } av { $total } enheter klara
}
jobs-queued = Alla enheter kommer att utvärderas på nytt ({ $reason }): väntar på att starta
jobs-reason-policy = efterlevnadsprincipen ändrades
jobs-reason-rule = larmregeln ändrades
jobs-resolving = { $total ->
    [one] De öppna larmen för en borttagen larmregel åtgärdas: { $done } av { $total } larm åtgärdat
   *[other] De öppna larmen för en borttagen larmregel åtgärdas: { $done } av { $total } larm åtgärdade
}
jobs-resolving-queued = De öppna larmen för en borttagen larmregel kommer att åtgärdas: väntar på att starta
