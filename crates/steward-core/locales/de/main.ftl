## API-Fehler
error-malformed_json = Der Anfragetext ist kein gültiges JSON für diesen Endpunkt.
error-invalid_field = Ein Feld der Anfrage hat einen falschen Typ oder Wert.
error-payload_too_large = Der Anfragetext überschreitet die Grenze von 1 MiB.
error-bad_compression = Der Anfragetext konnte nicht entpackt werden.
error-unsupported_media_type = Der Anfragetext muss JSON sein (Content-Type: application/json).
error-unauthorized = Anmeldedaten fehlen oder sind ungültig.
error-forbidden = Ihre Rolle erlaubt diese Aktion nicht.
error-not_found = Dieses Objekt gibt es nicht.
error-method_not_allowed = Diese Methode ist für diesen Pfad nicht erlaubt.
error-invalid_cursor = Der Seitencursor ist ungültig; beginnen Sie wieder bei der ersten Seite.
error-invalid_query = Ein Abfrageparameter hat einen falschen Wert.
error-unknown_token = Das Registrierungstoken ist unbekannt.
error-token_expired = Das Registrierungstoken ist abgelaufen.
error-token_exhausted = Das Registrierungstoken hat die maximale Anzahl an Verwendungen erreicht.
error-token_revoked = Das Registrierungstoken wurde widerrufen.
error-platform_not_allowed = Geräte dieser Plattform dürfen sich mit diesem Token nicht registrieren.
error-malformed_request = Die Registrierungsanfrage ist unvollständig oder enthält ungültige Felder.
error-duplicate_device = Dieses Gerät ist bereits registriert; koppeln Sie zuerst den vorhandenen Geräteeintrag ab.
error-invalid_credentials = Falsche E-Mail-Adresse oder falsches Kennwort.
error-account_locked = Zu viele fehlgeschlagene Anmeldungen: Das Konto ist vorübergehend gesperrt. Versuchen Sie es später erneut, oder wenden Sie sich an einen Administrator.
error-csrf_mismatch = Der Anfrage fehlt ein gültiges CSRF-Token; laden Sie die Seite neu, und versuchen Sie es erneut.
error-conflict = Dieses Objekt ist bereits vorhanden.
error-mail_not_configured = E-Mail ist nicht eingerichtet: Konfigurieren Sie zuerst einen SMTP-Server (notify.smtp_host).
error-device_retired = Dieses Gerät wurde abgekoppelt und darf keinen Check-in mehr ausführen.
error-overloaded = Der Server ist ausgelastet; versuchen Sie es gleich noch einmal.
error-internal = Ein interner Fehler ist aufgetreten; er wurde protokolliert.
error-field_too_long = Ein Feld der Anfrage ist länger als erlaubt.
error-too_many_entries = Eine Liste oder Zuordnung der Anfrage hat mehr Einträge als erlaubt.
error-too_many_attempts = Zu viele fehlgeschlagene Versuche von Ihrer Adresse; warten Sie einen Moment, und versuchen Sie es erneut.
error-unavailable = Die Datenbank ist gerade nicht erreichbar; versuchen Sie es gleich noch einmal.
error-outbound_refused = Diese Adresse ist nicht erlaubt: Verwenden Sie http oder https mit einer öffentlichen Adresse, oder bitten Sie den Betreiber des Servers, sie freizugeben (outbound.allow).
error-unknown_reference = Die Anfrage verweist auf etwas, das nicht existiert oder hier nicht verwendet werden kann (Kanal, Regel, Funktion oder Nachricht).
error-invalid_period = Der Zeitraum endet vor seinem Beginn oder ist bereits vorbei.
error-own_request = Sie können Ihre eigene Anfrage weder genehmigen noch ablehnen: Ein anderer Administrator muss entscheiden.
error-already_decided = Über diese Anfrage wurde bereits entschieden.

## Startseite

## Befehlszeile
cli-error = Fehler: { $message }
cli-serve-listening = Steward nimmt Verbindungen unter { $url } an (Speicher: { $backend }).
cli-demo-starting = Die Demo wird mit { $count ->
    [one] 1 simulierten Gerät gestartet…
   *[other] { $count } simulierten Geräten gestartet…
}
cli-demo-ready = Die Demo ist nach { $secs } s bereit.
cli-demo-url = Server: { $url }
cli-demo-admin = Administrator: { $email }   Kennwort: { $password }
cli-demo-api-token = API-Token (Administrator): { $token }
cli-demo-enroll-token = Registrierungstoken: { $token }
cli-demo-fleet = { $count ->
    [one] 1 simuliertes Gerät meldet sich
   *[other] { $count } simulierte Geräte melden sich
} alle { $interval } s zum Check-in.
cli-demo-try = Zum Ausprobieren: curl -H "Authorization: Bearer { $token }" { $url }/api/v1/devices
cli-demo-stop = Zum Beenden Strg+C drücken.
cli-token-created = API-Token mit der Rolle { $role } erstellt. Es wird nur einmal angezeigt:
cli-enroll-token-created = Registrierungstoken erstellt. Es wird nur einmal angezeigt:
cli-enroll-token-revoked = Registrierungstoken { $id } widerrufen.
cli-user-created = Benutzer { $email } mit der Rolle { $role } erstellt.
cli-user-password = Kennwort (wird nur einmal angezeigt): { $password }
cli-invalid-role = Unbekannte Rolle „{ $role }“. Verwenden Sie administrator, operator, helpdesk oder readonly.
cli-sim-summary = Simulation beendet: { $enrolled ->
    [one] 1 Gerät
   *[other] { $enrolled } Geräte
} registriert, { $refused ->
    [one] 1 Registrierung
   *[other] { $refused } Registrierungen
} abgelehnt, { $checkins ->
    [one] 1 Check-in
   *[other] { $checkins } Check-ins
}, { $errors ->
    [one] 1 Fehler
   *[other] { $errors } Fehler
}.

## Agent
agent-enrolled = Als Gerät { $id } registriert.
agent-checked-in = Check-in erfolgt (Sequenz { $seq }); nächster Check-in in { $secs } s.
agent-not-enrolled = Dieses Gerät ist noch nicht registriert. Führen Sie aus: steward-agent enroll --server URL --token TOKEN
agent-server-error = Der Server hat die Anfrage abgelehnt: { $message }
agent-unreachable = Der Server ist nicht erreichbar: { $message }
agent-scan-clean = Überprüfung beendet: keine Bedrohungen in { $paths } gefunden.
agent-scan-found = Überprüfung beendet: { $count ->
    [one] 1 Bedrohung gefunden:
   *[other] { $count } Bedrohungen gefunden:
}
agent-status-os = Betriebssystem
agent-status-host = Hostname
agent-status-protection = Endpunktschutz
agent-status-signatures = Signaturen vom
agent-status-firewall = Firewall aktiv
agent-status-encryption = Datenträger verschlüsselt
agent-status-disks = Freier Speicherplatz
agent-status-boot = Gestartet am
agent-status-users = Angemeldete Benutzer
agent-status-updates = Ausstehende Updates
agent-status-updates-count = { $count } (davon { $security } sicherheitsrelevant)
agent-status-unknown = unbekannt
agent-status-unknown-because = unbekannt: { $reason }
agent-status-yes = ja
agent-status-no = nein
agent-status-queued = Wartet auf Versand
agent-status-queued-count = { $count ->
    [one] 1 Momentaufnahme
   *[other] { $count } Momentaufnahmen
}
agent-status-set-aside = Zurückgestellt
agent-status-set-aside-entry = Momentaufnahme { $seq } vom { $at }: { $reason }
alert-reason-active-threat = Aktive Bedrohung: { $threats }
alert-reason-no-protection = Kein Endpunktschutz
alert-reason-realtime-off = Echtzeitschutz ist deaktiviert
alert-reason-signatures-old = { $days ->
    [one] Signaturen sind 1 Tag alt
   *[other] Signaturen sind { $days } Tage alt
}
alert-reason-scan-overdue = { $days ->
    [one] Letzte Überprüfung vor 1 Tag
   *[other] Letzte Überprüfung vor { $days } Tagen
}
alert-reason-never-scanned = Nie überprüft
alert-reason-noncompliant = Nicht konform
alert-reason-silent = { $hours ->
    [one] Seit 1 Stunde kein Check-in
   *[other] Seit { $hours } Stunden kein Check-in
}
alert-reason-low-disk = Wenig Speicherplatz: { $disks }
alert-reason-fleet-share = { $matching } von { $total ->
    [one] 1 Gerät
   *[other] { $total } Geräten
}: { $state }
alert-reason-enrollment-failures = { $count ->
    [one] 1 fehlgeschlagene Registrierung
   *[other] { $count } fehlgeschlagene Registrierungen
} in { $minutes ->
    [one] 1 Minute
   *[other] { $minutes } Minuten
}
severity-critical = Kritisch
severity-warning = Warnung
severity-informational = Informativ
notify-title-firing = [{ $severity }] { $rule }: { $open } offen
notify-title-resolved = [{ $severity }] { $rule }: behoben
notify-title-repeat = [{ $severity }] { $rule }: weiterhin { $open } offen
notify-title-escalation = [{ $severity }] { $rule }: { $count ->
    [one] 1 Alarm
   *[other] { $count } Alarme
} seit { $minutes ->
    [one] 1 Minute
   *[other] { $minutes } Minuten
} unbestätigt
notify-new = Neu ausgelöst ({ $count })
notify-still = Ausgelöst ({ $count })
notify-resolved = Behoben ({ $count })
notify-more = { $count ->
    [one] … und 1 weiterer
   *[other] … und { $count } weitere
}
notify-fleet = Geräteflotte
notify-open = In Steward öffnen: { $url }
notify-open-short = In Steward öffnen
notify-footer = Gesendet von Steward. Benachrichtigung { $id }.
notify-test-title = Steward-Testbenachrichtigung
notify-test-body = Dieser Kanal ({ $channel }) funktioniert. Gesendet am { $at }.
alert-reason-delivery-failing = { $count ->
    [one] 1 Benachrichtigung
   *[other] { $count } Benachrichtigungen
} seit { $minutes ->
    [one] 1 Minute
   *[other] { $minutes } Minuten
} nicht zugestellt: { $channels }

