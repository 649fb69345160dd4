## Erreurs de l’API
error-malformed_json = Le corps de la requête n’est pas un JSON valide pour ce point de terminaison.
error-invalid_field = Un champ de la requête a un type ou une valeur incorrects.
error-payload_too_large = Le corps de la requête dépasse la limite de 1 Mio.
error-bad_compression = Le corps de la requête n’a pas pu être décompressé.
error-unsupported_media_type = Le corps de la requête doit être du JSON (Content-Type: application/json).
error-unauthorized = Identifiants manquants ou non valides.
error-forbidden = Votre rôle ne permet pas cette action.
error-not_found = Objet introuvable.
error-method_not_allowed = Cette méthode n’est pas autorisée sur ce chemin.
error-invalid_cursor = Le curseur de page n’est pas valide ; reprenez à la première page.
error-invalid_query = Un paramètre de requête a une valeur incorrecte.
error-unknown_token = Le jeton d’inscription est inconnu.
error-token_expired = Le jeton d’inscription a expiré.
error-token_exhausted = Le jeton d’inscription a atteint son nombre maximal d’utilisations.
error-token_revoked = Le jeton d’inscription a été révoqué.
error-platform_not_allowed = Cette plateforme ne peut pas s’inscrire avec ce jeton.
error-malformed_request = La demande d’inscription est incomplète ou contient des champs non valides.
error-duplicate_device = Cet appareil est déjà inscrit ; retirez d’abord l’enregistrement existant.
error-invalid_credentials = Adresse e-mail ou mot de passe incorrect.
error-account_locked = Trop d’échecs de connexion : le compte est verrouillé pour un moment. Réessayez plus tard ou contactez un administrateur.
error-csrf_mismatch = La requête n’a pas de jeton CSRF valide ; rechargez la page et réessayez.
error-conflict = Cet objet existe déjà.
error-mail_not_configured = L’envoi d’e-mails n’est pas configuré : configurez d’abord un serveur SMTP (notify.smtp_host).
error-device_retired = Cet appareil a été retiré et ne peut plus se synchroniser.
error-overloaded = Le serveur est occupé ; réessayez dans un instant.
error-internal = Une erreur interne s’est produite ; elle a été journalisée.
error-field_too_long = Un champ de la requête dépasse sa longueur maximale.
error-too_many_entries = Une liste ou une table de la requête dépasse son nombre maximal d’éléments.
error-too_many_attempts = Trop de tentatives échouées depuis votre adresse ; patientez un instant et réessayez.
error-unavailable = La base de données est injoignable pour le moment ; réessayez dans un instant.
error-outbound_refused = Cette adresse n’est pas autorisée : utilisez http ou https vers une adresse publique, ou demandez au responsable du serveur de l’autoriser (outbound.allow).
error-unknown_reference = La requête désigne un élément qui n’existe pas ou ne peut pas servir ici (canal, règle, fonctionnalité ou avis).
error-invalid_period = La période se termine avant de commencer ou est déjà passée.
error-own_request = Vous ne pouvez ni approuver ni refuser votre propre demande : un autre administrateur doit décider.
error-already_decided = Cette demande a déjà été traitée.

## Page d’accueil

## Ligne de commande
cli-error = Erreur : { $message }
cli-serve-listening = Steward écoute sur { $url } (stockage : { $backend }).
cli-demo-starting = Démarrage de la démo avec { $count ->
    [one] { $count } appareil simulé…
   *[other] { $count } appareils simulés…
}
cli-demo-ready = La démo est prête en { $secs } s.
cli-demo-url = Serveur : { $url }
cli-demo-admin = Administrateur : { $email }   mot de passe : { $password }
cli-demo-api-token = Jeton d’API (administrateur) : { $token }
cli-demo-enroll-token = Jeton d’inscription : { $token }
cli-demo-fleet = { $count ->
    [one] { $count } appareil simulé se synchronise
   *[other] { $count } appareils simulés se synchronisent
} toutes les { $interval } s.
cli-demo-try = Essayez : curl -H "Authorization: Bearer { $token }" { $url }/api/v1/devices
cli-demo-stop = Appuyez sur Ctrl-C pour arrêter.
cli-token-created = Jeton d’API créé avec le rôle { $role }. Il n’est affiché qu’une fois :
cli-enroll-token-created = Jeton d’inscription créé. Il n’est affiché qu’une fois :
cli-enroll-token-revoked = Jeton d’inscription { $id } révoqué.
cli-user-created = Utilisateur { $email } créé avec le rôle { $role }.
cli-user-password = Mot de passe (affiché une seule fois) : { $password }
cli-invalid-role = Rôle « { $role } » inconnu. Utilisez administrator, operator, helpdesk ou readonly.
cli-sim-summary = Simulation terminée : { $enrolled ->
    [one] { $enrolled } appareil inscrit
   *[other] { $enrolled } appareils inscrits
}, { $refused ->
    [one] { $refused } inscription refusée
   *[other] { $refused } inscriptions refusées
}, { $checkins ->
    [one] { $checkins } synchronisation
   *[other] { $checkins } synchronisations
}, { $errors ->
    [one] { $errors } erreur
   *[other] { $errors } erreurs
}.

