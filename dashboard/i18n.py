"""Every sentence the app shows, in French first and in English.

`translate(language, key, **params)` is pure; `t(key, **params)` uses the language the
person chose in the sidebar (French until they choose). A key missing from a language
falls back to French, then to the key itself, so a gap shows up instead of crashing.
"""

from __future__ import annotations

from typing import Any

LANGUAGE_KEY = "language"
DEFAULT_LANGUAGE = "fr"
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}

FRENCH: dict[str, str] = {
    # --- the frame: sidebar, navigation, sign-in ---------------------------------------
    "app.title": "makerline",
    "sidebar.language": "Langue / Language",
    "sidebar.signed_in_as": "Connecté : **{name}**",
    "sidebar.logout": "Se déconnecter",
    "role.coordinator": "Coordination du fab-lab",
    "role.maker": "Maker",
    "role.health_centre": "Établissement de santé",
    "page.login": "Connexion",
    "page.board": "Tableau de production",
    "page.hub": "Atelier",
    "page.maker": "Mes imprimantes",
    "page.centre": "Mes commandes",
    "login.title": "Connexion à makerline",
    "login.intro": (
        "makerline coordonne les makers bénévoles qui impriment visières et crochets "
        "AMICROCHE pour les soignants. Connectez-vous avec le jeton d'accès qui vous a été "
        "remis à l'inscription."
    ),
    "login.token": "Jeton d'accès",
    "login.token_help": "Il commence par « mkl_ ». Il vous a été montré une seule fois.",
    "login.submit": "Se connecter",
    "login.empty": "Saisissez votre jeton d'accès.",
    "login.refused": "Connexion refusée",
    "login.unknown_role": "Ce compte a un rôle que le tableau ne connaît pas : {role}.",
    "login.expired": "Votre jeton n'est plus accepté : reconnectez-vous.",
    # --- errors -----------------------------------------------------------------------
    "error.refused": "Le service a refusé la demande ({status})",
    "error.server": "Le service a rencontré une erreur ({status})",
    "error.unreachable": "Le service makerline est injoignable",
    "error.unreachable_detail": "Impossible de joindre {url} : {reason}",
    "error.timeout_detail": "{url} n'a pas répondu à temps.",
    "error.not_json": "Réponse illisible du service.",
    # --- common words -------------------------------------------------------------------
    "common.yes": "Oui",
    "common.no": "Non",
    "common.refreshed": "Mis à jour à {time}, actualisé toutes les {seconds} s.",
    "common.none_yet": "Rien pour l'instant.",
    "age.seconds": "il y a {n} s",
    "age.minutes": "il y a {n} min",
    "age.hours": "il y a {n} h",
    "age.days": "il y a {n} j",
    "age.never": "jamais",
    # --- vocabularies -----------------------------------------------------------------
    "item.headband": "Serre-têtes",
    "item.reinforcement": "Renforts",
    "item.amicroche": "Crochets AMICROCHE",
    "item.film_sheet": "Feuilles de film",
    "item.elastic": "Élastiques",
    "item.filament_g": "Filament (g)",
    "item.visor": "Visières",
    "stage.on_hand": "En stock",
    "stage.at_maker": "Chez les makers",
    "stage.collected": "Collectées",
    "stage.qc_passed": "Contrôlées",
    "stage.rejected": "Rejetées",
    "stage.assembled": "Assemblées",
    "stage.disinfected": "Désinfectées",
    "stage.packed": "Emballées",
    "stage.delivered": "Livrées",
    "printer_state.offline": "Hors ligne",
    "printer_state.idle": "Libre",
    "printer_state.printing": "En impression",
    "printer_state.paused": "En pause",
    "printer_state.awaiting_clear": "Plateau à libérer",
    "printer_state.error": "En erreur",
    "job_status.queued": "En attente",
    "job_status.assigned": "Attribuée",
    "job_status.sent": "Envoyée",
    "job_status.printing": "En impression",
    "job_status.awaiting_clear": "Plateau à libérer",
    "job_status.done": "Terminée",
    "job_status.failed": "Échouée",
    "job_status.lost": "Perdue",
    "job_status.cancelled": "Annulée",
    "order_status.open": "En cours",
    "order_status.delivered": "Livrée",
    "order_status.received": "Reçue",
    "order_status.cancelled": "Annulée",
    "urgency.normal": "Normale",
    "urgency.high": "Haute",
    "urgency.critical": "Critique",
    "method.alcohol_70": "Alcool à 70 %",
    "method.bleach": "Eau de Javel",
    "method.quaternary_ammonium": "Ammonium quaternaire",
    "method.uv": "Ultraviolets",
    "method.heat": "Chaleur",
    "connection.agent": "Agent makerline",
    "connection.octoprint-mqtt": "Greffon OctoPrint-MQTT",
    # --- table columns ------------------------------------------------------------------
    "col.id": "N°",
    "col.printer": "Imprimante",
    "col.maker": "Maker",
    "col.state": "État",
    "col.progress": "Avancement",
    "col.job": "Tâche",
    "col.part": "Pièce",
    "col.last_seen": "Dernier signe",
    "col.material": "Matière",
    "col.bed": "Plateau (mm)",
    "col.nozzle": "Buse (mm)",
    "col.hours": "Disponible",
    "col.position": "Rang",
    "col.copies": "Exemplaires",
    "col.order": "Commande",
    "col.needed_by": "Pour le",
    "col.attempts": "Essais",
    "col.flagged": "À vérifier",
    "col.reason": "Dernier motif",
    "col.centre": "Établissement",
    "col.product": "Produit",
    "col.quantity": "Quantité",
    "col.packed": "Emballées",
    "col.delivered": "Livrées",
    "col.outstanding": "Restantes",
    "col.eta": "Livraison prévue",
    "col.eta_note": "Remarque",
    "eta_note.awaiting_supplies": "en attente de film ou de pièces",
    "eta_note.no_printer_online": "aucune imprimante en ligne",
    "col.late": "En retard",
    "col.status": "Statut",
    "col.urgency": "Urgence",
    "col.item": "Article",
    "col.stage": "Étape",
    "col.step": "Étape",
    "col.declared_at": "Déclarée le",
    "col.collected_at": "Collectée le",
    "col.delivered_at": "Livrée le",
    "col.received_at": "Reçue le",
    "col.created_at": "Créée le",
    "col.started_at": "Commencée le",
    "col.done_at": "Terminée le",
    "col.note": "Remarque",
    "col.method": "Désinfection",
    "col.assembled_at": "Assemblé le",
    "col.grams": "Grammes",
    "col.size": "Dimensions (mm)",
    # --- the production board ---------------------------------------------------------
    "board.title": "Tableau de production",
    "board.section.products": "Produits commandés et livrés",
    "board.section.printers": "Imprimantes",
    "board.section.stages": "Pièces et produits à chaque étape",
    "board.section.film": "Film transparent",
    "kpi.visors_ordered": "Visières commandées",
    "kpi.visors_delivered": "Visières livrées",
    "kpi.visors_outstanding": "Visières à livrer",
    "kpi.hooks_ordered": "Crochets commandés",
    "kpi.hooks_delivered": "Crochets livrés",
    "kpi.hooks_outstanding": "Crochets à livrer",
    "kpi.printers_online": "Imprimantes en ligne",
    "kpi.printers_printing": "Imprimantes en impression",
    "kpi.printers_awaiting_clear": "Plateaux à libérer",
    "kpi.printers_offline": "Imprimantes hors ligne",
    "kpi.stage_at_maker": "Pièces chez les makers",
    "kpi.stage_collected": "Pièces collectées",
    "kpi.stage_qc_passed": "Pièces contrôlées",
    "kpi.stage_rejected": "Pièces rejetées",
    "kpi.stage_assembled": "Produits assemblés",
    "kpi.stage_disinfected": "Produits désinfectés",
    "kpi.stage_packed": "Produits emballés",
    "kpi.film_on_hand": "Feuilles de film en stock",
    "kpi.film_days_left": "Jours de film restants",
    "kpi.film_rate_help": "Au rythme des 7 derniers jours : {rate} feuilles par jour.",
    "kpi.film_no_rate_help": "Aucune feuille utilisée ces 7 derniers jours.",
    "kpi.film_needed_help": "Les commandes ouvertes en demandent encore {needed}.",
    "board.alerts": "Alertes",
    "board.no_alerts": "Aucune alerte : tout suit son cours.",
    "board.funnel": "De l'impression à la livraison",
    "board.funnel_caption": "Tout ce qui est passé par chaque étape, par produit.",
    "board.throughput": "Rythme par heure",
    "board.throughput_caption": "Pièces imprimées et produits livrés, heure par heure.",
    "board.printers": "Parc d'imprimantes",
    "board.queue": "File d'attente des impressions",
    "board.orders": "Commandes",
    "funnel.printed": "Imprimées",
    "funnel.collected": "Collectées",
    "funnel.qc_passed": "Contrôlées",
    "funnel.assembled": "Assemblées",
    "funnel.disinfected": "Désinfectées",
    "funnel.delivered": "Livrées",
    "product.visor": "Visières",
    "product.amicroche": "Crochets AMICROCHE",
    "series.printed": "Pièces imprimées",
    "series.delivered": "Produits livrés",
    "axis.hour": "Heure",
    "axis.quantity": "Quantité",
    "grid.state_filter": "État",
    "grid.all_states": "Tous les états",
    "grid.page": "Page",
    "grid.count": "Imprimantes {first} à {last} sur {total}.",
    "grid.empty": "Aucune imprimante dans cet état.",
    "queue.count": "Les {shown} prochaines tâches, sur {total} en attente.",
    "queue.empty": "Aucune tâche en attente.",
    "orders.show_closed": "Afficher aussi les commandes terminées ou annulées",
    "orders.empty": "Aucune commande.",
    "orders.late_count": "{count} commande(s) en retard.",
    "alert.printer_offline_during_job": (
        "L'imprimante « {printer} » (n° {printer_id}) est hors ligne pendant la tâche n° {job_id}."
    ),
    "alert.job_failed_twice": "La tâche n° {job_id} ({part}) a échoué {failures} fois.",
    "alert.job_flagged": "Elle attend qu'une personne s'en occupe.",
    "alert.last_reason": "Dernier motif : {reason}.",
    "alert.film_shortfall": (
        "Le film manquera avant d'honorer les commandes ouvertes : {on_hand} feuilles en "
        "stock, {needed} nécessaires, il en manque {missing}."
    ),
    "alert.order_late": (
        "La commande n° {order_id} de {centre} ({quantity}) sera en retard : attendue le "
        "{needed_by}, livraison prévue le {eta}."
    ),
    "alert.order_late_no_eta": (
        "La commande n° {order_id} de {centre} ({quantity}) sera en retard : attendue le "
        "{needed_by}, sans date de livraison prévisible."
    ),
    "alert.since": "Depuis le {time}.",
    "alert.unknown": "Alerte {kind} : {params}",
    "alert.printer_cannot_print": (
        "L'imprimante « {printer} » (n° {printer_id}) de {maker} ne peut pas recevoir de "
        "travail : {reason}."
    ),
    "alert.printer_cannot_print_parts": (
        "L'imprimante « {printer} » (n° {printer_id}) de {maker} ne peut pas imprimer "
        "{parts} : {reason}."
    ),
    "alert.part_cannot_be_sliced": (
        "La pièce {part} ne peut être découpée pour aucune imprimante : {reason}."
    ),
    "alert.retry_at": "Nouvel essai vers {time}.",
    "slicing_problem.settings_out_of_range": (
        "son plateau, sa buse ou son filament sort des valeurs d'une imprimante de bureau ; "
        "corrigez ses réglages"
    ),
    "slicing_problem.material_unknown": (
        "makerline n'a pas de réglages pour le filament chargé ; choisissez PLA, PETG, ABS, "
        "ASA ou TPU"
    ),
    "slicing_problem.bed_too_small": "son plateau est trop petit pour toutes les pièces",
    "slicing_problem.stl_missing": (
        "son fichier STL est introuvable sur le serveur ; téléversez-la de nouveau sous une "
        "autre clé"
    ),
    "slicing_problem.stl_changed": (
        "son fichier STL sur le serveur n'est plus celui téléversé ; téléversez-la de nouveau "
        "sous une autre clé"
    ),
    "slicing_problem.slicer_missing": "PrusaSlicer n'est pas installé sur le serveur",
    "slicing_problem.slicer_failed": "PrusaSlicer a refusé ses réglages ou s'est arrêté en erreur",
    "slicing_problem.slicer_timeout": "PrusaSlicer n'a pas fini à temps",
    "slicing_problem.estimate_unreadable": (
        "la durée ou le poids d'impression n'ont pas pu être lus dans le G-code"
    ),
    "slicing_problem.wrong_copies": "le G-code ne contient pas le nombre de copies demandé",
    "slicing_problem.unexpected": (
        "une erreur inattendue s'est produite (voir le journal de l'orchestrateur)"
    ),
    # --- the hub's work ---------------------------------------------------------------
    "hub.title": "Travaux de l'atelier",
    "hub.intro": (
        "Chaque enregistrement ajoute des mouvements au registre de stock. Un double clic "
        "ne compte qu'une fois."
    ),
    "hub.tab.donation": "Dons",
    "hub.tab.collection": "Collecte",
    "hub.tab.qc": "Contrôle qualité",
    "hub.tab.batch": "Assemblage",
    "hub.tab.disinfection": "Désinfection",
    "hub.tab.packing": "Emballage",
    "hub.tab.delivery": "Livraison",
    "hub.tab.part": "Nouvelle pièce",
    "hub.tab.trace": "Traçabilité",
    "hub.tab.stock": "Stock",
    "field.donor": "Donateur",
    "field.item": "Article",
    "field.quantity": "Quantité",
    "field.material": "Matière",
    "field.filament_material": "Matière (pour un don de filament)",
    "field.note": "Remarque",
    "field.maker": "Maker",
    "field.hand_in": "Remise déclarée par le maker",
    "field.no_hand_in": "Aucune (collecte sans déclaration)",
    "field.passed": "Pièces conformes",
    "field.rejected": "Pièces rejetées",
    "field.reason": "Motif du rejet",
    "field.product": "Produit",
    "field.batch": "Lot",
    "field.method": "Méthode",
    "field.disinfected_on": "Date de la désinfection",
    "field.order": "Commande",
    "field.stl_file": "Fichier STL",
    "field.part_key": "Identifiant (minuscules, chiffres, - et _)",
    "field.name_fr": "Nom en français",
    "field.name_en": "Nom en anglais",
    "field.bom_role": "Rôle dans la nomenclature",
    "field.orientation": "Orientation",
    "hub.donation.submit": "Enregistrer le don",
    "hub.donation.done": "Don n° {id} enregistré : {quantity} {item}.",
    "hub.collection.submit": "Enregistrer la collecte",
    "hub.qc.submit": "Enregistrer le contrôle",
    "hub.batch.submit": "Assembler le lot",
    "hub.batch.done": "Lot n° {id} assemblé : {quantity} {product}.",
    "hub.disinfection.submit": "Enregistrer la désinfection",
    "hub.disinfection.done": "Lot n° {id} désinfecté.",
    "hub.disinfection.none": "Aucun lot en attente de désinfection.",
    "hub.packing.submit": "Emballer pour la commande",
    "hub.delivery.submit": "Enregistrer la livraison",
    "hub.delivery.done": "Livraison n° {id} enregistrée : {quantity} pour la commande n° {order}.",
    "hub.movements.done": "Enregistré : {count} mouvement(s) de stock.",
    "hub.no_open_orders": "Aucune commande ouverte.",
    "hub.no_makers": "Aucun maker inscrit.",
    "hub.part.intro": (
        "Ajoutez une pièce imprimable à partir d'un fichier STL (50 Mo au plus). Le service "
        "vérifie que le maillage est fermé et qu'il tient sur au moins une imprimante."
    ),
    "hub.part.submit": "Ajouter la pièce",
    "hub.part.done": "Pièce « {part} » ajoutée : {grams} g, {size} mm.",
    "hub.part.no_file": "Choisissez un fichier STL.",
    "hub.parts": "Pièces du catalogue",
    "hub.trace.intro": "Choisissez un lot pour retrouver les makers et imprimantes d'origine.",
    "hub.trace.none": "Aucun lot assemblé pour l'instant.",
    "hub.trace.makers": "Makers : {makers}",
    "hub.trace.orders": "Livré ou emballé pour les commandes : {orders}",
    "hub.trace.no_orders": "Ce lot n'est encore parti vers aucune commande.",
    "hub.batch_label": "Lot n° {id} : {quantity} {product}, assemblé le {date}",
    "hub.order_label": "Commande n° {id} : {centre}, {outstanding} {product} restant(es)",
    "hub.hand_in_label": "Remise n° {id} : {maker}, {quantity} {item} le {date}",
    "hub.stock_intro": "Soldes du registre, article par article et étape par étape.",
    "hub.failed": "L'enregistrement a échoué",
    "hub.replayed": "Déjà enregistré : ce deuxième envoi n'a rien ajouté.",
    # --- the maker's page -------------------------------------------------------------
    "maker.title": "Mes imprimantes",
    "maker.register": "Déclarer une imprimante",
    "field.printer_name": "Nom de l'imprimante",
    "field.bed_x": "Plateau, largeur X (mm)",
    "field.bed_y": "Plateau, profondeur Y (mm)",
    "field.bed_z": "Hauteur d'impression Z (mm)",
    "field.nozzle": "Buse (mm)",
    "field.hours_from": "Disponible de",
    "field.hours_to": "jusqu'à",
    "field.connection": "Liaison",
    "field.mqtt_base_topic": "Sujet de base du greffon OctoPrint-MQTT",
    "field.octoprint_url": "Adresse d'OctoPrint (si le service peut la joindre)",
    "field.octoprint_api_key": "Clé d'API OctoPrint",
    "field.mqtt_base_topic.help": (
        "Copiez le « Base Topic » tel que les réglages du greffon OctoPrint-MQTT l'affichent, "
        "barre oblique finale comprise (par défaut « octoPrint/ »). Le greffon y ajoute "
        "« event/… », « temperature/… » et « mqtt », qu'aucune autre imprimante ne doit "
        "partager : choisissez par exemple « octoPrint/camille-mk3/ » et mettez la même "
        "valeur dans le greffon."
    ),
    "field.octoprint_url.help": (
        "L'adresse à laquelle le service joint votre OctoPrint : il y envoie les impressions "
        "et lui demande où il en est quand le greffon se tait. Sans elle, l'imprimante est "
        "seulement suivie."
    ),
    "field.octoprint_api_key.help": (
        "Une clé créée pour makerline dans OctoPrint (Paramètres → Application Keys). "
        "Elle est conservée chiffrée."
    ),
    "maker.plugin_fields": "Greffon OctoPrint-MQTT (facultatif)",
    "maker.register.submit": "Déclarer l'imprimante",
    "maker.registered": "Imprimante « {name} » déclarée (n° {id}).",
    "maker.credentials.warning": (
        "Copiez ces identifiants maintenant : ils ne seront plus jamais affichés. "
        "Mettez le jeton dans le fichier de l'agent, ~/.config/makerline/agent.toml."
    ),
    "maker.credentials.plugin_warning": (
        "Copiez ces identifiants maintenant : ils ne seront plus jamais affichés. Collez "
        "l'identifiant et le mot de passe MQTT dans les réglages du greffon OctoPrint-MQTT "
        "(Broker)."
    ),
    "maker.credentials.token": "Jeton de l'imprimante (printer_token)",
    "maker.credentials.mqtt_username": "Identifiant MQTT",
    "maker.credentials.mqtt_password": "Mot de passe MQTT",
    "maker.credentials.dismiss": "J'ai copié les identifiants",
    "maker.printers": "Mes imprimantes et leur état",
    "maker.no_printers": "Vous n'avez pas encore déclaré d'imprimante.",
    "maker.clear_bed": "Plateau libéré : {name}",
    "maker.clear_bed_help": "Retirez les pièces du plateau, puis confirmez.",
    "maker.clear_bed_done": "C'est noté : « {name} » peut reprendre le travail.",
    "maker.jobs": "Mes tâches d'impression",
    "maker.no_jobs": "Aucune tâche pour vos imprimantes.",
    "maker.hand_in": "Déclarer des pièces remises à l'atelier",
    "maker.hand_in.submit": "Déclarer la remise",
    "maker.hand_in.done": "Remise n° {id} déclarée : {quantity} {item}.",
    "maker.hand_ins": "Mes remises",
    "maker.no_hand_ins": "Aucune remise déclarée.",
    "maker.pending": "En attente de collecte",
    # --- the health centre's page -----------------------------------------------------
    "centre.title": "Commandes de {name}",
    "centre.new_order": "Passer une commande",
    "field.needed_by": "Pour le",
    "field.urgency": "Urgence",
    "field.address": "Adresse de livraison",
    "centre.order.submit": "Commander",
    "centre.placed": "Commande n° {id} enregistrée : {quantity} {product} pour le {needed_by}.",
    "centre.duplicate": "Cette commande ressemble à une commande déjà passée",
    "centre.confirm_duplicate": "Confirmer : ce n'est pas un doublon",
    "centre.drop_duplicate": "Abandonner cette commande",
    "centre.failed": "La commande n'a pas été enregistrée",
    "centre.orders": "Suivi de mes commandes",
    "centre.no_orders": "Vous n'avez pas encore passé de commande.",
    "centre.deliveries": "Livraisons",
    "centre.no_deliveries": "Aucune livraison pour l'instant.",
    "centre.to_confirm": "À confirmer",
    "centre.confirm_receipt": "Confirmer la réception de la livraison n° {id}",
    "centre.receipt_done": "Réception de la livraison n° {id} confirmée. Merci !",
}