# Console
alerts-ack-selected = Auswahl bestätigen
alerts-acknowledge = Bestätigen
alerts-acknowledged-by = Bestätigt von
alerts-actions = Aktionen
alerts-add-comment = Kommentar hinzufügen
alerts-assign = Zuweisen
alerts-assignee = Zuständig
alerts-comment = Kommentar
alerts-comment-optional = Kommentar (optional)
alerts-device = Gerät
alerts-fired = Ausgelöst
alerts-open-device = Gerät öffnen
alerts-resolve = Als behoben markieren
alerts-resolved-by = Behoben von
alerts-rule = Regel
alerts-select = Auswählen
alerts-severity = Schweregrad
alerts-silenced = Stummgeschaltet
alerts-state = Status
alerts-summary = Alarm
audit-action = Aktion
audit-actor = Ausgeführt von
audit-object = Objekt
audit-object-id = Objekt-ID
audit-object-type = Objekttyp
audit-outcome = Ergebnis
channel-email = E-Mail
channel-slack = Slack (eingehender Webhook)
channel-teams = Microsoft Teams (Webhook)
channel-webhook = Webhook (signiertes JSON)
channels-create = Kanal erstellen
channels-delivery = Zustellung
channels-failed = { $count ->
    [one] 1 aufgegeben
   *[other] { $count } aufgegeben
}
channels-kind = Typ
channels-last-delivered = Zuletzt zugestellt
channels-last-error = Letzter Fehler
channels-new = Neuer Kanal
channels-next-attempt = Nächster Versuch
channels-pending = { $count ->
    [one] 1 ausstehend
   *[other] { $count } ausstehend
}
channels-secret = Signaturschlüssel (Webhooks)
channels-severities = Alle Alarme dieser Schweregrade
channels-target = URL oder E-Mail-Adressen
channels-test = Test senden
condition-active-threat = Aktive Bedrohung
condition-delivery-failing = Benachrichtigungen nicht zugestellt
condition-enrollment-failures = Fehlgeschlagene Registrierungen
condition-fleet-share = Anteil der Geräte in einem Zustand
condition-low-disk = Wenig Speicherplatz
condition-noncompliant = Nicht konform
condition-not-checked-in = Kein Check-in
condition-protection-missing = Endpunktschutz fehlt oder ist deaktiviert
condition-realtime-off = Echtzeitschutz deaktiviert
condition-scan-overdue = Überprüfung überfällig
condition-signatures-outdated = Signaturen veraltet
console-all = Alle
console-any = Beliebig
console-apply = Anwenden
console-clear = Zurücksetzen
console-confirm-delete = Endgültig löschen?
console-confirm-revoke = Dieses Token widerrufen? Es funktioniert sofort nicht mehr.
console-csv = CSV exportieren
console-delete = Löschen
console-error-title = Nicht verfügbar
console-filter = Filtern
console-language = Sprache
console-logout = Abmelden
console-navigation = Hauptnavigation
console-next-page = Nächste Seite
console-none = Keine
console-empty = Noch nichts anzuzeigen.
console-off = Aus
console-on = Ein
console-shown-once = Jetzt kopieren: Es wird nur einmal angezeigt.
console-skip = Zum Inhalt springen
console-test-delivered = Die Testbenachrichtigung wurde zugestellt.
console-test-failed = Die Testbenachrichtigung wurde nicht zugestellt: { $error }
dash-alerts = Offene Alarme
dash-as-of = Stand: { $time }
dash-checkins = Check-ins
dash-compliance = Konformität
dash-devices = Verwaltete Geräte nach Plattform
dash-enroll-totals = erfolgreich / fehlgeschlagen
dash-enrollments = Registrierungen, letzte 7 Tage
dash-malware = { $count ->
    [one] Gerät mit Schadsoftware
   *[other] Geräte mit Schadsoftware
}
dash-noncompliant = nicht konform
dash-open-alerts = offen
dash-protection = Endpunktschutz
detection-blocked = Blockiert
detection-left-in-place = Nicht entfernt
detection-quarantined = In Quarantäne
detection-removed = Entfernt
device-action = Maßnahme
device-detail = Details
device-detected = Erkannt
device-detections = Erkennungen
device-engine = Schutzmodul
device-enrolled = Registriert
device-full-scan = Letzte vollständige Überprüfung
device-health-reasons = Gründe:
device-history = Verlauf
device-id = Geräte-ID
device-identity = Identität
device-inventory = Inventar
device-malware-protection = Schutz vor Schadsoftware
device-model = Modell
device-no-protection-report = Das Gerät hat keinen Endpunktschutz gemeldet.
device-path = Pfad
device-protection = Endpunktschutz
device-quick-scan = Letzte Schnellüberprüfung
device-realtime = Echtzeitschutz
device-result = Ergebnis
device-retired = Abgekoppelt
device-rule = Regel
device-serial = Seriennummer
device-signatures = Signaturen
device-threat = Bedrohung
devices-compliance = Konformität
devices-group = Gruppe
devices-health = Schutz
devices-last-seen = Letzter Check-in
devices-name = Name
devices-os = Betriebssystem
devices-owner = Besitzer
devices-platform = Plattform
devices-search = Name, Seriennummer oder Besitzer suchen
devices-seen-filter = Nach Zeitpunkt des letzten Check-ins gefiltert.
devices-sort = Sortieren nach
devices-sort-enrolled = Zuletzt registriert
devices-sort-recent = Neuester Check-in
devices-sort-silent = Am längsten ohne Check-in
attempt-at = Zeitpunkt
attempt-from = Von
attempt-host = Hostname
attempt-result = Ergebnis
event-acknowledged = Bestätigt
event-assigned = Zugewiesen
event-commented = Kommentiert
event-escalated = Eskaliert
event-fired = Ausgelöst
event-reopened = Wieder geöffnet
event-resolved = Behoben
fresh-day = Letzte 24 Stunden
fresh-older = Älter als 7 Tage
fresh-week = Letzte 7 Tage
login-email = E-Mail
login-password = Kennwort
login-submit = Anmelden
login-title = Anmeldung
nav-alerts = Alarme
nav-audit = Überwachungsprotokoll
nav-channels = Kanäle
nav-dashboard = Dashboard
nav-devices = Geräte
nav-enrollment-tokens = Registrierungstoken
nav-enrollments = Registrierungen
nav-policies = Konformitätsrichtlinien
nav-rules = Alarmregeln
nav-settings = Einstellungen
nav-silences = Stummschaltungen
nav-tokens = API-Token
nav-users = Benutzer und Rollen
platform-android = Android
platform-ios = iOS/iPadOS
platform-linux = Linux
platform-macos = macOS
platform-windows = Windows
policies-create = Richtlinie erstellen
policies-grace = Toleranzperiode (Stunden)
policies-new = Neue Richtlinie
policies-rules = Regeln
role-administrator = Administrator
role-helpdesk = Helpdesk
role-operator = Operator
role-readonly = Nur Lesen
rules-condition = Bedingung
rules-count = Mehr als (Anzahl)
rules-create = Regel erstellen
rules-days = Tage
rules-disable = Deaktivieren
rules-enable = Aktivieren
rules-free-percent = Freier Speicher unter (%)
rules-group-by = Eine Benachrichtigung pro
rules-group-by-device = Gerät
rules-group-by-rule = Regel (gruppiert)
rules-groups = Gerätegruppen
rules-hours = Stunden
rules-minutes = Nicht zugestellt seit (Minuten)
rules-name = Name
rules-new = Neue Alarmregel
rules-off = Deaktiviert
rules-on = Aktiviert
rules-percent = Anteil über (%)
rules-window = Innerhalb von (Minuten)
silences-author = Erstellt von
silences-create = Stummschaltung erstellen
silences-expire = Jetzt beenden
silences-intro = Stummgeschaltete Alarme werden weiterhin erfasst; nur ihre Benachrichtigungen und Eskalationen warten, bis die Stummschaltung endet.
silences-matches = Gilt für
silences-minutes = Dauer (Minuten)
silences-new = Neue Stummschaltung (Wartungsfenster)
silences-reason = Grund
silences-window = Zeitraum
state-acknowledged = Bestätigt
state-active = Aktiv
state-active-threat = Aktive Bedrohung
state-at-risk = Gefährdet
state-compliant = Konform
state-delivered = Zugestellt
state-error = Fehler
state-expired = Beendet
state-fail = Nicht erfüllt
state-failed = Fehlgeschlagen
state-firing = Ausgelöst
state-in-grace = In Toleranzperiode
state-noncompliant = Nicht konform
state-not-evaluated = Nicht ausgewertet
state-other = Sonstiges
state-pass = Erfüllt
state-not-applicable = Nicht anwendbar
state-pending = Ausstehend
state-protected = Geschützt
state-resolved = Behoben
state-success = Erfolgreich
state-unknown = Unbekannt
state-unprotected = Ungeschützt
tokens-create = Token erstellen
tokens-expires = Läuft ab
tokens-expires-hours = Gültig für (Stunden)
tokens-last-used = Zuletzt verwendet
tokens-max-uses = Maximale Verwendungen
tokens-new = Neues Token
tokens-prefix = Beginnt mit
tokens-revoke = Widerrufen
tokens-revoked = Widerrufen
tokens-user-token = Persönliches Token eines Benutzers
tokens-uses = Verwendungen
users-active = Aktiv
users-create = Benutzer erstellen
users-disable = Deaktivieren
users-disabled = Deaktiviert
users-enable = Aktivieren
users-name = Anzeigename
users-new = Neuer Benutzer
users-reset-password = Kennwort zurücksetzen
users-role = Rolle
dash-devices-caption = { $count ->
    [one] Gerät
   *[other] Geräte
}
dash-checkins-caption = mit Check-in in den letzten 24 Stunden
health-not-reported = Das Gerät hat keinen Endpunktschutz gemeldet
health-no-engine = Kein Schutzmodul
health-malware-off = Schutz vor Schadsoftware ist deaktiviert
health-active-threat = { $count ->
    [one] 1 aktive Bedrohung
   *[other] { $count } aktive Bedrohungen
}
health-pending-action = Eine Erkennung wartet auf eine Maßnahme
health-realtime-unknown = Echtzeitschutz nicht gemeldet
health-signature-age-unknown = Alter der Signaturen nicht gemeldet
rule-min-os-version = { $platform } ab Version { $version }
rule-protection-required = Endpunktschutz aktiviert
rule-realtime-required = Echtzeitschutz aktiviert
rule-signatures-max-age = { $days ->
    [one] Signaturen höchstens 1 Tag alt
   *[other] Signaturen höchstens { $days } Tage alt
}
rule-no-active-threats = Keine aktiven Bedrohungen
rule-firewall = Firewall aktiviert
rule-disk-encryption = Datenträger verschlüsselt
rule-checked-in-within = { $days ->
    [one] Check-in innerhalb von 1 Tag
   *[other] Check-in innerhalb von { $days } Tagen
}