## Agent
agent-enrolled = Inscrit en tant qu’appareil { $id }.
agent-checked-in = Synchronisation effectuée (séquence { $seq }) ; prochaine synchronisation dans { $secs } s.
agent-not-enrolled = Cet appareil n’est pas encore inscrit. Lancez : steward-agent enroll --server URL --token JETON
agent-server-error = Le serveur a refusé la requête : { $message }
agent-unreachable = Impossible de joindre le serveur : { $message }
agent-scan-clean = Analyse terminée : aucune menace trouvée dans { $paths }.
agent-scan-found = Analyse terminée : { $count ->
    [one] { $count } menace trouvée :
   *[other] { $count } menaces trouvées :
}
agent-status-os = Système d’exploitation
agent-status-host = Nom d’hôte
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
agent-status-queued = En attente d’envoi
agent-status-queued-count = { $count ->
    [one] { $count } relevé
   *[other] { $count } relevés
}
agent-status-set-aside = Mis de côté
agent-status-set-aside-entry = relevé { $seq } le { $at } : { $reason }
alert-reason-active-threat = Menace active : { $threats }
alert-reason-no-protection = Aucune protection des points de terminaison
alert-reason-realtime-off = La protection en temps réel est désactivée
alert-reason-signatures-old = { $days ->
    [one] Les signatures ont { $days } jour
   *[other] Les signatures ont { $days } jours
}
alert-reason-scan-overdue = { $days ->
    [one] Dernière analyse il y a { $days } jour
   *[other] Dernière analyse il y a { $days } jours
}
alert-reason-never-scanned = Jamais analysé
alert-reason-noncompliant = Non conforme
alert-reason-silent = { $hours ->
    [one] Aucune synchronisation depuis { $hours } heure
   *[other] Aucune synchronisation depuis { $hours } heures
}
alert-reason-low-disk = Espace disque faible : { $disks }
alert-reason-fleet-share = { $total ->
    [one] { $matching } sur { $total } appareil : { $state }
   *[other] { $matching } sur { $total } appareils : { $state }
}
alert-reason-enrollment-failures = { $count ->
    [one] { $count } inscription échouée
   *[other] { $count } inscriptions échouées
} en { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
severity-critical = Critique
severity-warning = Avertissement
severity-informational = Information
notify-title-firing = [{ $severity }] { $rule } : { $open ->
    [one] { $open } alerte ouverte
   *[other] { $open } alertes ouvertes
}
notify-title-resolved = [{ $severity }] { $rule } : résolue
notify-title-repeat = [{ $severity }] { $rule } : { $open ->
    [one] { $open } alerte toujours ouverte
   *[other] { $open } alertes toujours ouvertes
}
notify-title-escalation = [{ $severity }] { $rule } : { $count ->
    [one] { $count } alerte non acquittée
   *[other] { $count } alertes non acquittées
} depuis { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
notify-new = Nouvelles alertes ({ $count })
notify-still = Toujours actives ({ $count })
notify-resolved = Résolues ({ $count })
notify-more = … et { $count ->
    [one] { $count } autre
   *[other] { $count } autres
}
notify-fleet = Parc
notify-open = Ouvrir dans Steward : { $url }
notify-open-short = Ouvrir dans Steward
notify-footer = Envoyé par Steward. Notification { $id }.
notify-test-title = Notification de test Steward
notify-test-body = Ce canal ({ $channel }) fonctionne. Envoyé le { $at }.
alert-reason-delivery-failing = { $count ->
    [one] { $count } notification non remise
   *[other] { $count } notifications non remises
} depuis { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
} : { $channels }

# Console
alerts-ack-selected = Acquitter la sélection
alerts-acknowledge = Acquitter
alerts-acknowledged-by = Acquittée par
alerts-actions = Actions
alerts-add-comment = Ajouter un commentaire
alerts-assign = Attribuer
alerts-assignee = Responsable
alerts-comment = Commentaire
alerts-comment-optional = Commentaire (facultatif)
alerts-device = Appareil
alerts-fired = Déclenchée
alerts-open-device = Voir l’appareil
alerts-resolve = Résoudre
alerts-resolved-by = Résolue par
alerts-rule = Règle
alerts-select = Sélectionner
alerts-severity = Gravité
alerts-silenced = En sourdine
alerts-state = État
alerts-summary = Alerte
audit-action = Action
audit-actor = Auteur
audit-object = Objet
audit-object-id = ID de l’objet
audit-object-type = Type d’objet
audit-outcome = Résultat
channel-email = E-mail
channel-slack = Slack (webhook entrant)
channel-teams = Microsoft Teams (webhook)
channel-webhook = Webhook (JSON signé)
channels-create = Créer le canal
channels-delivery = Remise
channels-failed = Abandonnées : { $count }
channels-kind = Type
channels-last-delivered = Dernière remise
channels-last-error = Dernière erreur
channels-new = Nouveau canal
channels-next-attempt = Prochaine tentative
channels-pending = En attente : { $count }
channels-secret = Secret de signature (webhooks)
channels-severities = Toutes les alertes de ces gravités
channels-target = URL ou adresses e-mail
channels-test = Envoyer un test
condition-active-threat = Menace active
condition-delivery-failing = Notifications non remises
condition-enrollment-failures = Inscriptions échouées
condition-fleet-share = Part des appareils dans un état
condition-low-disk = Espace disque faible
condition-noncompliant = Non conforme
condition-not-checked-in = Sans synchronisation
condition-protection-missing = Protection des points de terminaison absente ou désactivée
condition-realtime-off = Protection en temps réel désactivée
condition-scan-overdue = Analyse en retard
condition-signatures-outdated = Signatures obsolètes
console-all = Tous
console-any = Indifférent
console-apply = Appliquer
console-clear = Effacer
console-confirm-delete = Supprimer définitivement ?
console-confirm-revoke = Révoquer ce jeton ? Il cessera immédiatement de fonctionner.
console-csv = Exporter en CSV
console-delete = Supprimer
console-error-title = Indisponible
console-filter = Filtrer
console-language = Langue
console-logout = Se déconnecter
console-navigation = Navigation principale
console-next-page = Page suivante
console-none = Aucun
console-empty = Rien à afficher pour l’instant.
console-off = Non
console-on = Oui
console-shown-once = Copiez-le maintenant : il n’est affiché qu’une fois.
console-skip = Aller au contenu
console-test-delivered = La notification de test a été remise.
console-test-failed = La notification de test n’a pas été remise : { $error }
dash-alerts = Alertes ouvertes
dash-as-of = Chiffres au { $time }
dash-checkins = Synchronisations
dash-compliance = Conformité
dash-devices = Appareils gérés par plateforme
dash-enroll-totals = réussies / échouées
dash-enrollments = Inscriptions (7 derniers jours)
dash-malware = { $count ->
    [one] appareil avec programmes malveillants
   *[other] appareils avec programmes malveillants
}
dash-noncompliant = { $count ->
    [one] non conforme
   *[other] non conformes
}
dash-open-alerts = { $count ->
    [one] ouverte
   *[other] ouvertes
}
dash-protection = Protection des points de terminaison
detection-blocked = Bloquée
detection-left-in-place = Laissée en place
detection-quarantined = En quarantaine
detection-removed = Supprimée
device-action = Action effectuée
device-detail = Détail
device-detected = Détectée
device-detections = Détections
device-engine = Moteur
device-enrolled = Inscrit le
device-full-scan = Dernière analyse complète
device-health-reasons = Pourquoi :
device-history = Historique
device-id = ID de l’appareil
device-identity = Identité
device-inventory = Inventaire
device-malware-protection = Protection contre les programmes malveillants
device-model = Modèle
device-no-protection-report = L’appareil n’a pas signalé de protection des points de terminaison.
device-path = Chemin
device-protection = Protection des points de terminaison
device-quick-scan = Dernière analyse rapide
device-realtime = Protection en temps réel
device-result = Résultat
device-retired = Retiré
device-rule = Règle
device-serial = Numéro de série
device-signatures = Signatures
device-threat = Menace
devices-compliance = Conformité
devices-group = Groupe
devices-health = Protection
devices-last-seen = Dernière synchronisation
devices-name = Nom
devices-os = Système d’exploitation
devices-owner = Propriétaire
devices-platform = Plateforme
devices-search = Rechercher (nom, n° de série, propriétaire)
devices-seen-filter = Filtré par date de dernière synchronisation.
devices-sort = Trier par
devices-sort-enrolled = Inscription la plus récente
devices-sort-recent = Synchronisation la plus récente
devices-sort-silent = Sans synchronisation depuis le plus longtemps
attempt-at = Date
attempt-from = Provenance
attempt-host = Nom d’hôte
attempt-result = Résultat
event-acknowledged = Acquittée
event-assigned = Attribuée
event-commented = Commentaire
event-escalated = Escaladée
event-fired = Déclenchée
event-reopened = Rouverte
event-resolved = Résolue
fresh-day = Dernières 24 heures
fresh-older = Plus de 7 jours
fresh-week = 7 derniers jours
login-email = E-mail
login-password = Mot de passe
login-submit = Se connecter
login-title = Connexion
nav-alerts = Alertes
nav-audit = Journal d’audit
nav-channels = Canaux
nav-dashboard = Tableau de bord
nav-devices = Appareils
nav-enrollment-tokens = Jetons d’inscription
nav-enrollments = Inscriptions
nav-policies = Stratégies de conformité
nav-rules = Règles d’alerte
nav-settings = Paramètres
nav-silences = Mises en sourdine
nav-tokens = Jetons d’API
nav-users = Utilisateurs et rôles
platform-android = Android
platform-ios = iOS/iPadOS
platform-linux = Linux
platform-macos = macOS
platform-windows = Windows
policies-create = Créer la stratégie
policies-grace = Période de grâce (heures)
policies-new = Nouvelle stratégie de conformité
policies-rules = Règles
role-administrator = Administrateur
role-helpdesk = Support technique
role-operator = Opérateur
role-readonly = Lecture seule
rules-condition = Condition
rules-count = Plus de (nombre)
rules-create = Créer la règle
rules-days = Jours
rules-disable = Désactiver
rules-enable = Activer
rules-free-percent = Espace libre inférieur à (%)
rules-group-by = Une notification par
rules-group-by-device = appareil
rules-group-by-rule = règle (groupée)
rules-groups = Groupes d’appareils
rules-hours = Heures
rules-minutes = Minutes sans remise
rules-name = Nom
rules-new = Nouvelle règle d’alerte
rules-off = Désactivée
rules-on = Activée
rules-percent = Part supérieure à (%)
rules-window = Fenêtre (minutes)
silences-author = Auteur
silences-create = Créer la mise en sourdine
silences-expire = Terminer maintenant
silences-intro = Les alertes en sourdine restent enregistrées ; seules leurs notifications et escalades attendent la fin de la sourdine.
silences-matches = Correspond à
silences-minutes = Durée (minutes)
silences-new = Nouvelle mise en sourdine (fenêtre de maintenance)
silences-reason = Motif
silences-window = Période
state-acknowledged = Acquittée
state-active = Active
state-active-threat = Menace active
state-at-risk = À risque
state-compliant = Conforme
state-delivered = Remise
state-error = Erreur
state-expired = Terminée
state-fail = Non respectée
state-failed = Échec
state-firing = Active
state-in-grace = En période de grâce
state-noncompliant = Non conforme
state-not-evaluated = Non évalué
state-other = Autre
state-pass = Respectée
state-not-applicable = Non applicable
state-pending = En attente
state-protected = Protégé
state-resolved = Résolue
state-success = Réussie
state-unknown = Inconnu
state-unprotected = Non protégé
tokens-create = Créer le jeton
tokens-expires = Expiration
tokens-expires-hours = Expire après (heures)
tokens-last-used = Dernière utilisation
tokens-max-uses = Nombre maximal d’utilisations
tokens-new = Nouveau jeton
tokens-prefix = Commence par
tokens-revoke = Révoquer
tokens-revoked = Révoqué
tokens-user-token = Jeton personnel d’un utilisateur
tokens-uses = Utilisations
users-active = Actif
users-create = Créer l’utilisateur
users-disable = Désactiver
users-disabled = Désactivé
users-enable = Activer
users-name = Nom affiché
users-new = Nouvel utilisateur
users-reset-password = Réinitialiser le mot de passe
users-role = Rôle
dash-devices-caption = { $count ->
    [one] appareil
   *[other] appareils
}
dash-checkins-caption = { $count ->
    [one] synchronisé dans les dernières 24 heures
   *[other] synchronisés dans les dernières 24 heures
}
health-not-reported = L’appareil n’a pas signalé de protection des points de terminaison
health-no-engine = Aucun moteur de protection des points de terminaison
health-malware-off = La protection contre les programmes malveillants est désactivée
health-active-threat = { $count ->
    [one] { $count } menace active
   *[other] { $count } menaces actives
}
health-pending-action = Une détection attend une action
health-realtime-unknown = Protection en temps réel non signalée
health-signature-age-unknown = Âge des signatures non signalé
rule-min-os-version = { $platform } en version { $version } ou ultérieure
rule-protection-required = Protection des points de terminaison activée
rule-realtime-required = Protection en temps réel activée
rule-signatures-max-age = { $days ->
    [one] Signatures datant de { $days } jour au plus
   *[other] Signatures datant de { $days } jours au plus
}
rule-no-active-threats = Aucune menace active
rule-firewall = Pare-feu activé
rule-disk-encryption = Disque chiffré
rule-checked-in-within = { $days ->
    [one] Dernière synchronisation il y a { $days } jour au plus
   *[other] Dernière synchronisation il y a { $days } jours au plus
}

# Update awareness
notice-mail-subject = [Mise à jour majeure] { $title }
notice-reminder-subject = À acquitter : { $title }
readiness-not-acknowledged = « { $notice } » non acquitté par { $people }
readiness-all-acknowledged = Tout le monde a acquitté les avis échus.
readiness-missing-rules = Aucune règle active pour : { $types }
readiness-no-tested-channel = Aucun canal de notification n’a réussi de test.
readiness-monitoring-ok = Règles actives pour chaque domaine ; canaux testés : { $channels }
readiness-no-oncall = Règles critiques sans destinataire d’astreinte : { $rules }
readiness-no-escalation = Règles critiques sans escalade : { $rules }
readiness-no-critical-rules = Aucune règle d’alerte critique n’est active.
readiness-unacknowledged-critical = { $count ->
    [one] { $count } alerte critique non acquittée
   *[other] { $count } alertes critiques non acquittées
} depuis plus de { $minutes ->
    [one] { $minutes } minute
   *[other] { $minutes } minutes
}
readiness-ack-median = Délai médian d’acquittement des alertes critiques (30 jours) : { $minutes } min
readiness-discovery-ok = Les questions de cadrage ont toutes une réponse.
discovery-team = Qui compose l’équipe d’exploitation ?
discovery-reporting = Comment rendrez-vous compte aux parties prenantes clés ? (Chaque ligne de parties prenantes indique un rapport planifié.)
discovery-awareness-owner = Qui est responsable de la veille sur les mises à jour ?
readiness-stale-material = « { $material } » est obsolète : changement de { $features } depuis sa dernière relecture
readiness-onboarding-behind = Intégration en retard : { $people }
readiness-training-ok = Les supports de formation sont à jour et l’intégration est dans les temps.
agent-no-messages = Aucun message de votre organisation.

# Console: awareness
announcements-below-version = Version inférieure à
announcements-delivered = { $count ->
    [one] { $count } réception
   *[other] { $count } réceptions
}
announcements-devices = { $count ->
    [one] { $count } appareil
   *[other] { $count } appareils
}
announcements-from-version = À partir de la version
announcements-new = Nouvelle annonce aux utilisateurs
announcements-owners = { $count ->
    [one] { $count } propriétaire
   *[other] { $count } propriétaires
}
announcements-reach = Portée
announcements-read = { $count ->
    [one] { $count } affichage
   *[other] { $count } affichages
}
announcements-send = Envoyer
announcements-sent = { $count ->
    [one] Prête pour { $count } propriétaire : ses appareils l’afficheront à leur prochaine synchronisation.
   *[other] Prête pour { $count } propriétaires : leurs appareils l’afficheront à leur prochaine synchronisation.
}
category-informed = Rester informé
category-plan = Planifier le changement
category-prevent = Prévenir ou résoudre les problèmes
nav-announcements = Annonces
nav-awareness = Veille
nav-notices = Mises à jour
nav-plan = Plan d’exploitation
nav-readiness = Préparation
nav-training = Formation
notices-acknowledged = Acquitté
notices-acknowledged-by = Acquitté par
notices-archive = Archiver
notices-body = Texte (Markdown)
notices-briefing = Pour le support technique
notices-category = Catégorie
notices-create = Publier
notices-favourite = Favori
notices-favourite-action = Ajouter aux favoris
notices-help-desk = Pour le support technique (chaque membre du support technique doit l’acquitter)
notices-missing = Pas encore acquitté par
notices-new = Nouvel avis
notices-read = Lu
notices-languages = Langues
notices-default-language = Langue par défaut
notices-severity = Gravité
notices-release = État du déploiement
notices-act-by = Échéance
notices-platforms = Plateformes concernées
notices-save = Enregistrer
notices-edit = Modifier
notices-views = Vues des avis
notices-view-inbox = Boîte de réception
notices-view-favourites = Favoris
notices-view-archived = Archivés
notices-view-all = Tous
notices-also-in = Également disponible en
notices-message = Message
notices-facts = En bref
notices-source = Source
notices-source-manual = Rédigé ici
notices-published = Publié le
notices-changed = Dernière modification
notices-materials = { $count ->
    [one] { $count } support de formation
   *[other] { $count } supports de formation
}
notices-acknowledgments = Acquittements
training-add-enabled = Ajouter comme activée
training-notices = Avis
severity-normal = Normale
severity-high = Élevée
release-scheduled = Planifié
release-rolling-out = En cours de déploiement
release-launched = Lancé
notices-remind = Relancer les retardataires
notices-reminded = { $count ->
    [one] Relance envoyée à { $count } personne.
   *[other] Relance envoyée à { $count } personnes.
}
notices-tags = Étiquettes
notices-title = Titre
notices-unarchive = Restaurer
notices-unfavourite = Retirer des favoris
notices-unread = Non lu
notices-updated = Mis à jour
plan-area = Domaine
plan-awareness-owner = Responsable de la veille sur les mises à jour
plan-blank-rows = Remplissez une ligne vide pour ajouter quelqu’un ; videz une ligne pour la retirer.
focus-planning = Planification
focus-help-desk = Support technique
focus-awareness = Veille sur les mises à jour
focus-training = Formation
focus-operations = Exploitation
focus-not-started = Non commencé
focus-in-progress = En cours
focus-done = Terminé
plan-cadence = Fréquence
plan-focus = Axes prioritaires
plan-goals = Objectifs
plan-open-questions = Questions de cadrage encore ouvertes
plan-owner = Responsable
plan-person = Personne
plan-reporting = Compte rendu aux parties prenantes
plan-responsibilities = Responsabilités
plan-save = Enregistrer le plan
plan-stakeholders = Parties prenantes
plan-team = L’équipe d’exploitation
readiness-fail = À traiter
readiness-item-admins = Administrateurs informés des mises à jour de fonctionnalités et de service
readiness-item-discovery = Questions de cadrage traitées
readiness-item-help-desk = Support technique informé des changements
readiness-item-monitoring = Procédures de surveillance en place
readiness-item-reacting = Prêt à réagir aux alertes importantes
readiness-item-training = Formation à jour, intégration dans les temps
readiness-pass = Prêt
tag-admin-impact = Impact sur les administrateurs
tag-data-privacy = Confidentialité des données
tag-feature-update = Mise à jour de fonctionnalité
tag-major-update = Mise à jour majeure
tag-new-feature = Nouvelle fonctionnalité
tag-retirement = Fin de vie
tag-user-impact = Impact sur les utilisateurs
training-audience = Public
training-behind = En retard
training-completed = Terminé / attribué
training-current = À jour
training-enabled = Activée
training-feature-changed = Signaler un changement
training-features = Fonctionnalités
training-mark-done = Je l’ai suivi
training-mark-reviewed = Marquer comme relu
training-materials = Supports de formation
training-onboarding = Intégration
training-progress = Avancement
training-stale = Obsolète
condition-readiness-failing = Élément de préparation en échec
alert-reason-readiness-failing = { $items } en échec depuis plus de { $hours ->
    [one] { $hours } heure
   *[other] { $hours } heures
}
notice-digest-subject = Votre récapitulatif hebdomadaire des mises à jour : { $count ->
    [one] { $count } non lue
   *[other] { $count } non lues
}
feeds-title = Flux des éditeurs
feeds-last-fetched = Dernière lecture
feeds-fetch = Lire maintenant
feeds-interval = Intervalle (minutes)
feeds-add = Ajouter le flux
feeds-fetched = { $new ->
    [one] { $new } nouvel avis
   *[other] { $new } nouveaux avis
}, { $updated ->
    [one] { $updated } avis mis à jour
   *[other] { $updated } avis mis à jour
}.
training-new-material = Nouveau support de formation
training-add = Ajouter le support
training-add-feature = Ajouter la fonctionnalité
training-assign = Attribuer
training-assign-to = Attribuer à
demo-feature-passkeys = Connexion par clé d’accès
demo-material-passkeys = Connexion par clé d’accès : ce qui change pour les administrateurs
demo-notice-passkeys-title = La connexion par clé d’accès arrive dans la console
demo-notice-passkeys-body = Les administrateurs pourront se connecter avec une **clé d’accès** au lieu d’un mot de passe. Activez la fonctionnalité une fois que votre équipe a suivi le support de formation, et prévenez le support technique avant.
demo-notice-macos-title = macOS 15 : le profil VPN doit être réinstallé
demo-notice-macos-body = Après la mise à niveau vers **macOS 15**, le profil VPN cesse de fonctionner sur certains appareils. Quand un utilisateur appelle à propos du VPN, faites-lui réinstaller le profil depuis le portail d’entreprise.
reason-unknown-token = Le jeton d’inscription saisi ou intégré au programme d’installation n’existe pas : faute de frappe, ou jeton d’un autre serveur Steward.
reason-token-expired = Le jeton d’inscription a dépassé sa date d’expiration.
reason-token-revoked = Le jeton d’inscription a été révoqué par un administrateur.
reason-token-exhausted = Le jeton d’inscription a servi pour autant d’appareils qu’il le permet : la limite d’appareils est atteinte.
reason-platform-not-allowed = Le jeton n’autorise pas les appareils de cette plateforme : la plateforme est bloquée pour cette inscription.
reason-duplicate-device = Ce matériel est déjà inscrit ; l’ancien enregistrement doit être retiré avant une nouvelle inscription.
reason-malformed-request = L’agent a envoyé une demande d’inscription incomplète : en général un agent trop ancien.
reason-win-mdm-blocked = Windows : l’inscription MDM est bloquée pour ce type d’appareil par une restriction d’inscription.
reason-win-device-quota = Windows : l’utilisateur a atteint le nombre maximal d’appareils qu’il peut joindre ou inscrire.
reason-win-license = Windows : l’utilisateur n’a pas de licence valide pour la gestion des appareils.
reason-app-download-failed = L’application n’a pas pu être téléchargée : problème de réseau, de proxy ou de serveur de contenu.
reason-app-checksum = L’application téléchargée ne correspond pas à sa somme de contrôle : le téléchargement est endommagé ou altéré.
reason-app-disk-full = Pas assez d’espace disque libre pour installer l’application.
reason-app-not-detected = Le programme d’installation s’est terminé, mais l’application n’a pas été trouvée ensuite (règle de détection).
reason-win-1603 = Erreur Windows Installer 1603 : erreur fatale pendant l’installation, souvent un prérequis ou un fichier en cours d’utilisation.
reason-win-1618 = Erreur Windows Installer 1618 : une autre installation est déjà en cours.
reason-win-1638 = Erreur Windows Installer 1638 : une autre version de ce produit est déjà installée.
reason-win-disk-full = Windows : l’espace disque est insuffisant.
reason-win-appx-failed = Windows : le package de l’application n’a pas pu être installé (échec du déploiement).
reason-intune-not-detected = L’application n’a pas été détectée après une installation terminée avec succès.
reason-ios-install-command = iOS : la commande d’installation de l’application a échoué sans raison fournie par l’appareil.
reason-ios-network-lost = iOS : la connexion réseau a été perdue pendant le téléchargement.
reason-app-timeout = L’installation ne s’est pas terminée dans le délai prévu.
reason-app-dependency = Une application ou un composant nécessaire n’est pas installé.
reason-unknown = Aucune explication n’est encore connue pour ce code.
invite-subject = Inscrivez votre appareil
invite-body =
    Bonjour,

    pour inscrire votre appareil, installez l’agent Steward et exécutez :

    { $command }

    Le jeton est valable pour un appareil et pendant une semaine. Le serveur est { $server }.
nav-helpdesk = Dépannage
nav-kb = Base de connaissances
helpdesk-find = Utilisateur (adresse e-mail)
helpdesk-search = Rechercher
helpdesk-requests = Demandes aux appareils
helpdesk-request = Demande
helpdesk-by = Demandée par
helpdesk-answer = Réponse
request-sent = Envoyée, en attente de réponse
request-waiting = En attente de la prochaine synchronisation
request-queued = Demande enregistrée : l’appareil la reçoit à sa prochaine synchronisation.
request-sync = Synchroniser
request-full-scan = Analyse complète
request-update-definitions = Mettre à jour les signatures
answer-checked-in = Synchronisé
answer-scan-clean = Analyse terminée : aucune menace
answer-threats-found = Menaces trouvées
answer-definitions-updated = Signatures mises à jour
answer-no-engine = Aucun moteur de protection sur l’appareil
answer-unsupported = Non pris en charge par l’appareil
answer-failed = Échec
helpdesk-issues = Problèmes
helpdesk-failed-enrollments = Inscriptions échouées
helpdesk-failed-installs = Installations d’applications échouées
helpdesk-open-alerts = Alertes ouvertes
helpdesk-invite = Renvoyer l’invitation d’inscription
helpdesk-actions = Actions
helpdesk-note = Note
helpdesk-add-note = Ajouter la note
helpdesk-why = Cause et solution
helpdesk-installs = Installations d’applications
helpdesk-app = Application
install-failed = Échec
install-installed = Installée
install-pending = En attente
helpdesk-changes = Changements récents sur ses plateformes
invite-sent = Invitation envoyée.
kb-search = Rechercher des articles (toutes langues, codes d’erreur compris)
kb-results = Résultats
kb-gaps = À traiter
kb-low-success = ne résout que { $percent } % des cas
kb-no-article = { $count ->
    [one] { $count } échec
   *[other] { $count } échecs
} en 30 jours et aucun article
kb-not-helping = { $count ->
    [one] { $count } échec
   *[other] { $count } échecs
} en 30 jours ; l’article aide rarement
kb-articles = Articles
kb-codes = Codes d’erreur
kb-success = Taux de résolution
kb-reviewed = Dernière relecture
kb-new = Nouvel article
kb-create = Publier
kb-slug = Nom court (pour les liens)
kb-rules = Règles d’alerte
kb-fix = Solution
kb-did-it-help = Cela a-t-il résolu le problème ?
kb-solved = Oui, résolu
kb-not-solved = Non
kb-revision = Révision
kb-revisions = Révisions
kb-thanks = Merci, c’est noté.
kb-for-alert = Article pour cette alerte
history-enrolled = Inscrit
history-renamed = Renommé
history-os-changed = Système d’exploitation modifié
history-protection-changed = Protection modifiée
history-compliance-changed = Conformité modifiée
history-inventory-changed = Inventaire modifié
history-secret-rotated = Secret renouvelé
history-retired = Retiré
history-note = Note
history-request = Demande du support technique
history-request-answered = Réponse de l’appareil
history-snapshot-set-aside = L’agent a mis un relevé de côté
history-snapshot-set-aside-detail = Relevé { $seq } après { $attempts ->
    [one] { $attempts } tentative
   *[other] { $attempts } tentatives
} : { $reason }

## Compliance results on the device page
device-rules-tally = { $applicable ->
    [one] Règle applicable respectée : { $pass } sur { $applicable }.
   *[other] Règles applicables respectées : { $pass } sur { $applicable }.
}
device-rules-not-applicable = { $count ->
    [one] { $count } règle concerne une autre plateforme et ne s’applique pas.
   *[other] { $count } règles concernent une autre plateforme et ne s’appliquent pas.
}

## Console: forms, profile, search, inventory, relative times
console-save = Enregistrer
console-edit = Modifier
console-search = Rechercher
search-title = Recherche
search-label = Nom de l’appareil, numéro de série, propriétaire ou utilisateur
search-placeholder = Rechercher des appareils et des utilisateurs
search-no-devices = Aucun appareil ne correspond à ces mots.
search-all-devices = Tous les appareils correspondants
search-users = Utilisateurs d’appareils
search-no-users = Aucune adresse d’utilisateur ne commence par ces mots.
profile-title = Votre profil
profile-time-zone = Fuseau horaire
profile-region = Format régional
profile-region-language = Selon la langue
profile-region-us = Anglais (États-Unis) : 11/30/2026, 2:05 PM
profile-region-gb = Anglais (Royaume-Uni) : 30/11/2026, 14:05
profile-example = Les heures s’affichent ainsi : { $time }
time-just-now = à l’instant
time-ago-minutes = { $count ->
    [one] il y a { $count } minute
   *[other] il y a { $count } minutes
}
time-in-minutes = { $count ->
    [one] dans { $count } minute
   *[other] dans { $count } minutes
}
time-ago-hours = { $count ->
    [one] il y a { $count } heure
   *[other] il y a { $count } heures
}
time-in-hours = { $count ->
    [one] dans { $count } heure
   *[other] dans { $count } heures
}
time-ago-days = { $count ->
    [one] il y a { $count } jour
   *[other] il y a { $count } jours
}
time-in-days = { $count ->
    [one] dans { $count } jour
   *[other] dans { $count } jours
}
time-ago-months = { $count ->
    [one] il y a { $count } mois
   *[other] il y a { $count } mois
}
time-in-months = { $count ->
    [one] dans { $count } mois
   *[other] dans { $count } mois
}
time-ago-years = { $count ->
    [one] il y a { $count } an
   *[other] il y a { $count } ans
}
time-in-years = { $count ->
    [one] dans { $count } an
   *[other] dans { $count } ans
}
rules-escalation = Escalade
rules-escalation-help = Tant qu’une alerte n’est pas acquittée, chaque étape prévient ses canaux après le nombre de minutes indiqué. Laissez les minutes vides pour supprimer une étape.
rules-step-after = Étape { $step } : après (minutes)
rules-escalation-steps = { $count ->
    [one] { $count } étape d’escalade
   *[other] { $count } étapes d’escalade
}
rules-all-devices = Tous les appareils
rules-none = Aucune règle d’alerte pour l’instant.
channels-none = Aucun canal de notification pour l’instant.
channels-new-secret = Nouveau secret (laisser vide pour garder l’actuel)
rule-param-days = { $count ->
    [one] plus de { $count } jour
   *[other] plus de { $count } jours
}
rule-param-hours = { $count ->
    [one] aucune synchronisation depuis { $count } heure
   *[other] aucune synchronisation depuis { $count } heures
}
rule-param-free = moins de { $count } % d’espace libre
rule-param-failures = { $count ->
    [one] plus de { $count } échec en { $minutes } min
   *[other] plus de { $count } échecs en { $minutes } min
}
rule-param-share = plus de { $percent } % de { $platform } : { $health }
rule-param-all-platforms = toutes les plateformes
rule-param-minutes = { $count ->
    [one] depuis plus de { $count } minute
   *[other] depuis plus de { $count } minutes
}
policies-requirement = Exigence
policies-required = Obligatoire
policies-days = jours au maximum
policy-field-min-os = Version minimale du système d’exploitation : { $platform }
policy-field-protection-required = Protection des points de terminaison avec la protection contre les programmes malveillants activée
policy-field-realtime-protection-required = Protection en temps réel activée
policy-field-no-active-threats = Aucune menace active
policy-field-firewall-required = Pare-feu activé
policy-field-disk-encryption-required = Chiffrement du disque
policy-field-signatures-max-age-days = Ancienneté des signatures
policy-field-checked-in-within-days = Dernière synchronisation
policies-empty-help = Une ligne vide ou non cochée ne fait pas partie de la stratégie. Les versions sont des nombres séparés par des points (15, 10.0.19045).
policies-hours = { $count ->
    [one] { $count } heure
   *[other] { $count } heures
}
policies-none = Aucune stratégie de conformité pour l’instant : chaque appareil est compté comme non évalué.
silences-minutes-from-now = Se termine dans (minutes)
silences-none = Aucune mise en sourdine : toutes les alertes sont notifiées.
device-actions = Actions sur l’appareil
device-rotate = Renouveler le secret
device-rotate-confirm = L’appareil recevra un nouveau secret à sa prochaine synchronisation. Continuer ?
device-rotation-pending = Demandé : l’appareil recevra son nouveau secret à sa prochaine synchronisation.
device-retire = Retirer
device-retire-confirm = Retirer cet appareil ? Il ne pourra plus se synchroniser ; son enregistrement et son historique sont conservés.
device-note = Note pour le support technique
device-add-note = Ajouter la note
device-no-group = Aucun groupe
device-no-engine = Aucun moteur signalé
device-no-detections = Aucune détection signalée.
device-no-rules = Aucune stratégie de conformité ne s’applique à cet appareil.
device-no-alerts = Aucune alerte pour cet appareil.
device-no-inventory = L’appareil n’a pas encore envoyé son inventaire.
device-no-history = Aucun historique pour l’instant.
device-threat-state = État de la menace
inventory-empty-list = aucun
inventory-unknown = inconnu ({ $reason })
inventory-model = Modèle
inventory-cpu-model = Processeur
inventory-cpu-count = Cœurs de processeur
inventory-memory = Mémoire
inventory-boot-time = Dernier démarrage
inventory-logged-in = Utilisateurs connectés
inventory-pending-updates = Mises à jour en attente
inventory-os-release = Système d’exploitation
inventory-updates = { $count ->
    [one] { $count } mise à jour
   *[other] { $count } mises à jour
} (dont { $security } de sécurité)
inventory-disks = Disques
inventory-mount = Point de montage
inventory-fs = Système de fichiers
inventory-size = Taille
inventory-free = Espace libre
history-compliance-evaluated = Conformité évaluée
history-health-changed = État de protection modifié
history-enrolled-group = Groupe : { $group }
fact-secure-boot = Démarrage sécurisé
fact-screen-lock = Verrouillage de l’écran
alerts-none = Aucune alerte ne correspond à ces filtres.
alerts-open-totals = { $count ->
    [one] { $count } alerte ouverte
   *[other] { $count } alertes ouvertes
} (critiques : { $critical }, avertissements : { $warning })
devices-total = { $count ->
    [one] { $count } appareil
   *[other] { $count } appareils
}
devices-none = Aucun appareil ne correspond à ces filtres.
devices-columns = Colonnes
console-page-size = Par page
audit-ok = Effectuée
audit-denied = Refusée
audit-none = Aucune entrée du journal d’audit ne correspond à ces filtres.
invite-not-mailed = La messagerie est désactivée : rien n’a été envoyé. Transmettez à l’utilisateur ce jeton d’inscription à usage unique (valable 7 jours) et la commande qui l’utilise ; ils ne sont affichés qu’une fois.
attempt-retire-existing = Ouvrir l’enregistrement inscrit pour le retirer
enrollments-none = Aucune tentative d’inscription ne correspond à ces filtres.
threat-clean = Aucune menace
threat-pending-full-scan = Analyse complète requise
threat-pending-reboot = Redémarrage requis
threat-pending-manual = Étapes manuelles requises
compliance-not-reported = Non signalé par l’appareil
compliance-firewall-off = Le pare-feu est désactivé
compliance-disk-not-encrypted = Le disque n’est pas chiffré
compliance-last-checkin = { $days ->
    [one] Dernière synchronisation il y a { $days } jour
   *[other] Dernière synchronisation il y a { $days } jours
}

install-state-pending = En attente
install-state-available = Disponible
install-state-downloading = Téléchargement
install-state-installing = Installation
install-state-removing = Désinstallation
install-state-installed = Installée
install-state-removed = Désinstallée
install-state-failed = Échec
install-state-not-applicable = Non applicable
install-state-blocked = Bloquée
install-state-timed-out = Délai dépassé
install-state-mismatch = Inventaire en désaccord
install-state-unknown = Inconnu
assign-intent-required = Obligatoire
assign-intent-available = Disponible
assign-intent-uninstall = Désinstaller
agent-apps-none = Aucune application n’est proposée à cet appareil.
agent-apps-offline = La liste des applications n’a pas pu être récupérée ({ $message }) ; affichage de la liste en mémoire.
agent-app-unknown = Aucune application nommée « { $app } » n’est proposée à cet appareil.
agent-app-result = { $name } { $version } : { $state }
agent-app-line = { $name } { $version } ({ $intent }) : { $state }
reason-app-script-failed = Un script du paquet a échoué pendant son installation ou sa désinstallation.
reason-app-busy = Une autre installation était en cours sur l’appareil ; une nouvelle tentative aura lieu.
reason-app-bad-package = Le fichier du paquet est endommagé ou n’est pas un paquet Debian.
reason-app-architecture = Le paquet est conçu pour une autre architecture de processeur que celle de l’appareil.
reason-app-not-root = L’agent ne s’exécute pas avec les droits d’administrateur et ne peut donc pas installer d’applications.
reason-app-package-not-found = Les sources de paquets de l’appareil ne proposent pas ce paquet ou cette version.
reason-app-install-failed = Le gestionnaire de paquets a refusé l’installation ; son message en donne la raison.
reason-app-no-answer = L’appareil n’a pas rendu compte de l’application avant l’échéance.
reason-app-inventory = L’appareil indique l’application installée, mais son inventaire logiciel ne la mentionne pas (ou l’inverse).
reason-app-wrong-platform = Le paquet de l’application est destiné à une autre plateforme.

nav-apps = Applications
apps-intro = Les applications distribuées aux appareils selon le plan : le catalogue, ses versions et l’état de chaque affectation.
apps-new = Ajouter une application
apps-name = Application
apps-publisher = Éditeur
apps-description = Description
apps-create = Ajouter l’application
apps-versions = Versions
apps-assignments = Affectations
apps-none = Aucune application dans le catalogue pour l’instant.
apps-version = Version
apps-platform = Plateforme
apps-kind = Type de paquet
apps-package = Paquet
apps-added = Ajoutée
apps-no-versions = Aucune version pour l’instant.
apps-add-version = Ajouter une version
apps-upload-help = Téléversez un paquet Debian par l’API : son nom, sa version et son architecture sont lus dans le paquet. Les autres versions se déclarent ci-dessous.
apps-intent = Type d’affectation
apps-progress = État de l’installation
apps-deadline = Échéance
apps-no-assignments = Affectée à aucun appareil pour l’instant.
apps-assign = Affecter
apps-group = Groupe d’appareils (vide : tous les appareils)
apps-start = Début
apps-time = Heure
apps-waves = Vagues
apps-gate = Seuil (% réussies)
apps-target = Objectif à l’échéance (%)
apps-failure-threshold = Alerte au-delà de ces échecs (%)
apps-waves-help = Vagues : parts des appareils, croissantes (10, 50, 100), ou groupes d’appareils comme anneaux (pilote, 100). La vague suivante démarre quand le seuil est atteint.
apps-paused = En pause
apps-paused-help = Aucun appareil ne commence cette affectation avant sa reprise.
apps-resume = Reprendre
apps-pause = Mettre en pause
apps-retry-failed = Réessayer sur tous les appareils en échec
apps-change-version = Distribuer une autre version
apps-states = Appareils par état
apps-targets = Appareils ciblés
apps-no-targets = Aucun appareil.
apps-wave = Vague
apps-succeeded = Réussies
apps-failed = Échecs
apps-phase = Étape
apps-wave-done = Terminée
apps-wave-started = En cours
apps-wave-waiting = En attente du seuil
apps-gate-text = La vague suivante démarre quand { $percent } % des appareils d’une vague ont atteint l’objectif.
apps-errors = Erreurs
apps-error = Erreur
apps-devices = Appareils
apps-article = Article de dépannage
apps-no-errors = Aucune erreur.
apps-all-states = Tous les états
apps-state = État
apps-detail = Détail
apps-updated = Mise à jour
apps-attempt = tentative { $count }
apps-retry = Réessayer l’installation
apps-retry-queued = Nouvelle tentative demandée : l’appareil recommence tout de suite.
apps-device-none = Aucune application affectée à cet appareil.
apps-kind-deb = Paquet Debian (téléversé)
apps-kind-apt = Paquet Debian (sources apt)
apps-kind-msi = Windows Installer (MSI)
apps-kind-win32 = Application Windows (Win32)
apps-kind-pkg = Paquet macOS (PKG)
apps-kind-store = Application du Store

readiness-item-apps = Distribution des applications conforme au plan
readiness-apps-behind = { $app } : { $percent } % ont atteint l’objectif à l’échéance ; le plan demande { $target } %.
readiness-apps-failing = { $app } : { $percent } % de la vague { $wave } en échec (seuil { $threshold } %).
readiness-apps-ok = { $count ->
    [one] L’affectation d’application est conforme au plan.
   *[other] Les { $count } affectations d’applications sont conformes au plan.
}

readiness-apps-none = Aucune application n’est encore affectée : rien n’est en retard sur le plan.

helpdesk-app-attempts = Tentatives d’installation d’applications

condition-app-failing = Déploiement d’application en échec
condition-app-behind-plan = Déploiement d’application en retard sur le plan
alert-reason-app-failing = Échecs au-delà du seuil dans la vague en cours : { $apps }.
alert-reason-app-behind = Échéance dépassée avec moins que l’objectif installé : { $apps }.

request-apps = Nouvelle tentative d’installation
answer-apps-refreshed = Liste des applications récupérée à nouveau

report-period = du { $from } au { $to }
report-devices-total = Appareils
report-dim-compliance = Conformité
report-dim-health = Protection des points de terminaison
report-dim-checkin = Dernière synchronisation
report-dim-platform = Plateforme
report-rule-failing = Non respectée : { $rule }
report-alerts-opened = Alertes ouvertes
report-alerts-resolved = Alertes résolues
report-alerts-ack-time = Délai moyen d’acquittement
report-alerts-resolve-time = Délai moyen de résolution
report-alerts-opened-severity = Alertes ouvertes : { $severity }
report-enrollments-succeeded = Inscriptions réussies
report-enrollments-refused = Inscriptions refusées
report-enrollments-refused-reason = Refusées : { $reason }
report-readiness-passing = Points de préparation validés
report-kb-solved = Réponses « cela a résolu le problème »
report-kb-answers = Réponses sur les articles
report-kb-solve-rate = Taux de résolution
report-announcements-targets = Appareils visés par les annonces
report-announcements-delivered = Annonces remises
report-announcements-read = Annonces lues
report-section-devices = Appareils
report-section-policies = Stratégies de conformité : respect du plan
report-section-alerts = Alertes
report-section-enrollments = Inscriptions
report-section-apps = Installations d’applications
report-section-readiness = Liste de contrôle de la préparation
report-section-knowledge = Base de connaissances
report-section-announcements = Annonces
report-hours = { $hours } h
report-mail-subject = { $name } : { $period }
report-figure = Indicateur
report-value = Valeur
report-change = Évolution
report-made-at = Produit par Steward le { $time }.
report-no-figures = Aucun chiffre pour cette période pour l’instant.

report-title = Rapport sur le parc

report-compared = { $days ->
    [one] Évolution : par rapport au jour précédent.
   *[other] Évolution : par rapport aux { $days } jours précédents.
}

nav-reports = Rapports
reports-rolled = { $count ->
    [one] { $count } jour de données
   *[other] { $count } jours de données
}
reports-days = { $count ->
    [one] { $count } jour
   *[other] { $count } jours
}
reports-sent-to = { $count ->
    [one] envoyé à { $count } destinataire
   *[other] envoyé à { $count } destinataires
}
reports-period = Période
reports-csv = Télécharger le CSV
reports-pdf = Télécharger le PDF
reports-schedules = Rapports planifiés
reports-no-group = Sans groupe
reports-back = Retour aux rapports
reports-schedules-intro = Chaque rapport planifié est envoyé par e-mail à ses destinataires, sous forme de résumé avec le PDF et le CSV en pièces jointes, une fois par période, dans la langue de chacun.
reports-no-mail = Aucun serveur SMTP n’est configuré : les rapports planifiés ne peuvent pas être envoyés.
reports-new = Planifier un rapport
reports-name = Nom
reports-sections = Sections
reports-cadence = Fréquence
reports-weekly = Chaque semaine
reports-monthly = Chaque mois
reports-weekday = Jour de la semaine
reports-day-of-month = Jour du mois
reports-hour = Heure
reports-time-zone = Fuseau horaire
reports-groups = Groupes d’appareils (séparés par des virgules ; vide : tous les appareils)
reports-recipients = Destinataires
reports-recipients-help = Un par ligne : l’adresse e-mail d’un utilisateur (qui reçoit le rapport dans sa langue et son fuseau horaire), ou toute adresse suivie d’un code de langue (en-US, fr, sv, de, ko).
reports-create = Planifier
reports-when = Quand
reports-next = Prochain envoi
reports-history = Envoyés
reports-manual = envoyé manuellement
reports-none = Aucun rapport planifié pour l’instant.
reports-send-now = Envoyer maintenant
reports-weekly-at = Chaque { $day } à { $hour } ({ $zone })
reports-monthly-at = { $day ->
    [1] Le 1er
   *[other] Le { $day }
} de chaque mois à { $hour } ({ $zone })
weekday-monday = lundi
weekday-tuesday = mardi
weekday-wednesday = mercredi
weekday-thursday = jeudi
weekday-friday = vendredi
weekday-saturday = samedi
weekday-sunday = dimanche

report-minutes = { $minutes } min

plan-report = Rapport planifié
plan-no-report = Aucun pour l’instant
nav-remediation = Corrections
nav-remediations = Corrections
nav-scripts = Scripts
nav-approvals = Approbations
action-awaits-approval = Envoyé pour approbation : un autre administrateur doit l’approuver avant son exécution.
action-collect-diagnostics = Collecter les diagnostics
action-lock = Verrouiller
action-logoff = Déconnecter les utilisateurs
action-logoff-confirm = Déconnecter tous les utilisateurs de cet appareil ? Le travail non enregistré sera perdu.
action-quarantine = Mettre en quarantaine
action-quarantine-all = Mettre en quarantaine sur tous les appareils
action-quarantine-all-confirm = Mettre cette menace en quarantaine sur tous les appareils qui la signalent ?
action-restart = Redémarrer
action-restart-delay = Minutes avant le redémarrage
action-restart-message = Message à l’utilisateur
action-run-script = Exécuter le script
action-script = Script
action-sent = { $count ->
    [one] Envoyé à { $count } appareil.
   *[other] Envoyé à { $count } appareils.
}
action-wipe = Réinitialiser
action-wipe-confirm = Réinitialiser cet appareil ? Tout son contenu sera effacé dès qu’un autre administrateur aura donné son approbation.
answer-diagnostics-uploaded = Diagnostics téléversés
answer-hash-mismatch = Refusé : le script n’est pas celui garanti par Steward
answer-locked = Verrouillé
answer-logged-off = Utilisateurs déconnectés
answer-quarantined = Mis en quarantaine
answer-restart-scheduled = Redémarrage planifié
answer-script-failed = Le script a échoué
answer-script-succeeded = Le script a réussi
answer-superseded = Remplacé par une version plus récente
answer-timed-out = Arrêté : délai dépassé
answer-no-answer = Pas de réponse de l’appareil dans le délai
answer-wiped = Réinitialisé
approval-approved = Approuvée
approval-pending = En attente d’approbation
approval-refused = Refusée
approval-remediation = Correction « { $name } » (nouvelle version)
approvals-approve = Approuver
approvals-decided = Traitées
approvals-decision = Décision
approvals-intro = Les réinitialisations, les redémarrages de nombreux appareils et les versions de script qui touchent de nombreux appareils attendent ici qu’un administrateur autre que le demandeur les approuve.
approvals-none = Aucune demande en attente d’approbation.
approvals-note = Note
approvals-pending = En attente d’approbation
approvals-refuse = Refuser
approvals-requested = Demandée
approvals-what = Demande
approvals-yours = Votre demande : un autre administrateur décide.
device-diagnostics = Diagnostics
device-diagnostics-size = { $count ->
    [one] { $count } Kio
   *[other] { $count } Kio
}
history-remediation = Correction
remediation-all-groups = Tous les groupes
remediation-attempt = Tentative { $attempt } sur { $count }
remediation-by-group = Par groupe
remediation-detect-only = Détection uniquement
remediation-device = Appareil
remediation-devices = { $count ->
    [one] { $count } appareil
   *[other] { $count } appareils
}
remediation-failure-rate = { $count ->
    [one] { $count } % en échec
   *[other] { $count } % en échec
}
remediation-failing = Appareils en échec
remediation-next = Prochaine tentative : { $time }
remediation-output = Sortie
remediation-output-after = Détection après la correction
remediation-output-detect = Détection
remediation-output-fix = Correction
remediation-rerun = Réexécuter sur les appareils en échec
remediation-state = État
remediation-state-detected = Problème détecté
remediation-state-fix-failed = Échec de la correction
remediation-state-fixed = Corrigé
remediation-state-no-issue = Sans problème
remediation-state-not-applicable = Non applicable
remediation-state-pending = En attente
remediation-state-remediating = Correction en cours
remediation-state-script-error = Erreur de script
remediation-waiting = Cette version touche de nombreux appareils : elle s’exécutera dès qu’un autre administrateur l’aura approuvée.
remediations-alert-percent = Alerte au-delà de ce taux d’échec (%)
remediations-approval-help = Une correction qui touche plus d’appareils que le seuil d’approbation s’exécute dès qu’un autre administrateur l’approuve ; il en va de même pour chaque nouvelle version de ses scripts.
remediations-create = Créer la correction
remediations-detect = Script de détection
remediations-devices = Appareils
remediations-every-hours = Intervalle de réexécution (heures, 0 : une seule fois)
remediations-fix = Script de correction
remediations-intro = Un script de détection vérifie chaque appareil (code 0 : aucun problème, code 1 : problème trouvé) ; s’il trouve le problème, le script de correction le corrige et la détection est relancée. Une correction qui échoue est relancée plus tard, chaque délai d’attente étant le double du précédent.
remediations-max-attempts = Tentatives
remediations-name = Nom
remediations-new = Nouvelle correction
remediations-no-scripts = Ajoutez d’abord un script de détection.
remediations-none = Aucune correction pour l’instant.
remediations-retry-minutes = Première nouvelle tentative après (minutes)
remediations-trigger-rule = Uniquement sur les appareils qui ne respectent pas la règle
request-remediate = Correction
script-shell-bash = Bash (Linux, macOS)
script-shell-powershell = PowerShell (Windows)
script-shell-sh = Shell (Linux, macOS)
script-shell-zsh = zsh (macOS)
scripts-changed = Modifié
scripts-clear = Autoriser cette version pour le support technique
scripts-cleared-version = Version { $version }
scripts-content = Script
scripts-create = Ajouter le script
scripts-description = Description
scripts-edit = Modifier
scripts-edit-reruns = Un nouveau texte crée une nouvelle version : chaque correction qui utilise ce script est réexécutée.
scripts-exit-codes = Comme script de détection : code 0 si tout va bien, code 1 si le problème est présent.
scripts-hash = SHA-256
scripts-helpdesk = Support technique
scripts-intro = Chaque version d’un script est conservée et identifiée par son SHA-256 ; les appareils n’exécutent un script que si son texte correspond à l’empreinte envoyée par Steward.
scripts-name = Nom
scripts-new = Nouveau script
scripts-none = Aucun script pour l’instant.
scripts-not-cleared = Non autorisé
scripts-seconds = { $count ->
    [one] { $count } s
   *[other] { $count } s
}
scripts-shell = Interpréteur
scripts-timeout = Délai maximal (secondes)
scripts-version = Version
scripts-versions = Versions

condition-remediation-failing = Correction en échec
alert-reason-remediation-failing = Échecs au-delà du seuil : { $remediations }.
readiness-item-remediation = Les corrections règlent ce qu’elles détectent
readiness-remediation-failing = { $remediation } : { $percent } % des appareils traités sont en échec (seuil { $threshold } %).
readiness-remediation-ok = { $count ->
    [one] { $count } correction dotée d’un seuil d’échec reste en dessous.
   *[other] Les { $count } corrections dotées d’un seuil d’échec restent en dessous.
}
readiness-remediation-none = Aucune correction ne fixe encore de seuil d’échec : rien à surveiller.
report-section-remediations = Résultats des corrections
jobs-running = { $done ->
    [one] Nouvelle évaluation de chaque appareil ({ $reason }) : { $done } appareil traité sur { $total }
   *[other] Nouvelle évaluation de chaque appareil ({ $reason }) : { $done } appareils traités sur { $total }
}
jobs-queued = Chaque appareil sera évalué à nouveau ({ $reason }) : en attente de démarrage
jobs-reason-policy = stratégie de conformité modifiée
jobs-reason-rule = règle d’alerte modifiée
jobs-resolving = { $done ->
    [one] Résolution des alertes ouvertes d’une règle d’alerte supprimée : { $done } alerte résolue sur { $total }
   *[other] Résolution des alertes ouvertes d’une règle d’alerte supprimée : { $done } alertes résolues sur { $total }
}
jobs-resolving-queued = Les alertes ouvertes d’une règle d’alerte supprimée seront résolues : en attente de démarrage