ENGLISH: dict[str, str] = {
    "app.title": "makerline",
    "sidebar.language": "Langue / Language",
    "sidebar.signed_in_as": "Signed in: **{name}**",
    "sidebar.logout": "Log out",
    "role.coordinator": "Fab-lab coordination",
    "role.maker": "Maker",
    "role.health_centre": "Health centre",
    "page.login": "Sign in",
    "page.board": "Production board",
    "page.hub": "Hub work",
    "page.maker": "My printers",
    "page.centre": "My orders",
    "login.title": "Sign in to makerline",
    "login.intro": (
        "makerline coordinates the volunteer makers who print visors and AMICROCHE hooks "
        "for carers. Sign in with the access token you were given when you signed up."
    ),
    "login.token": "Access token",
    "login.token_help": "It starts with “mkl_”. It was shown to you once.",
    "login.submit": "Sign in",
    "login.empty": "Enter your access token.",
    "login.refused": "Sign-in refused",
    "login.unknown_role": "This account has a role the board does not know: {role}.",
    "login.expired": "Your token is no longer accepted: sign in again.",
    "error.refused": "The service refused the request ({status})",
    "error.server": "The service ran into an error ({status})",
    "error.unreachable": "The makerline service cannot be reached",
    "error.unreachable_detail": "Could not reach {url}: {reason}",
    "error.timeout_detail": "{url} did not answer in time.",
    "error.not_json": "The service's answer could not be read.",
    "common.yes": "Yes",
    "common.no": "No",
    "common.refreshed": "Updated at {time}, refreshed every {seconds} s.",
    "common.none_yet": "Nothing yet.",
    "age.seconds": "{n} s ago",
    "age.minutes": "{n} min ago",
    "age.hours": "{n} h ago",
    "age.days": "{n} d ago",
    "age.never": "never",
    "item.headband": "Headbands",
    "item.reinforcement": "Reinforcements",
    "item.amicroche": "AMICROCHE hooks",
    "item.film_sheet": "Film sheets",
    "item.elastic": "Elastic bands",
    "item.filament_g": "Filament (g)",
    "item.visor": "Visors",
    "stage.on_hand": "On hand",
    "stage.at_maker": "At makers",
    "stage.collected": "Collected",
    "stage.qc_passed": "QC passed",
    "stage.rejected": "Rejected",
    "stage.assembled": "Assembled",
    "stage.disinfected": "Disinfected",
    "stage.packed": "Packed",
    "stage.delivered": "Delivered",
    "printer_state.offline": "Offline",
    "printer_state.idle": "Idle",
    "printer_state.printing": "Printing",
    "printer_state.paused": "Paused",
    "printer_state.awaiting_clear": "Bed to clear",
    "printer_state.error": "Error",
    "job_status.queued": "Queued",
    "job_status.assigned": "Assigned",
    "job_status.sent": "Sent",
    "job_status.printing": "Printing",
    "job_status.awaiting_clear": "Bed to clear",
    "job_status.done": "Done",
    "job_status.failed": "Failed",
    "job_status.lost": "Lost",
    "job_status.cancelled": "Cancelled",
    "order_status.open": "Open",
    "order_status.delivered": "Delivered",
    "order_status.received": "Received",
    "order_status.cancelled": "Cancelled",
    "urgency.normal": "Normal",
    "urgency.high": "High",
    "urgency.critical": "Critical",
    "method.alcohol_70": "70% alcohol",
    "method.bleach": "Bleach",
    "method.quaternary_ammonium": "Quaternary ammonium",
    "method.uv": "Ultraviolet",
    "method.heat": "Heat",
    "connection.agent": "makerline agent",
    "connection.octoprint-mqtt": "OctoPrint-MQTT plugin",
    "col.id": "No.",
    "col.printer": "Printer",
    "col.maker": "Maker",
    "col.state": "State",
    "col.progress": "Progress",
    "col.job": "Job",
    "col.part": "Part",
    "col.last_seen": "Last seen",
    "col.material": "Material",
    "col.bed": "Bed (mm)",
    "col.nozzle": "Nozzle (mm)",
    "col.hours": "Available",
    "col.position": "Rank",
    "col.copies": "Copies",
    "col.order": "Order",
    "col.needed_by": "Needed by",
    "col.attempts": "Attempts",
    "col.flagged": "To check",
    "col.reason": "Last reason",
    "col.centre": "Health centre",
    "col.product": "Product",
    "col.quantity": "Quantity",
    "col.packed": "Packed",
    "col.delivered": "Delivered",
    "col.outstanding": "Outstanding",
    "col.eta": "Expected delivery",
    "col.eta_note": "Note",
    "eta_note.awaiting_supplies": "waiting for film or parts",
    "eta_note.no_printer_online": "no printer online",
    "col.late": "Late",
    "col.status": "Status",
    "col.urgency": "Urgency",
    "col.item": "Item",
    "col.stage": "Stage",
    "col.step": "Step",
    "col.declared_at": "Declared",
    "col.collected_at": "Collected",
    "col.delivered_at": "Delivered",
    "col.received_at": "Received",
    "col.created_at": "Placed",
    "col.started_at": "Started",
    "col.done_at": "Done",
    "col.note": "Note",
    "col.method": "Disinfection",
    "col.assembled_at": "Assembled",
    "col.grams": "Grams",
    "col.size": "Size (mm)",
    "board.title": "Production board",
    "board.section.products": "Products ordered and delivered",
    "board.section.printers": "Printers",
    "board.section.stages": "Parts and products at each stage",
    "board.section.film": "Transparent film",
    "kpi.visors_ordered": "Visors ordered",
    "kpi.visors_delivered": "Visors delivered",
    "kpi.visors_outstanding": "Visors outstanding",
    "kpi.hooks_ordered": "Hooks ordered",
    "kpi.hooks_delivered": "Hooks delivered",
    "kpi.hooks_outstanding": "Hooks outstanding",
    "kpi.printers_online": "Printers online",
    "kpi.printers_printing": "Printers printing",
    "kpi.printers_awaiting_clear": "Beds to clear",
    "kpi.printers_offline": "Printers offline",
    "kpi.stage_at_maker": "Parts at makers",
    "kpi.stage_collected": "Parts collected",
    "kpi.stage_qc_passed": "Parts QC passed",
    "kpi.stage_rejected": "Parts rejected",
    "kpi.stage_assembled": "Products assembled",
    "kpi.stage_disinfected": "Products disinfected",
    "kpi.stage_packed": "Products packed",
    "kpi.film_on_hand": "Film sheets on hand",
    "kpi.film_days_left": "Days of film left",
    "kpi.film_rate_help": "At the last 7 days' rate: {rate} sheets a day.",
    "kpi.film_no_rate_help": "No sheet used in the last 7 days.",
    "kpi.film_needed_help": "Open orders still need {needed}.",
    "board.alerts": "Alerts",
    "board.no_alerts": "No alerts: everything is on track.",
    "board.funnel": "From printer to carer",
    "board.funnel_caption": "Everything that went through each step, per product.",
    "board.throughput": "Hourly throughput",
    "board.throughput_caption": "Parts printed and products delivered, hour by hour.",
    "board.printers": "Printer fleet",
    "board.queue": "Print queue",
    "board.orders": "Orders",
    "funnel.printed": "Printed",
    "funnel.collected": "Collected",
    "funnel.qc_passed": "QC passed",
    "funnel.assembled": "Assembled",
    "funnel.disinfected": "Disinfected",
    "funnel.delivered": "Delivered",
    "product.visor": "Visors",
    "product.amicroche": "AMICROCHE hooks",
    "series.printed": "Parts printed",
    "series.delivered": "Products delivered",
    "axis.hour": "Hour",
    "axis.quantity": "Quantity",
    "grid.state_filter": "State",
    "grid.all_states": "All states",
    "grid.page": "Page",
    "grid.count": "Printers {first} to {last} of {total}.",
    "grid.empty": "No printer in this state.",
    "queue.count": "The next {shown} jobs, of {total} queued.",
    "queue.empty": "No job queued.",
    "orders.show_closed": "Also show delivered and cancelled orders",
    "orders.empty": "No orders.",
    "orders.late_count": "{count} order(s) late.",
    "alert.printer_offline_during_job": (
        "Printer “{printer}” (no. {printer_id}) is offline during job no. {job_id}."
    ),
    "alert.job_failed_twice": "Job no. {job_id} ({part}) failed {failures} times.",
    "alert.job_flagged": "It is waiting for a person to look at it.",
    "alert.last_reason": "Last reason: {reason}.",
    "alert.film_shortfall": (
        "Film will run out before the open orders are met: {on_hand} sheets on hand, "
        "{needed} needed, {missing} missing."
    ),
    "alert.order_late": (
        "Order no. {order_id} from {centre} ({quantity}) will be late: needed by "
        "{needed_by}, expected {eta}."
    ),
    "alert.order_late_no_eta": (
        "Order no. {order_id} from {centre} ({quantity}) will be late: needed by "
        "{needed_by}, with no delivery date in sight."
    ),
    "alert.since": "Since {time}.",
    "alert.unknown": "Alert {kind}: {params}",
    "alert.printer_cannot_print": (
        "Printer “{printer}” (no. {printer_id}) of {maker} cannot be given work: {reason}."
    ),
    "alert.printer_cannot_print_parts": (
        "Printer “{printer}” (no. {printer_id}) of {maker} cannot print {parts}: {reason}."
    ),
    "alert.part_cannot_be_sliced": "Part {part} cannot be sliced for any printer: {reason}.",
    "alert.retry_at": "Next try around {time}.",
    "slicing_problem.settings_out_of_range": (
        "its bed, nozzle or filament is outside what a desktop printer has; correct its settings"
    ),
    "slicing_problem.material_unknown": (
        "makerline has no settings for the filament loaded; choose PLA, PETG, ABS, ASA or TPU"
    ),
    "slicing_problem.bed_too_small": "its bed is too small for every part",
    "slicing_problem.stl_missing": (
        "its STL file is missing on the server; upload it again under a new key"
    ),
    "slicing_problem.stl_changed": (
        "its STL file on the server is no longer the one uploaded; upload it again under a new key"
    ),
    "slicing_problem.slicer_missing": "PrusaSlicer is not installed on the server",
    "slicing_problem.slicer_failed": "PrusaSlicer refused its settings or stopped with an error",
    "slicing_problem.slicer_timeout": "PrusaSlicer did not finish in time",
    "slicing_problem.estimate_unreadable": (
        "the printing time or weight could not be read from the G-code"
    ),
    "slicing_problem.wrong_copies": "the G-code does not hold the number of copies asked for",
    "slicing_problem.unexpected": "an unexpected error occurred (see the orchestrator's log)",
    "hub.title": "Hub work",
    "hub.intro": ("Each record appends movements to the stock ledger. A double click counts once."),
    "hub.tab.donation": "Donations",
    "hub.tab.collection": "Collection",
    "hub.tab.qc": "Quality control",
    "hub.tab.batch": "Assembly",
    "hub.tab.disinfection": "Disinfection",
    "hub.tab.packing": "Packing",
    "hub.tab.delivery": "Delivery",
    "hub.tab.part": "New part",
    "hub.tab.trace": "Traceability",
    "hub.tab.stock": "Stock",
    "field.donor": "Donor",
    "field.item": "Item",
    "field.quantity": "Quantity",
    "field.material": "Material",
    "field.filament_material": "Material (for a filament donation)",
    "field.note": "Note",
    "field.maker": "Maker",
    "field.hand_in": "Hand-in declared by the maker",
    "field.no_hand_in": "None (collected without a declaration)",
    "field.passed": "Parts passed",
    "field.rejected": "Parts rejected",
    "field.reason": "Reason for rejection",
    "field.product": "Product",
    "field.batch": "Batch",
    "field.method": "Method",
    "field.disinfected_on": "Date of disinfection",
    "field.order": "Order",
    "field.stl_file": "STL file",
    "field.part_key": "Key (lower case, digits, - and _)",
    "field.name_fr": "Name in French",
    "field.name_en": "Name in English",
    "field.bom_role": "Bill-of-materials role",
    "field.orientation": "Orientation",
    "hub.donation.submit": "Record the donation",
    "hub.donation.done": "Donation no. {id} recorded: {quantity} {item}.",
    "hub.collection.submit": "Record the collection",
    "hub.qc.submit": "Record quality control",
    "hub.batch.submit": "Assemble the batch",
    "hub.batch.done": "Batch no. {id} assembled: {quantity} {product}.",
    "hub.disinfection.submit": "Record the disinfection",
    "hub.disinfection.done": "Batch no. {id} disinfected.",
    "hub.disinfection.none": "No batch is waiting for disinfection.",
    "hub.packing.submit": "Pack for the order",
    "hub.delivery.submit": "Record the delivery",
    "hub.delivery.done": "Delivery no. {id} recorded: {quantity} for order no. {order}.",
    "hub.movements.done": "Recorded: {count} stock movement(s).",
    "hub.no_open_orders": "No open orders.",
    "hub.no_makers": "No maker has signed up.",
    "hub.part.intro": (
        "Add a printable part from an STL file (50 MB at most). The service checks that the "
        "mesh is closed and fits at least one printer."
    ),
    "hub.part.submit": "Add the part",
    "hub.part.done": "Part “{part}” added: {grams} g, {size} mm.",
    "hub.part.no_file": "Choose an STL file.",
    "hub.parts": "Parts in the catalogue",
    "hub.trace.intro": "Choose a batch to find the makers and printers its parts came from.",
    "hub.trace.none": "No batch assembled yet.",
    "hub.trace.makers": "Makers: {makers}",
    "hub.trace.orders": "Delivered or packed for orders: {orders}",
    "hub.trace.no_orders": "This batch has not gone to any order yet.",
    "hub.batch_label": "Batch no. {id}: {quantity} {product}, assembled {date}",
    "hub.order_label": "Order no. {id}: {centre}, {outstanding} {product} outstanding",
    "hub.hand_in_label": "Hand-in no. {id}: {maker}, {quantity} {item} on {date}",
    "hub.stock_intro": "Ledger balances, item by item and stage by stage.",
    "hub.failed": "The record was not saved",
    "hub.replayed": "Already recorded: this second submission added nothing.",
    "maker.title": "My printers",
    "maker.register": "Register a printer",
    "field.printer_name": "Printer name",
    "field.bed_x": "Bed width X (mm)",
    "field.bed_y": "Bed depth Y (mm)",
    "field.bed_z": "Build height Z (mm)",
    "field.nozzle": "Nozzle (mm)",
    "field.hours_from": "Available from",
    "field.hours_to": "until",
    "field.connection": "Link",
    "field.mqtt_base_topic": "OctoPrint-MQTT plugin base topic",
    "field.octoprint_url": "OctoPrint URL (if the service can reach it)",
    "field.octoprint_api_key": "OctoPrint API key",
    "field.mqtt_base_topic.help": (
        "Copy the Base Topic exactly as the OctoPrint-MQTT plugin's settings show it, "
        "trailing slash included (by default 'octoPrint/'). The plugin appends 'event/…', "
        "'temperature/…' and 'mqtt' to it, and no other printer may share those: choose, "
        "say, 'octoPrint/camille-mk3/' and enter the same value in the plugin."
    ),
    "field.octoprint_url.help": (
        "The address the service reaches your OctoPrint at: it sends prints there, and asks "
        "it how it is when the plugin is silent. Without it, the printer is only followed."
    ),
    "field.octoprint_api_key.help": (
        "A key made for makerline in OctoPrint (Settings → Application Keys). It is stored sealed."
    ),
    "maker.plugin_fields": "OctoPrint-MQTT plugin (optional)",
    "maker.register.submit": "Register the printer",
    "maker.registered": "Printer “{name}” registered (no. {id}).",
    "maker.credentials.warning": (
        "Copy these credentials now: they will never be shown again. Put the token in the "
        "agent's file, ~/.config/makerline/agent.toml."
    ),
    "maker.credentials.plugin_warning": (
        "Copy these credentials now: they will never be shown again. Paste the MQTT username "
        "and password into the OctoPrint-MQTT plugin's settings (Broker)."
    ),
    "maker.credentials.token": "Printer token (printer_token)",
    "maker.credentials.mqtt_username": "MQTT username",
    "maker.credentials.mqtt_password": "MQTT password",
    "maker.credentials.dismiss": "I have copied the credentials",
    "maker.printers": "My printers and their state",
    "maker.no_printers": "You have not registered a printer yet.",
    "maker.clear_bed": "Bed cleared: {name}",
    "maker.clear_bed_help": "Take the parts off the bed, then confirm.",
    "maker.clear_bed_done": "Noted: “{name}” can take work again.",
    "maker.jobs": "My print jobs",
    "maker.no_jobs": "No jobs for your printers.",
    "maker.hand_in": "Declare parts handed in to the hub",
    "maker.hand_in.submit": "Declare the hand-in",
    "maker.hand_in.done": "Hand-in no. {id} declared: {quantity} {item}.",
    "maker.hand_ins": "My hand-ins",
    "maker.no_hand_ins": "No hand-ins declared.",
    "maker.pending": "Waiting for collection",
    "centre.title": "Orders of {name}",
    "centre.new_order": "Place an order",
    "field.needed_by": "Needed by",
    "field.urgency": "Urgency",
    "field.address": "Delivery address",
    "centre.order.submit": "Order",
    "centre.placed": "Order no. {id} placed: {quantity} {product} by {needed_by}.",
    "centre.duplicate": "This order looks like one already placed",
    "centre.confirm_duplicate": "Confirm: this is not a duplicate",
    "centre.drop_duplicate": "Drop this order",
    "centre.failed": "The order was not placed",
    "centre.orders": "Following my orders",
    "centre.no_orders": "You have not placed an order yet.",
    "centre.deliveries": "Deliveries",
    "centre.no_deliveries": "No deliveries yet.",
    "centre.to_confirm": "To confirm",
    "centre.confirm_receipt": "Confirm receipt of delivery no. {id}",
    "centre.receipt_done": "Receipt of delivery no. {id} confirmed. Thank you!",
}

MESSAGES: dict[str, dict[str, str]] = {"fr": FRENCH, "en": ENGLISH}


def translate(language: str, key: str, **params: Any) -> str:
    """The sentence `key` in `language`, with `params` filled in."""
    template = MESSAGES.get(language, FRENCH).get(key) or FRENCH.get(key) or key
    if not params:
        return template
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        return template


def current_language() -> str:
    """The language chosen in the sidebar, or French outside a Streamlit run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx() is None:
        return DEFAULT_LANGUAGE
    import streamlit as st

    language = st.session_state.get(LANGUAGE_KEY, DEFAULT_LANGUAGE)
    return language if language in MESSAGES else DEFAULT_LANGUAGE


def t(key: str, **params: Any) -> str:
    """The sentence `key` in the reader's language."""
    return translate(current_language(), key, **params)


def choice_key(name: str) -> str:
    """The key of a choice whose labels are translated: one widget per language.

    Streamlit's browser side remembers a choice by its label, so after a language switch
    the old label would stay on screen and, sent back, be taken for the first option.
    A fresh widget per language shows the right labels and never picks silently.
    """
    return f"{name}-{current_language()}"