# Update awareness
notice-mail-subject = [Wichtiges Update] { $title }
notice-reminder-subject = Bitte bestätigen: { $title }
readiness-not-acknowledged = „{ $notice }“ nicht bestätigt von: { $people }
readiness-all-acknowledged = Alle haben die fälligen Nachrichten bestätigt.
readiness-missing-rules = Keine aktive Regel für: { $types }
readiness-no-tested-channel = Kein Benachrichtigungskanal hat einen Test bestanden.
readiness-monitoring-ok = Regeln für alle Bereiche aktiv; getestete Kanäle: { $channels }
readiness-no-oncall = Kritische Regeln ohne Empfänger in Rufbereitschaft: { $rules }
readiness-no-escalation = Kritische Regeln ohne Eskalation: { $rules }
readiness-no-critical-rules = Keine kritische Alarmregel ist aktiv.
readiness-unacknowledged-critical = { $count ->
    [one] 1 kritischer Alarm
   *[other] { $count } kritische Alarme
} seit über { $minutes ->
    [one] 1 Minute
   *[other] { $minutes } Minuten
} unbestätigt
readiness-ack-median = Median der Zeit bis zur Bestätigung kritischer Alarme (30 Tage): { $minutes } Min.
readiness-discovery-ok = Die Vorbereitungsfragen sind beantwortet.
discovery-team = Wer gehört zum Betriebsteam?
discovery-reporting = Wie berichten Sie an die wichtigsten Beteiligten? (Jede Zeile mit Beteiligten nennt einen geplanten Bericht.)
discovery-awareness-owner = Wer ist für die Update-Kommunikation verantwortlich?
readiness-stale-material = „{ $material }“ ist veraltet; seit der letzten Prüfung geändert: { $features }
readiness-onboarding-behind = Einarbeitung im Verzug: { $people }
readiness-training-ok = Die Schulungsunterlagen sind aktuell, die Einarbeitung liegt im Plan.
agent-no-messages = Keine Nachrichten Ihrer Organisation.

