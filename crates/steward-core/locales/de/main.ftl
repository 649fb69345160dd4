## API-Fehler
error-malformed_json = Der Anfragetext ist kein gültiges JSON für diesen Endpunkt.
error-invalid_field = Ein Feld der Anfrage hat einen falschen Typ oder Wert.
error-payload_too_large = Der Anfragetext überschreitet die Grenze von 1 MiB.
error-bad_compression = Der Anfragetext konnte nicht entpackt werden.
error-unsupported_media_type = Der Anfragetext muss JSON sein (Content-Type: application/json).
error-unauthorized = Anmeldedaten fehlen oder sind ungültig.
error-forbidden = Ihre Rolle erlaubt diese Aktion nicht.
error-not_found = Objekt nicht gefunden.
error-method_not_allowed = Diese Methode ist für diesen Pfad nicht erlaubt.
error-invalid_cursor = Der Seitencursor ist ungültig; beginnen Sie wieder mit der ersten Seite.
error-invalid_query = Ein Abfrageparameter hat einen falschen Wert.
error-unknown_token = Das Registrierungstoken ist unbekannt.
error-token_expired = Das Registrierungstoken ist abgelaufen.
error-token_exhausted = Das Registrierungstoken hat die maximale Anzahl an Verwendungen erreicht.
error-token_revoked = Das Registrierungstoken wurde widerrufen.
error-platform_not_allowed = Diese Plattform darf sich mit diesem Token nicht registrieren.
error-malformed_request = Die Registrierungsanfrage ist unvollständig oder enthält ungültige Felder.
error-duplicate_device = Dieses Gerät ist bereits registriert; stellen Sie den vorhandenen Eintrag zuerst außer Betrieb.
error-invalid_credentials = Falsche E-Mail-Adresse oder falsches Passwort.
error-account_locked = Zu viele fehlgeschlagene Anmeldungen: Das Konto ist vorübergehend gesperrt. Versuchen Sie es später erneut oder wenden Sie sich an einen Administrator.
error-csrf_mismatch = Der Anfrage fehlt ein gültiges CSRF-Token; laden Sie die Seite neu und versuchen Sie es erneut.
error-conflict = Dieses Objekt existiert bereits.
error-device_retired = Dieses Gerät wurde außer Betrieb genommen und darf sich nicht mehr melden.
error-overloaded = Der Server ist ausgelastet; versuchen Sie es gleich noch einmal.
error-internal = Ein interner Fehler ist aufgetreten; er wurde protokolliert.

## Startseite
home-title = Steward
home-running = Steward läuft.
home-links = API-Beschreibung, Zustand und Metriken:

## Befehlszeile
cli-error = Fehler: { $message }
cli-serve-listening = Steward lauscht auf { $url } (Speicher: { $backend }).
cli-demo-starting = Demo wird mit { $count } simulierten Geräten gestartet…
cli-demo-ready = Die Demo ist nach { $secs } s bereit.
cli-demo-url = Server: { $url }
cli-demo-admin = Administrator: { $email }   Passwort: { $password }
cli-demo-api-token = API-Token (Administrator): { $token }
cli-demo-enroll-token = Registrierungstoken: { $token }
cli-demo-fleet = { $count } simulierte Geräte melden sich alle { $interval } s.
cli-demo-try = Probieren Sie: curl -H "Authorization: Bearer { $token }" { $url }/api/v1/devices
cli-demo-stop = Zum Beenden Strg-C drücken.
cli-token-created = API-Token mit der Rolle { $role } erstellt. Es wird nur einmal angezeigt:
cli-enroll-token-created = Registrierungstoken erstellt. Es wird nur einmal angezeigt:
cli-enroll-token-revoked = Registrierungstoken { $id } widerrufen.
cli-user-created = Benutzer { $email } mit der Rolle { $role } erstellt.
cli-user-password = Passwort (wird nur einmal angezeigt): { $password }
cli-invalid-role = Unbekannte Rolle „{ $role }“. Verwenden Sie administrator, operator, helpdesk oder readonly.
cli-sim-summary = Simulation beendet: { $enrolled } Geräte registriert, { $refused } Registrierungen abgelehnt, { $checkins } Meldungen, { $errors } Fehler.

## Agent
agent-enrolled = Als Gerät { $id } registriert.
agent-checked-in = Gemeldet (Sequenz { $seq }); nächste Meldung in { $secs } s.
agent-not-enrolled = Dieses Gerät ist noch nicht registriert. Ausführen: steward-agent enroll --server URL --token TOKEN
agent-server-error = Der Server hat die Anfrage abgelehnt: { $message }
agent-unreachable = Der Server ist nicht erreichbar: { $message }
agent-scan-clean = Überprüfung beendet: keine Bedrohungen in { $paths } gefunden.
agent-scan-found = Überprüfung beendet: { $count } Bedrohungen gefunden:
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
agent-status-updates-count = { $count } (davon { $security } Sicherheit)
agent-status-unknown = unbekannt
agent-status-unknown-because = unbekannt: { $reason }
agent-status-yes = ja
agent-status-no = nein
