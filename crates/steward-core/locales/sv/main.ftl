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
error-duplicate_device = Enheten är redan registrerad; avveckla den befintliga posten först.
error-invalid_credentials = Fel e-postadress eller lösenord.
error-account_locked = För många misslyckade inloggningar: kontot är låst en stund. Försök igen senare eller kontakta en administratör.
error-csrf_mismatch = Begäran saknar en giltig CSRF-token; ladda om sidan och försök igen.
error-conflict = Objektet finns redan.
error-device_retired = Enheten har avvecklats och får inte längre checka in.
error-overloaded = Servern är upptagen; försök igen om en stund.
error-internal = Ett internt fel inträffade; det har loggats.

## Startsida
home-title = Steward
home-running = Steward körs.
home-links = API-beskrivning, hälsa och mätvärden:

## Kommandorad
cli-error = Fel: { $message }
cli-serve-listening = Steward lyssnar på { $url } (lagring: { $backend }).
cli-demo-starting = Startar demon med { $count } simulerade enheter…
cli-demo-ready = Demon är klar efter { $secs } s.
cli-demo-url = Server: { $url }
cli-demo-admin = Administratör: { $email }   lösenord: { $password }
cli-demo-api-token = API-token (administratör): { $token }
cli-demo-enroll-token = Registreringstoken: { $token }
cli-demo-fleet = { $count } simulerade enheter checkar in var { $interval }:e sekund.
cli-demo-try = Prova: curl -H "Authorization: Bearer { $token }" { $url }/api/v1/devices
cli-demo-stop = Tryck Ctrl-C för att avsluta.
cli-token-created = API-token skapad med rollen { $role }. Den visas bara en gång:
cli-enroll-token-created = Registreringstoken skapad. Den visas bara en gång:
cli-enroll-token-revoked = Registreringstoken { $id } återkallad.
cli-user-created = Användaren { $email } skapad med rollen { $role }.
cli-user-password = Lösenord (visas bara en gång): { $password }
cli-invalid-role = Okänd roll "{ $role }". Använd administrator, operator, helpdesk eller readonly.
cli-sim-summary = Simuleringen är klar: { $enrolled } enheter registrerade, { $refused } registreringar nekade, { $checkins } incheckningar, { $errors } fel.

## Agent
agent-enrolled = Registrerad som enhet { $id }.
agent-checked-in = Incheckad (sekvens { $seq }); nästa incheckning om { $secs } s.
agent-not-enrolled = Enheten är inte registrerad än. Kör: steward-agent enroll --server URL --token TOKEN
agent-server-error = Servern nekade begäran: { $message }
agent-unreachable = Det gick inte att nå servern: { $message }
agent-scan-clean = Genomsökningen är klar: inga hot hittades i { $paths }.
agent-scan-found = Genomsökningen är klar: { $count } hot hittades:
agent-status-os = Operativsystem
agent-status-host = Värdnamn
agent-status-protection = Slutpunktsskydd
agent-status-signatures = signaturer från
agent-status-firewall = Brandvägg aktiv
agent-status-encryption = Disk krypterad
agent-status-disks = Ledigt diskutrymme
agent-status-boot = Startad
agent-status-users = Inloggade användare
agent-status-updates = Väntande uppdateringar
agent-status-updates-count = { $count } ({ $security } säkerhet)
agent-status-unknown = okänt
agent-status-unknown-because = okänt: { $reason }
agent-status-yes = ja
agent-status-no = nej