# Console: awareness
announcements-below-version = Version unter
announcements-delivered = { $count ->
    [one] 1 empfangen
   *[other] { $count } empfangen
}
announcements-devices = { $count ->
    [one] 1 Gerät
   *[other] { $count } Geräte
}
announcements-from-version = Ab Version
announcements-new = Neue Ankündigung an Benutzer
announcements-owners = { $count ->
    [one] 1 Besitzer
   *[other] { $count } Besitzer
}
announcements-reach = Reichweite
announcements-read = { $count ->
    [one] 1 angezeigt
   *[other] { $count } angezeigt
}
announcements-send = Senden
announcements-sent = { $count ->
    [one] Für 1 Besitzer bereitgestellt: Die Geräte zeigen sie beim nächsten Check-in an.
   *[other] Für { $count } Besitzer bereitgestellt: Die Geräte zeigen sie beim nächsten Check-in an.
}
category-informed = Auf dem Laufenden bleiben
category-plan = Änderungen planen
category-prevent = Probleme vermeiden oder beheben
nav-announcements = Ankündigungen
nav-awareness = Update-Kommunikation
nav-notices = Updates
nav-plan = Betriebsplan
nav-readiness = Einsatzbereitschaft
nav-training = Schulung
notices-acknowledged = Bestätigt
notices-acknowledged-by = Bestätigt von
notices-archive = Archivieren
notices-body = Text (Markdown)
notices-briefing = Helpdesk-Briefing
notices-category = Kategorie
notices-create = Veröffentlichen
notices-favourite = Favorit
notices-favourite-action = Zu Favoriten hinzufügen
notices-help-desk = Helpdesk-Briefing (jedes Helpdesk-Mitglied muss bestätigen)
notices-missing = Noch nicht
notices-new = Neue Nachricht
notices-read = Gelesen
notices-languages = Sprachen
notices-default-language = Standardsprache
notices-severity = Schweregrad
notices-release = Veröffentlichungsstatus
notices-act-by = Handeln bis
notices-platforms = Betroffene Plattformen
notices-save = Speichern
notices-edit = Bearbeiten
notices-views = Nachrichtenansichten
notices-view-inbox = Posteingang
notices-view-favourites = Favoriten
notices-view-archived = Archiviert
notices-view-all = Alle
notices-also-in = Auch auf
notices-message = Nachricht
notices-facts = Auf einen Blick
notices-source = Quelle
notices-source-manual = Hier verfasst
notices-published = Veröffentlicht
notices-changed = Zuletzt geändert
notices-materials = { $count ->
    [one] 1 Schulungsunterlage
   *[other] { $count } Schulungsunterlagen
}
notices-acknowledgments = Bestätigungen
training-add-enabled = Als aktiviert hinzufügen
training-notices = Nachrichten
severity-normal = Normal
severity-high = Hoch
release-scheduled = Geplant
release-rolling-out = Wird eingeführt
release-launched = Eingeführt
notices-remind = Ausstehende erinnern
notices-reminded = { $count ->
    [one] Erinnerung an 1 Person gesendet.
   *[other] Erinnerung an { $count } Personen gesendet.
}
notices-tags = Tags
notices-title = Titel
notices-unarchive = Wiederherstellen
notices-unfavourite = Aus Favoriten entfernen
notices-unread = Ungelesen
notices-updated = Aktualisiert
plan-area = Bereich
plan-awareness-owner = Verantwortlich für die Update-Kommunikation
plan-blank-rows = Füllen Sie eine leere Zeile aus, um jemanden hinzuzufügen; leeren Sie eine Zeile, um sie zu entfernen.
focus-planning = Planung
focus-help-desk = Helpdesk
focus-awareness = Update-Kommunikation
focus-training = Schulung
focus-operations = Betrieb
focus-not-started = Nicht begonnen
focus-in-progress = In Arbeit
focus-done = Erledigt
plan-cadence = Häufigkeit
plan-focus = Schwerpunkte
plan-goals = Ziele
plan-open-questions = Offene Vorbereitungsfragen
plan-owner = Verantwortlich
plan-person = Person
plan-reporting = Berichte an Beteiligte
plan-responsibilities = Aufgaben
plan-save = Plan speichern
plan-stakeholders = Beteiligte
plan-team = Das Betriebsteam
readiness-fail = Handlungsbedarf
readiness-item-admins = Administratoren kennen die Funktions- und Dienstupdates
readiness-item-discovery = Vorbereitungsfragen beantwortet
readiness-item-help-desk = Helpdesk kennt die Änderungen
readiness-item-monitoring = Überwachung eingerichtet
readiness-item-reacting = Bereit, auf wichtige Alarme zu reagieren
readiness-item-training = Schulung aktuell, Einarbeitung im Plan
readiness-pass = Bereit
tag-admin-impact = Auswirkung auf Admins
tag-data-privacy = Datenschutz
tag-feature-update = Funktionsupdate
tag-major-update = Wichtiges Update
tag-new-feature = Neue Funktion
tag-retirement = Abkündigung
tag-user-impact = Auswirkung auf Benutzer
training-audience = Zielgruppe
training-behind = Im Verzug
training-completed = Abgeschlossen / zugewiesen
training-current = Aktuell
training-enabled = Aktiviert
training-feature-changed = Als geändert markieren
training-features = Funktionen
training-mark-done = Durchgearbeitet
training-mark-reviewed = Geprüft
training-materials = Schulungsunterlagen
training-onboarding = Einarbeitung
training-progress = Fortschritt
training-stale = Veraltet
condition-readiness-failing = Einsatzbereitschaft: Punkt nicht erfüllt
alert-reason-readiness-failing = { $items } seit über { $hours ->
    [one] 1 Stunde
   *[other] { $hours } Stunden
} nicht erfüllt
notice-digest-subject = Ihre wöchentliche Update-Übersicht: { $count ->
    [one] 1 ungelesenes Update
   *[other] { $count } ungelesene Updates
}
feeds-title = Herstellerfeeds
feeds-last-fetched = Zuletzt abgerufen
feeds-fetch = Jetzt abrufen
feeds-interval = Abrufintervall (Minuten)
feeds-add = Feed hinzufügen
feeds-fetched = { $new ->
    [one] 1 neue Nachricht
   *[other] { $new } neue Nachrichten
}, { $updated ->
    [one] 1 aktualisiert
   *[other] { $updated } aktualisiert
}.
training-new-material = Neue Schulungsunterlage
training-add = Unterlage hinzufügen
training-add-feature = Funktion hinzufügen
training-assign = Zuweisen
training-assign-to = Zuweisen an
demo-feature-passkeys = Anmeldung mit Passkey
demo-material-passkeys = Anmeldung mit Passkey: was sich für Administratoren ändert
demo-notice-passkeys-title = Die Anmeldung mit Passkey kommt in die Konsole
demo-notice-passkeys-body = Administratoren können sich künftig mit einem **Passkey** statt mit einem Kennwort anmelden. Schalten Sie die Funktion ein, sobald Ihr Team die Schulungsunterlage durchgearbeitet hat, und informieren Sie vorher den Helpdesk.
demo-notice-macos-title = macOS 15: Das VPN-Profil muss neu installiert werden
demo-notice-macos-body = Nach dem Upgrade auf **macOS 15** funktioniert das VPN-Profil auf einigen Geräten nicht mehr. Wenn sich ein Benutzer wegen des VPN meldet, lassen Sie ihn das Profil aus dem Unternehmensportal neu installieren.
reason-unknown-token = Das eingegebene oder im Installationsprogramm enthaltene Registrierungstoken existiert nicht: ein Tippfehler oder ein Token eines anderen Steward-Servers.
reason-token-expired = Das Registrierungstoken ist abgelaufen.
reason-token-revoked = Das Registrierungstoken wurde von einem Administrator widerrufen.
reason-token-exhausted = Das Registrierungstoken wurde bereits für so viele Geräte verwendet, wie es erlaubt: Das Gerätelimit ist erreicht.
reason-platform-not-allowed = Das Token erlaubt keine Geräte dieser Plattform: Die Plattform ist für diese Registrierung gesperrt.
reason-duplicate-device = Diese Hardware ist bereits registriert; der alte Geräteeintrag muss abgekoppelt werden, bevor sie sich erneut registrieren kann.
reason-malformed-request = Der Agent hat eine unvollständige Registrierungsanfrage gesendet: meist ein veralteter Agent.
reason-win-mdm-blocked = Windows: Die MDM-Registrierung ist für diesen Gerätetyp durch eine Registrierungsbeschränkung gesperrt.
reason-win-device-quota = Windows: Der Benutzer hat die Höchstzahl an Geräten erreicht, die er einbinden oder registrieren darf.
reason-win-license = Windows: Der Benutzer hat keine gültige Lizenz für die Geräteverwaltung.
reason-app-download-failed = Die App konnte nicht heruntergeladen werden: Problem mit Netzwerk, Proxy oder Inhaltsserver.
reason-app-checksum = Die heruntergeladene App stimmt nicht mit ihrer Prüfsumme überein: Der Download ist beschädigt oder wurde verändert.
reason-app-disk-full = Nicht genügend freier Speicherplatz, um die App zu installieren.
reason-app-not-detected = Das Installationsprogramm wurde beendet, aber die App wurde danach nicht gefunden (Erkennungsregel).
reason-win-1603 = Windows Installer-Fehler 1603: schwerwiegender Fehler während der Installation, oft eine fehlende Voraussetzung oder eine Datei in Verwendung.
reason-win-1618 = Windows Installer-Fehler 1618: Eine andere Installation wird bereits ausgeführt.
reason-win-1638 = Windows Installer-Fehler 1638: Eine andere Version dieses Produkts ist bereits installiert.
reason-win-disk-full = Windows: Auf dem Datenträger ist nicht genügend Speicherplatz.
reason-win-appx-failed = Windows: Das App-Paket konnte nicht installiert werden (Bereitstellungsfehler).
reason-intune-not-detected = Die App wurde nach einer erfolgreich abgeschlossenen Installation nicht erkannt.
reason-ios-install-command = iOS: Der Befehl zur App-Installation ist fehlgeschlagen, ohne dass das Gerät einen Grund gemeldet hat.
reason-ios-network-lost = iOS: Die Netzwerkverbindung ist während des Downloads abgebrochen.
reason-app-timeout = Die Installation wurde nicht in der vorgesehenen Zeit abgeschlossen.
reason-app-dependency = Eine App oder Komponente, die diese App benötigt, ist nicht installiert.
reason-unknown = Für diesen Code ist noch keine Erklärung bekannt.
invite-subject = Registrieren Sie Ihr Gerät
invite-body =
    Guten Tag,

    um Ihr Gerät zu registrieren, installieren Sie den Steward-Agenten, und führen Sie Folgendes aus:

    { $command }

    Das Token gilt für ein Gerät und eine Woche. Der Server ist { $server }.
