## Erreurs de l'API
error-malformed_json = Le corps de la requête n'est pas un JSON valide pour ce point d'accès.
error-invalid_field = Un champ de la requête a un type ou une valeur incorrects.
error-payload_too_large = Le corps de la requête dépasse la limite de 1 Mio.
error-bad_compression = Le corps de la requête n'a pas pu être décompressé.
error-unsupported_media_type = Le corps de la requête doit être du JSON (Content-Type: application/json).
error-unauthorized = Identifiants manquants ou non valides.
error-forbidden = Votre rôle ne permet pas cette action.
error-not_found = Objet introuvable.
error-method_not_allowed = Cette méthode n'est pas autorisée sur ce chemin.
error-invalid_cursor = Le curseur de page n'est pas valide ; reprenez à la première page.
error-invalid_query = Un paramètre de requête a une valeur incorrecte.
error-unknown_token = Le jeton d'inscription est inconnu.
error-token_expired = Le jeton d'inscription a expiré.
error-token_exhausted = Le jeton d'inscription a atteint son nombre maximal d'utilisations.
error-token_revoked = Le jeton d'inscription a été révoqué.
error-platform_not_allowed = Cette plateforme ne peut pas s'inscrire avec ce jeton.
error-malformed_request = La demande d'inscription est incomplète ou contient des champs non valides.
error-duplicate_device = Cet appareil est déjà inscrit ; mettez d'abord l'enregistrement existant hors service.
error-invalid_credentials = Adresse e-mail ou mot de passe incorrect.
error-account_locked = Trop de connexions échouées : le compte est verrouillé pour un temps. Réessayez plus tard ou contactez un administrateur.
error-csrf_mismatch = La requête n'a pas de jeton CSRF valide ; rechargez la page et réessayez.
error-conflict = Cet objet existe déjà.
error-device_retired = Cet appareil a été mis hors service et ne peut plus se connecter.
error-overloaded = Le serveur est occupé ; réessayez dans un instant.
error-internal = Une erreur interne s'est produite ; elle a été journalisée.

## Page d'accueil
home-title = Steward
home-running = Steward fonctionne.
home-links = Description de l'API, état et métriques :

## Ligne de commande
cli-error = Erreur : { $message }
cli-serve-listening = Steward écoute sur { $url } (stockage : { $backend }).
cli-demo-starting = Démarrage de la démo avec { $count } appareils simulés…
cli-demo-ready = La démo est prête après { $secs } s.
cli-demo-url = Serveur : { $url }
cli-demo-admin = Administrateur : { $email }   mot de passe : { $password }
cli-demo-api-token = Jeton d'API (administrateur) : { $token }
cli-demo-enroll-token = Jeton d'inscription : { $token }
cli-demo-fleet = { $count } appareils simulés se connectent toutes les { $interval } s.
cli-demo-try = Essayez : curl -H "Authorization: Bearer { $token }" { $url }/api/v1/devices
cli-demo-stop = Appuyez sur Ctrl-C pour arrêter.
cli-token-created = Jeton d'API créé avec le rôle { $role }. Il n'est affiché qu'une fois :
cli-enroll-token-created = Jeton d'inscription créé. Il n'est affiché qu'une fois :
cli-enroll-token-revoked = Jeton d'inscription { $id } révoqué.
cli-user-created = Utilisateur { $email } créé avec le rôle { $role }.
cli-user-password = Mot de passe (affiché une seule fois) : { $password }
cli-invalid-role = Rôle « { $role } » inconnu. Utilisez administrator, operator, helpdesk ou readonly.
cli-sim-summary = Simulation terminée : { $enrolled } appareils inscrits, { $refused } inscriptions refusées, { $checkins } connexions, { $errors } erreurs.

## Agent
agent-enrolled = Inscrit comme appareil { $id }.
agent-checked-in = Connexion effectuée (séquence { $seq }) ; prochaine connexion dans { $secs } s.
agent-not-enrolled = Cet appareil n'est pas encore inscrit. Lancez : steward-agent enroll --server URL --token JETON
agent-server-error = Le serveur a refusé la requête : { $message }
agent-unreachable = Impossible de joindre le serveur : { $message }
agent-scan-clean = Analyse terminée : aucune menace trouvée dans { $paths }.
agent-scan-found = Analyse terminée : { $count } menaces trouvées :
agent-status-os = Système d'exploitation
agent-status-host = Nom d'hôte
agent-status-protection = Protection des points de terminaison
agent-status-signatures = signatures du
agent-status-firewall = Pare-feu actif
agent-status-encryption = Disque chiffré
agent-status-disks = Espace disque libre
agent-status-boot = Démarré le
agent-status-users = Utilisateurs connectés
agent-status-updates = Mises à jour en attente
agent-status-updates-count = { $count } (dont { $security } de sécurité)
agent-status-unknown = inconnu
agent-status-unknown-because = inconnu : { $reason }
agent-status-yes = oui
agent-status-no = non