nav-helpdesk = Fehlerbehebung
nav-kb = Wissensdatenbank
helpdesk-find = Benutzer (E-Mail-Adresse)
helpdesk-search = Suchen
helpdesk-requests = Anforderungen an Geräte
helpdesk-request = Anforderung
helpdesk-by = Angefordert von
helpdesk-answer = Antwort
request-sent = Gesendet, wartet auf Antwort
request-waiting = Wartet auf den nächsten Check-in
request-queued = Angefordert: Das Gerät erhält die Anforderung beim nächsten Check-in.
request-sync = Synchronisieren
request-full-scan = Vollständige Überprüfung
request-update-definitions = Signaturen aktualisieren
answer-checked-in = Check-in erfolgt
answer-scan-clean = Überprüfung beendet: keine Bedrohungen
answer-threats-found = Bedrohungen gefunden
answer-definitions-updated = Signaturen aktualisiert
answer-no-engine = Kein Schutzmodul auf dem Gerät
answer-unsupported = Vom Gerät nicht unterstützt
answer-failed = Fehlgeschlagen
helpdesk-issues = Probleme
helpdesk-failed-enrollments = Fehlgeschlagene Registrierungen
helpdesk-failed-installs = Fehlgeschlagene App-Installationen
helpdesk-open-alerts = Offene Alarme
helpdesk-invite = Registrierungseinladung erneut senden
helpdesk-actions = Aktionen
helpdesk-note = Notiz
helpdesk-add-note = Notiz hinzufügen
helpdesk-why = Ursache und Lösung
helpdesk-installs = App-Installationen
helpdesk-app = App
install-failed = Fehlgeschlagen
install-installed = Installiert
install-pending = Ausstehend
helpdesk-changes = Aktuelle Änderungen für die Plattformen des Benutzers
invite-sent = Einladung gesendet.
kb-search = Artikel suchen (in jeder Sprache, auch nach Fehlercodes)
kb-results = Ergebnisse
kb-gaps = Handlungsbedarf
kb-low-success = löst nur { $percent } % der Fälle
kb-no-article = { $count ->
    [one] 1 Fehlschlag
   *[other] { $count } Fehlschläge
} in 30 Tagen und kein Artikel
kb-not-helping = { $count ->
    [one] 1 Fehlschlag
   *[other] { $count } Fehlschläge
} in 30 Tagen; der Artikel hilft selten
kb-articles = Artikel
kb-codes = Fehlercodes
kb-success = Gelöst
kb-reviewed = Zuletzt geprüft
kb-new = Neuer Artikel
kb-create = Veröffentlichen
kb-slug = Kurzname (für Links)
kb-rules = Alarmregeln
kb-fix = Lösung
kb-did-it-help = Hat das den Fall gelöst?
kb-solved = Ja, gelöst
kb-not-solved = Nein
kb-revision = Revision
kb-revisions = Revisionen
kb-thanks = Danke, vermerkt.
kb-for-alert = Artikel zu diesem Alarm
history-enrolled = Registriert
history-renamed = Umbenannt
history-os-changed = Betriebssystem geändert
history-protection-changed = Endpunktschutz geändert
history-compliance-changed = Konformität geändert
history-inventory-changed = Inventar geändert
history-secret-rotated = Geheimnis erneuert
history-retired = Abgekoppelt
history-note = Notiz
history-request = Anforderung des Helpdesks
history-request-answered = Antwort des Geräts
history-snapshot-set-aside = Der Agent hat eine Momentaufnahme zurückgestellt
history-snapshot-set-aside-detail = Momentaufnahme { $seq } nach { $attempts ->
    [one] 1 Versuch
   *[other] { $attempts } Versuchen
}: { $reason }

## Konformitätsergebnisse auf der Geräteseite
device-rules-tally = { $applicable ->
    [one] { $pass } von 1 anwendbaren Regel erfüllt.
   *[other] { $pass } von { $applicable } anwendbaren Regeln erfüllt.
}
device-rules-not-applicable = { $count ->
    [one] 1 Regel betrifft eine andere Plattform und gilt nicht.
   *[other] { $count } Regeln betreffen eine andere Plattform und gelten nicht.
}

## Console: forms, profile, search, inventory, relative times
console-save = Speichern
console-edit = Bearbeiten
console-search = Suchen
search-title = Suche
search-label = Gerätename, Seriennummer, Besitzer oder Benutzer
search-placeholder = Geräte und Benutzer suchen
search-no-devices = Kein Gerät entspricht diesen Suchbegriffen.
search-all-devices = Alle passenden Geräte
search-users = Gerätebenutzer
search-no-users = Keine Adresse eines Gerätebenutzers beginnt mit diesen Zeichen.
profile-title = Ihr Profil
profile-time-zone = Zeitzone
profile-region = Regionales Format
profile-region-language = Format der gewählten Sprache
profile-region-us = Englisch (USA): 11/30/2026, 2:05 PM
profile-region-gb = Englisch (Vereinigtes Königreich): 30/11/2026, 14:05
profile-example = So werden Zeiten angezeigt: { $time }
time-just-now = gerade eben
time-ago-minutes = { $count ->
    [one] vor 1 Minute
   *[other] vor { $count } Minuten
}
time-in-minutes = { $count ->
    [one] in 1 Minute
   *[other] in { $count } Minuten
}
time-ago-hours = { $count ->
    [one] vor 1 Stunde
   *[other] vor { $count } Stunden
}
time-in-hours = { $count ->
    [one] in 1 Stunde
   *[other] in { $count } Stunden
}
time-ago-days = { $count ->
    [one] vor 1 Tag
   *[other] vor { $count } Tagen
}
time-in-days = { $count ->
    [one] in 1 Tag
   *[other] in { $count } Tagen
}
time-ago-months = { $count ->
    [one] vor 1 Monat
   *[other] vor { $count } Monaten
}
time-in-months = { $count ->
    [one] in 1 Monat
   *[other] in { $count } Monaten
}
time-ago-years = { $count ->
    [one] vor 1 Jahr
   *[other] vor { $count } Jahren
}
time-in-years = { $count ->
    [one] in 1 Jahr
   *[other] in { $count } Jahren
}
rules-escalation = Eskalation
rules-escalation-help = Bleibt ein Alarm unbestätigt, benachrichtigt jede Stufe nach der angegebenen Anzahl Minuten ihre Kanäle. Lassen Sie die Minuten leer, um eine Stufe zu entfernen.
rules-step-after = Stufe { $step }: nach (Minuten)
rules-escalation-steps = { $count ->
    [one] 1 Eskalationsstufe
   *[other] { $count } Eskalationsstufen
}
rules-all-devices = Alle Geräte
rules-none = Noch keine Alarmregel.
channels-none = Noch kein Benachrichtigungskanal.
channels-new-secret = Neuer Signaturschlüssel (leer lassen: bisherigen behalten)
rule-param-days = { $count ->
    [one] mehr als 1 Tag
   *[other] mehr als { $count } Tage
}
rule-param-hours = { $count ->
    [one] seit 1 Stunde kein Check-in
   *[other] seit { $count } Stunden kein Check-in
}
rule-param-free = weniger als { $count } % frei
rule-param-failures = { $count ->
    [one] mehr als 1 Fehlschlag in { $minutes } Min.
   *[other] mehr als { $count } Fehlschläge in { $minutes } Min.
}
rule-param-share = mehr als { $percent } % auf { $platform }: { $health }
rule-param-all-platforms = allen Plattformen
rule-param-minutes = { $count ->
    [one] länger als 1 Minute
   *[other] länger als { $count } Minuten
}
policies-requirement = Anforderung
policies-required = Erforderlich
policies-days = Tage (höchstens)
policy-field-min-os = Mindestversion des Betriebssystems: { $platform }
policy-field-protection-required = Endpunktschutz mit aktiviertem Schutz vor Schadsoftware
policy-field-realtime-protection-required = Echtzeitschutz aktiviert
policy-field-no-active-threats = Keine aktiven Bedrohungen
policy-field-firewall-required = Firewall aktiviert
policy-field-disk-encryption-required = Datenträgerverschlüsselung
policy-field-signatures-max-age-days = Alter der Signaturen
policy-field-checked-in-within-days = Letzter Check-in
policies-empty-help = Eine leere oder nicht angehakte Zeile gehört nicht zur Richtlinie. Versionen sind Zahlen mit Punkten (15, 10.0.19045).
policies-hours = { $count ->
    [one] 1 Stunde
   *[other] { $count } Stunden
}
policies-none = Noch keine Konformitätsrichtlinie: Jedes Gerät gilt als nicht ausgewertet.
silences-minutes-from-now = Endet in (Minuten ab jetzt)
silences-none = Keine Stummschaltung: Für jeden Alarm wird eine Benachrichtigung gesendet.
device-actions = Geräteaktionen
device-rotate = Geheimnis erneuern
device-rotate-confirm = Das Gerät erhält beim nächsten Check-in ein neues Geheimnis. Fortfahren?
device-rotation-pending = Angefordert: Das Gerät erhält sein neues Geheimnis beim nächsten Check-in.
device-retire = Abkoppeln
device-retire-confirm = Dieses Gerät abkoppeln? Es kann keinen Check-in mehr ausführen; Geräteeintrag und Verlauf bleiben erhalten.
device-note = Notiz für den Helpdesk
device-add-note = Notiz hinzufügen
device-no-group = Keine Gruppe
device-no-engine = Kein Schutzmodul gemeldet
device-no-detections = Keine Erkennung gemeldet.
device-no-rules = Für dieses Gerät gilt keine Konformitätsrichtlinie.
device-no-alerts = Keine Alarme für dieses Gerät.
device-no-inventory = Das Gerät hat sein Inventar noch nicht gesendet.
device-no-history = Noch kein Verlauf.
device-threat-state = Bedrohungsstatus
inventory-empty-list = keine
inventory-unknown = unbekannt ({ $reason })
inventory-model = Modell
inventory-cpu-model = Prozessor
inventory-cpu-count = Prozessorkerne
inventory-memory = Arbeitsspeicher
inventory-boot-time = Letzter Start
inventory-logged-in = Angemeldete Benutzer
inventory-pending-updates = Ausstehende Updates
inventory-os-release = Betriebssystem
inventory-updates = { $count ->
    [one] 1 Update
   *[other] { $count } Updates
} (davon { $security } sicherheitsrelevant)
inventory-disks = Datenträger
inventory-mount = Bereitstellungspunkt
inventory-fs = Dateisystem
inventory-size = Größe
inventory-free = Frei
history-compliance-evaluated = Konformität ausgewertet
history-health-changed = Schutzstatus geändert
history-enrolled-group = Gruppe: { $group }
fact-secure-boot = Sicherer Start
fact-screen-lock = Bildschirmsperre
alerts-none = Keine Alarme entsprechen diesen Filtern.
alerts-open-totals = { $count ->
    [one] 1 offener Alarm
   *[other] { $count } offene Alarme
}: kritisch { $critical }, Warnung { $warning }
devices-total = { $count ->
    [one] 1 Gerät
   *[other] { $count } Geräte
}
devices-none = Kein Gerät entspricht diesen Filtern.
devices-columns = Spalten
console-page-size = Pro Seite
audit-ok = Ausgeführt
audit-denied = Verweigert
audit-none = Kein Eintrag im Überwachungsprotokoll entspricht diesen Filtern.
invite-not-mailed = E-Mail ist deaktiviert, daher wurde nichts gesendet. Geben Sie dem Benutzer dieses einmalig verwendbare Registrierungstoken (7 Tage gültig) und den Befehl, der es verwendet; beide werden nur einmal angezeigt.
attempt-retire-existing = Registrierten Datensatz öffnen, um ihn abzukoppeln
enrollments-none = Kein Registrierungsversuch entspricht diesen Filtern.
threat-clean = Keine Bedrohung
threat-pending-full-scan = Vollständige Überprüfung erforderlich
threat-pending-reboot = Neustart erforderlich
threat-pending-manual = Manuelle Schritte erforderlich
compliance-not-reported = Vom Gerät nicht gemeldet
compliance-firewall-off = Die Firewall ist deaktiviert
compliance-disk-not-encrypted = Der Datenträger ist nicht verschlüsselt
compliance-last-checkin = { $days ->
    [one] Letzter Check-in vor 1 Tag
   *[other] Letzter Check-in vor { $days } Tagen
}

install-state-pending = Ausstehend
install-state-available = Verfügbar
install-state-downloading = Wird heruntergeladen
install-state-installing = Wird installiert
install-state-removing = Wird entfernt
install-state-installed = Installiert
install-state-removed = Entfernt
install-state-failed = Fehlgeschlagen
install-state-not-applicable = Nicht zutreffend
install-state-blocked = Blockiert
install-state-timed-out = Zeitüberschreitung
install-state-mismatch = Inventar widerspricht
install-state-unknown = Unbekannt
assign-intent-required = Erforderlich
assign-intent-available = Verfügbar
assign-intent-uninstall = Deinstallieren
agent-apps-none = Diesem Gerät werden keine Apps angeboten.
agent-apps-offline = Die App-Liste konnte nicht abgerufen werden ({ $message }); die gespeicherte wird angezeigt.
agent-app-unknown = Diesem Gerät wird keine App namens „{ $app }“ angeboten.
agent-app-result = { $name } { $version }: { $state }
agent-app-line = { $name } { $version } ({ $intent }): { $state }
reason-app-script-failed = Ein Skript des Pakets ist bei der Installation oder Entfernung fehlgeschlagen.
reason-app-busy = Auf dem Gerät lief eine andere Installation; es wird erneut versucht.
reason-app-bad-package = Die Paketdatei ist beschädigt oder kein Debian-Paket.
reason-app-architecture = Das Paket ist für eine andere Prozessorarchitektur gebaut als die des Geräts.
reason-app-not-root = Der Agent läuft nicht mit Administratorrechten und kann daher keine Apps installieren.
reason-app-package-not-found = Die Paketquellen des Geräts bieten dieses Paket oder diese Version nicht an.
reason-app-install-failed = Die Paketverwaltung hat die Installation abgelehnt; ihre Meldung nennt den Grund.
reason-app-no-answer = Das Gerät hat vor der Frist nichts über die App gemeldet.
reason-app-inventory = Das Gerät meldet die App als installiert, aber sein Softwareinventar führt sie nicht (oder umgekehrt).
reason-app-wrong-platform = Das Paket der App ist für eine andere Plattform.

nav-apps = Apps
apps-intro = Apps, die nach Plan an Geräte verteilt werden: der Katalog, seine Versionen und der Stand jeder Zuweisung.
apps-new = App hinzufügen
apps-name = App
apps-publisher = Herausgeber
apps-description = Beschreibung
apps-create = App hinzufügen
apps-versions = Versionen
apps-assignments = Zuweisungen
apps-none = Noch keine Apps im Katalog.
apps-version = Version
apps-platform = Plattform
apps-kind = Pakettyp
apps-package = Paket
apps-added = Hinzugefügt
apps-no-versions = Noch keine Versionen.
apps-add-version = Version hinzufügen
apps-upload-help = Laden Sie ein Debian-Paket über die API hoch: Name, Version und Architektur werden aus dem Paket gelesen. Andere Versionen geben Sie unten an.
apps-intent = Zuweisungstyp
apps-progress = Installationsstatus
apps-deadline = Frist
apps-no-assignments = Noch keinem Gerät zugewiesen.
apps-assign = Zuweisen
apps-group = Gerätegruppe (leer: alle Geräte)
apps-start = Beginn
apps-time = Uhrzeit
apps-waves = Wellen
apps-gate = Schwelle (% erfolgreich)
apps-target = Ziel zur Frist (%)
apps-failure-threshold = Alarm ab Fehleranteil (%)
apps-waves-help = Wellen: steigende Anteile der Geräte (10, 50, 100) oder Gerätegruppen als Ringe (Pilot, 100). Die nächste Welle beginnt, wenn die Schwelle erreicht ist.
apps-paused = Angehalten
apps-paused-help = Kein Gerät beginnt diese Zuweisung, bis sie fortgesetzt wird.
apps-resume = Fortsetzen
apps-pause = Anhalten
apps-retry-failed = Alle fehlgeschlagenen Geräte erneut versuchen
apps-change-version = Andere Version verteilen
apps-states = Geräte nach Status
apps-targets = Zielgeräte
apps-no-targets = Keine Geräte.
apps-wave = Welle
apps-succeeded = Erfolgreich
apps-failed = Fehlgeschlagen
apps-phase = Phase
apps-wave-done = Abgeschlossen
apps-wave-started = Läuft
apps-wave-waiting = Wartet auf die Schwelle
apps-gate-text = Die nächste Welle beginnt, wenn { $percent } % der Geräte einer Welle das Ziel erreicht haben.
apps-errors = Fehler
apps-error = Fehler
apps-devices = Geräte
apps-article = Artikel zur Fehlerbehebung
apps-no-errors = Keine Fehler.
apps-all-states = Alle Status
apps-state = Status
apps-detail = Detail
apps-updated = Aktualisiert
apps-attempt = Versuch { $count }
apps-retry = Installation wiederholen
apps-retry-queued = Wiederholung angefordert: Das Gerät beginnt sofort erneut.
apps-device-none = Diesem Gerät sind keine Apps zugewiesen.
apps-kind-deb = Debian-Paket (hochgeladen)
apps-kind-apt = Debian-Paket (apt-Quellen)
apps-kind-msi = Windows Installer (MSI)
apps-kind-win32 = Windows-App (Win32)
apps-kind-pkg = macOS-Paket (PKG)
apps-kind-store = Store-App

readiness-item-apps = App-Verteilung läuft nach Plan
readiness-apps-behind = { $app }: { $percent } % haben das Ziel bis zur Frist erreicht; der Plan verlangt { $target } %.
readiness-apps-failing = { $app }: { $percent } % von Welle { $wave } fehlgeschlagen (Schwelle { $threshold } %).
readiness-apps-ok = { $count ->
    [one] Die App-Zuweisung liegt im Plan.
   *[other] Alle { $count } App-Zuweisungen liegen im Plan.
}

readiness-apps-none = Noch sind keine Apps zugewiesen: nichts liegt hinter dem Plan.

helpdesk-app-attempts = Installationsversuche von Apps

condition-app-failing = App-Rollout schlägt fehl
condition-app-behind-plan = App-Verteilung hinter dem Plan
alert-reason-app-failing = Fehler über der Schwelle in der laufenden Welle: { $apps }.
alert-reason-app-behind = Frist überschritten, weniger als das Ziel installiert: { $apps }.

request-apps = Installation wiederholen
answer-apps-refreshed = App-Liste erneut abgerufen

report-period = { $from } bis { $to }
report-devices-total = Geräte
report-dim-compliance = Konformität
report-dim-health = Endpunktschutz
report-dim-checkin = Letzter Check-in
report-dim-platform = Plattform
report-rule-failing = Nicht erfüllt: { $rule }
report-alerts-opened = Ausgelöste Alarme
report-alerts-resolved = Behobene Alarme
report-alerts-ack-time = Mittlere Zeit bis zur Bestätigung
report-alerts-resolve-time = Mittlere Zeit bis zur Behebung
report-alerts-opened-severity = Ausgelöste Alarme: { $severity }
report-enrollments-succeeded = Erfolgreiche Registrierungen
report-enrollments-refused = Abgelehnte Registrierungen
report-enrollments-refused-reason = Abgelehnt: { $reason }
report-readiness-passing = Erfüllte Punkte der Einsatzbereitschaft
report-kb-solved = Antworten „Ja, gelöst“
report-kb-answers = Antworten zu Artikeln
report-kb-solve-rate = Lösungsquote
report-announcements-targets = Geräte, an die sich Ankündigungen richten
report-announcements-delivered = Zugestellte Ankündigungen
report-announcements-read = Gelesene Ankündigungen
report-section-devices = Geräte
report-section-policies = Konformitätsrichtlinien: Planerfüllung
report-section-alerts = Alarme
report-section-enrollments = Registrierungen
report-section-apps = App-Installationen
report-section-readiness = Checkliste zur Einsatzbereitschaft
report-section-knowledge = Wissensdatenbank
report-section-announcements = Ankündigungen
report-hours = { $hours } h
report-mail-subject = { $name }: { $period }
report-figure = Kennzahl
report-value = Wert
report-change = Veränderung
report-made-at = Erstellt von Steward am { $time }.
report-no-figures = Für diesen Zeitraum gibt es noch keine Zahlen.

report-title = Bericht zur Geräteflotte

report-compared = { $days ->
    [one] Veränderung: gegenüber dem Vortag.
   *[other] Veränderung: gegenüber den { $days } Tagen davor.
}

nav-reports = Berichte
reports-rolled = { $count ->
    [one] 1 Tag mit Zahlen
   *[other] { $count } Tage mit Zahlen
}
reports-days = { $count ->
    [one] 1 Tag
   *[other] { $count } Tage
}
reports-sent-to = { $count ->
    [one] an 1 Empfänger gesendet
   *[other] an { $count } Empfänger gesendet
}
reports-period = Zeitraum
reports-csv = CSV herunterladen
reports-pdf = PDF herunterladen
reports-schedules = Geplante Berichte
reports-no-group = Keine Gruppe
reports-back = Zurück zu den Berichten
reports-schedules-intro = Jeder geplante Bericht geht einmal pro Zeitraum per E-Mail an seine Empfänger, als Zusammenfassung mit PDF und CSV im Anhang, in der Sprache des jeweiligen Empfängers.
reports-no-mail = Es ist kein SMTP-Server konfiguriert: Geplante Berichte können nicht gesendet werden.
reports-new = Bericht planen
reports-name = Name
reports-sections = Abschnitte
reports-cadence = Häufigkeit
reports-weekly = Wöchentlich
reports-monthly = Monatlich
reports-weekday = Wochentag
reports-day-of-month = Tag im Monat
reports-hour = Stunde
reports-time-zone = Zeitzone
reports-groups = Gerätegruppen (durch Kommas getrennt; leer: alle Geräte)
reports-recipients = Empfänger
reports-recipients-help = Einer pro Zeile: die E-Mail-Adresse eines Benutzers (er erhält den Bericht in seiner Sprache und Zeitzone) oder eine beliebige Adresse, gefolgt von einem Sprachcode (en-US, fr, sv, de, ko).
reports-create = Planen
reports-when = Wann
reports-next = Nächster Versand
reports-history = Gesendet
reports-manual = manuell gesendet
reports-none = Noch keine geplanten Berichte.
reports-send-now = Jetzt senden
reports-weekly-at = Jeden { $day } um { $hour } ({ $zone })
reports-monthly-at = Am { $day }. jedes Monats um { $hour } ({ $zone })
weekday-monday = Montag
weekday-tuesday = Dienstag
weekday-wednesday = Mittwoch
weekday-thursday = Donnerstag
weekday-friday = Freitag
weekday-saturday = Samstag
weekday-sunday = Sonntag

report-minutes = { $minutes } min

plan-report = Geplanter Bericht
plan-no-report = Noch keiner
nav-remediation = Korrekturen
nav-remediations = Korrekturen
nav-scripts = Skripts
nav-approvals = Genehmigungen
action-awaits-approval = Zur Genehmigung gesendet: Ein anderer Administrator muss es genehmigen, bevor es ausgeführt wird.
action-collect-diagnostics = Diagnosedaten sammeln
action-lock = Sperren
action-logoff = Benutzer abmelden
action-logoff-confirm = Alle angemeldeten Benutzer von diesem Gerät abmelden? Nicht gespeicherte Arbeit geht verloren.
action-quarantine = In Quarantäne verschieben
action-quarantine-all = Auf allen Geräten in Quarantäne verschieben
action-quarantine-all-confirm = Diese Bedrohung auf allen Geräten, die sie melden, in Quarantäne verschieben?
action-restart = Neu starten
action-restart-delay = Minuten bis zum Neustart
action-restart-message = Nachricht an den Benutzer
action-run-script = Skript ausführen
action-script = Skript
action-sent = { $count ->
    [one] An { $count } Gerät gesendet.
   *[other] An { $count } Geräte gesendet.
}
action-wipe = Zurücksetzen
action-wipe-confirm = Dieses Gerät zurücksetzen? Alle Daten darauf werden gelöscht, sobald ein anderer Administrator die Anfrage genehmigt.
answer-diagnostics-uploaded = Diagnosedaten hochgeladen
answer-hash-mismatch = Abgelehnt: Das Skript entspricht nicht der von Steward geprüften Version
answer-locked = Gesperrt
answer-logged-off = Benutzer abgemeldet
answer-quarantined = In Quarantäne verschoben
answer-restart-scheduled = Neustart geplant
answer-script-failed = Das Skript ist fehlgeschlagen
answer-script-succeeded = Das Skript war erfolgreich
answer-superseded = Durch eine neuere Version ersetzt
answer-timed-out = Abgebrochen: Zeitlimit überschritten
answer-no-answer = Keine rechtzeitige Antwort des Geräts
answer-wiped = Zurückgesetzt
approval-approved = Genehmigt
approval-pending = Wartet auf Genehmigung
approval-refused = Abgelehnt
approval-remediation = Korrektur „{ $name }“ (neue Version)
approvals-approve = Genehmigen
approvals-decided = Entschieden
approvals-decision = Entscheidung
approvals-intro = Zurücksetzungen, Neustarts vieler Geräte und Skriptversionen für viele Geräte warten hier, bis ein anderer Administrator als der Anfragende sie genehmigt.
approvals-none = Keine Anfragen warten auf Genehmigung.
approvals-note = Notiz
approvals-pending = Wartet auf Genehmigung
approvals-refuse = Ablehnen
approvals-requested = Angefragt
approvals-what = Anfrage
approvals-yours = Ihre Anfrage: Ein anderer Administrator entscheidet.
device-diagnostics = Diagnosedaten
device-diagnostics-size = { $count ->
    [one] { $count } KiB
   *[other] { $count } KiB
}
history-remediation = Korrektur
remediation-all-groups = Alle Gruppen
remediation-attempt = Versuch { $attempt } von { $count }
remediation-by-group = Nach Gruppe
remediation-detect-only = Nur Erkennung
remediation-device = Gerät
remediation-devices = { $count ->
    [one] { $count } Gerät
   *[other] { $count } Geräte
}
remediation-failure-rate = { $count ->
    [one] { $count } % fehlgeschlagen
   *[other] { $count } % fehlgeschlagen
}
remediation-failing = Geräte mit Fehlern
remediation-next = Nächster Versuch: { $time }
remediation-output = Ausgabe
remediation-output-after = Erkennung nach der Korrektur
remediation-output-detect = Erkennung
remediation-output-fix = Korrektur
remediation-rerun = Auf Geräten mit Fehlern erneut ausführen
remediation-state = Status
remediation-state-detected = Problem erkannt
remediation-state-fix-failed = Korrektur fehlgeschlagen
remediation-state-fixed = Behoben
remediation-state-no-issue = Ohne Probleme
remediation-state-not-applicable = Nicht anwendbar
remediation-state-pending = Ausstehend
remediation-state-remediating = Wird korrigiert
remediation-state-script-error = Skriptfehler
remediation-waiting = Diese Version erreicht viele Geräte: Sie wird ausgeführt, sobald ein anderer Administrator sie genehmigt.
remediations-alert-percent = Alarm ab dieser Fehlerquote (%)
remediations-approval-help = Eine Korrektur, die mehr Geräte als die Genehmigungsschwelle erreicht, wird ausgeführt, sobald ein anderer Administrator sie genehmigt; ebenso jede neue Version ihrer Skripts.
remediations-create = Korrektur erstellen
remediations-detect = Erkennungsskript
remediations-devices = Geräte
remediations-every-hours = Wiederholungsintervall (Stunden, 0: einmalig)
remediations-fix = Korrekturskript
remediations-intro = Ein Erkennungsskript prüft jedes Gerät (Exitcode 0: kein Problem, Exitcode 1: Problem gefunden); findet es das Problem, behebt das Korrekturskript es, und die Erkennung läuft erneut. Eine fehlgeschlagene Korrektur wird später wiederholt, jede Wartezeit doppelt so lang wie die vorige.
remediations-max-attempts = Versuche
remediations-name = Name
remediations-new = Neue Korrektur
remediations-no-scripts = Fügen Sie zuerst ein Erkennungsskript hinzu.
remediations-none = Noch keine Korrekturen.
remediations-retry-minutes = Erste Wiederholung nach (Minuten)
remediations-trigger-rule = Nur auf Geräten, die die Regel verletzen
request-remediate = Korrektur
script-shell-bash = Bash (Linux, macOS)
script-shell-powershell = PowerShell (Windows)
script-shell-sh = Shell (Linux, macOS)
script-shell-zsh = zsh (macOS)
scripts-changed = Geändert
scripts-clear = Diese Version für den Helpdesk freigeben
scripts-cleared-version = Version { $version }
scripts-content = Skript
scripts-create = Skript hinzufügen
scripts-description = Beschreibung
scripts-edit = Ändern
scripts-edit-reruns = Ein neuer Text ist eine neue Version: Jede Korrektur mit diesem Skript wird erneut ausgeführt.
scripts-exit-codes = Als Erkennungsskript: Exitcode 0, wenn alles in Ordnung ist, Exitcode 1, wenn das Problem besteht.
scripts-hash = SHA-256
scripts-helpdesk = Helpdesk
scripts-intro = Jede Version eines Skripts wird aufbewahrt und über ihren SHA-256-Hash identifiziert; Geräte führen ein Skript nur aus, wenn sein Text zum von Steward gesendeten Hash passt.
scripts-name = Name
scripts-new = Neues Skript
scripts-none = Noch keine Skripts.
scripts-not-cleared = Nicht freigegeben
scripts-seconds = { $count ->
    [one] { $count } s
   *[other] { $count } s
}
scripts-shell = Shell
scripts-timeout = Zeitlimit (Sekunden)
scripts-version = Version
scripts-versions = Versionen

condition-remediation-failing = Korrektur schlägt fehl
alert-reason-remediation-failing = Fehler über der Schwelle: { $remediations }.
readiness-item-remediation = Korrekturen beheben, was sie finden
readiness-remediation-failing = { $remediation }: { $percent } % der abgeschlossenen Geräte fehlgeschlagen (Schwelle { $threshold } %).
readiness-remediation-ok = { $count ->
    [one] Die eine Korrektur mit Fehlerschwelle liegt darunter.
   *[other] Alle { $count } Korrekturen mit Fehlerschwelle liegen darunter.
}
readiness-remediation-none = Noch legt keine Korrektur eine Fehlerschwelle fest: nichts zu überwachen.
report-section-remediations = Ergebnisse der Korrekturen
jobs-running = { $total ->
    [one] Jedes Gerät wird erneut ausgewertet ({ $reason }): { $done } von { $total } Gerät erledigt
   *[other] Jedes Gerät wird erneut ausgewertet ({ $reason }): { $done } von { $total } Geräten erledigt
}
jobs-queued = Jedes Gerät wird erneut ausgewertet ({ $reason }): wartet auf den Start
jobs-reason-policy = Konformitätsrichtlinie geändert
jobs-reason-rule = Alarmregel geändert
jobs-resolving = { $total ->
    [one] Die offenen Alarme einer gelöschten Alarmregel werden behoben: { $done } von { $total } Alarm behoben
   *[other] Die offenen Alarme einer gelöschten Alarmregel werden behoben: { $done } von { $total } Alarmen behoben
}
jobs-resolving-queued = Die offenen Alarme einer gelöschten Alarmregel werden behoben: wartet auf den Start
