"""Every sentence the app shows, in French first and in English.

`translate(language, key, **params)` is pure; `t(key, **params)` uses the language the
person chose in the sidebar (French until they choose). A key missing from a language
falls back to French, then to the key itself, so a gap shows up instead of crashing.

A sentence that counts something is a dict of CLDR plural forms, such as
`{"one": "{count} visière", "other": "{count} visières"}`: `t(key, count=n)` picks the
form Babel's plural rule gives for the language (French says "1 visière", "0 visière",
English "0 visors") and writes `count` the locale's way ("1 700" in French).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from babel import Locale
from babel.numbers import format_decimal
from babel.plural import PluralRule

# A sentence, or one per CLDR plural category ("zero", "one", "two", "few", "many",
# "other"); "other" is always there.
Message = str | dict[str, str]

LANGUAGE_KEY = "language"
DEFAULT_LANGUAGE = "fr"
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}

FRENCH: dict[str, Message] = {
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
    "login.signed_out": "Pour ouvrir cette page, connectez-vous avec votre jeton d'accès.",
    "signin.error_title": "Erreur : {title}",
    "signin.language": "Langue",
    "signin.duration": (
        "La connexion dure {duration} sur ce navigateur, ou jusqu'à ce que vous vous "
        "déconnectiez. Sur un ordinateur partagé, déconnectez-vous en partant."
    ),
    "signin.refused": (
        "Ce jeton n'est pas reconnu. Vérifiez-le, ou demandez-en un nouveau à la "
        "coordination du fab-lab."
    ),
    "signin.printer_token": (
        "C'est le jeton d'une imprimante. Connectez-vous avec le jeton de votre compte."
    ),
    "signin.too_many": ("Trop de jetons refusés depuis votre adresse. Réessayez dans {seconds} s."),
    "signin.unreachable": (
        "Le service makerline ne répond pas. Réessayez dans un instant ; si cela dure, "
        "prévenez la coordination du fab-lab."
    ),
    "signin.service_error": (
        "Le service makerline a rencontré une erreur ({status}). Réessayez dans un instant."
    ),
    "signin.other_site": (
        "Cette demande ne vient pas de la page de connexion de makerline : "
        "connectez-vous depuis cette page."
    ),
    # --- errors -----------------------------------------------------------------------
    "error.refused": "Le service a refusé la demande ({status})",
    "error.server": "Le service a rencontré une erreur ({status})",
    "error.unreachable": "Le service makerline est injoignable",
    "error.unreachable_detail": "Impossible de joindre {url} : {reason}",
    "error.timeout_detail": "{url} n'a pas répondu à temps.",
    "error.not_json": "Réponse illisible du service.",
    "timezone.label": "heure de {city} ({offset})",
    # The service's refusals by code (its `code` and `params`), then a sentence per status
    # for a code the app does not know yet.
    "apierror.period_until_in_future": (
        "La date de fin est dans le futur : choisissez au plus aujourd'hui."
    ),
    "apierror.period_since_too_early": (
        "La date de début est avant le {earliest} : rien n'a été fabriqué avant."
    ),
    "apierror.period_reversed": (
        "La date de début est après la date de fin : donnez d'abord le premier jour, puis le "
        "dernier."
    ),
    "apierror.period_too_long": "Une période couvre au plus un an : exportez une année à la fois.",
    "apierror.coordinator_signup_refused": (
        "Les comptes de coordination sont créés par la coordination, pas par inscription."
    ),
    "apierror.centre_needs_invite": (
        "Les établissements de santé s'inscrivent avec le code d'invitation donné par le fab-lab ; "
        "demandez-le à la coordination."
    ),
    "apierror.invite_code_wrong": (
        "L'inscription demande le code d'invitation de la coordination, et celui-ci n'est pas le "
        "bon."
    ),
    "apierror.no_maker_profile": "Ce compte n'a pas de profil de maker.",
    "apierror.maker_not_found": "Le maker n° {maker} n'existe pas.",
    "apierror.account_not_found": "Le compte n° {account} n'existe pas.",
    "apierror.part_key_taken": (
        "Une pièce porte déjà l'identifiant « {key} ». Choisissez-en un autre, ou utilisez la "
        "pièce existante."
    ),
    "apierror.upload_too_large": (
        "Le fichier dépasse la taille permise. Exportez la pièce avec moins de triangles."
    ),
    "apierror.stl_refused": "Ce fichier STL est refusé : {stl_problem}",
    "apierror.stl_problem.not_stl": (
        "ce n'est pas un fichier STL lisible. Exportez la pièce en STL et téléversez ce fichier."
    ),
    "apierror.stl_problem.truncated": "le fichier est incomplet. Téléversez le fichier entier.",
    "apierror.stl_problem.non_finite": (
        "certaines coordonnées ne sont pas des nombres. Réparez le maillage et exportez-le de "
        "nouveau."
    ),
    "apierror.stl_problem.open_mesh": (
        "la surface de la pièce n'est pas fermée. Réparez le maillage (rendez-le étanche) et "
        "exportez-le de nouveau."
    ),
    "apierror.stl_problem.degenerate_faces": (
        "certaines faces n'ont pas de surface. Réparez le maillage et exportez-le de nouveau."
    ),
    "apierror.stl_problem.too_many_triangles": (
        "la pièce a trop de triangles. Exportez-la avec une résolution plus grossière."
    ),
    "apierror.stl_problem.too_large": (
        "le fichier dépasse la taille permise. Exportez la pièce avec moins de triangles."
    ),
    "apierror.stl_problem.empty": "le fichier est vide. Exportez la pièce de nouveau.",
    "apierror.stl_problem.too_big_for_beds": (
        "la pièce ne tient sur le plateau d'aucune imprimante inscrite. Réduisez-la ou découpez-la."
    ),
    "apierror.cannot_slice": "Impossible de préparer l'impression : {problem}.",
    "apierror.job_not_found": "La tâche d'impression n° {job} n'existe pas.",
    "apierror.job_has_no_printer_for_gcode": (
        "La tâche n° {job} n'a pas encore d'imprimante : elle n'a pas de G-code à télécharger."
    ),
    "apierror.job_on_other_printer": "La tâche n° {job} est attribuée à une autre imprimante.",
    "apierror.job_not_sliced": (
        "La tâche n° {job} n'est pas encore tranchée. Attendez son ordre de démarrage, puis "
        "réessayez."
    ),
    "apierror.part_not_found": "La pièce n° {part} n'existe pas.",
    "apierror.gcode_cannot_be_remade": (
        "Le G-code de la tâche n° {job} est introuvable et ne peut pas être refait ici : {problem}."
    ),
    "apierror.gcode_settings_changed": (
        "Le G-code de la tâche n° {job} ne correspond plus aux réglages de l'imprimante ; "
        "l'orchestrateur renverra la tâche."
    ),
    "apierror.printer_not_found": "L'imprimante n° {printer} n'existe pas.",
    "apierror.order_not_found": "La commande n° {order} n'existe pas.",
    "apierror.job_not_yours": "La tâche n° {job} n'est sur aucune de vos imprimantes.",
    "apierror.job_cancelled_cannot_count": (
        "La tâche n° {job} a été annulée : ses pièces ne peuvent pas être comptées."
    ),
    "apierror.job_has_no_printer_for_parts": (
        "La tâche n° {job} n'a pas encore d'imprimante : aucun maker ne détient ses pièces."
    ),
    "apierror.job_never_started": (
        "La tâche n° {job} est « {job_status} » : elle n'a jamais démarré sur votre imprimante, "
        "elle ne peut donc pas être terminée. Démarrez-la d'abord, ou demandez à la coordination."
    ),
    "apierror.job_nothing_to_cancel": (
        "La tâche n° {job} est « {job_status} » : il n'y a plus rien à annuler."
    ),
    "apierror.printer_no_status_yet": "L'imprimante n° {printer} n'a encore envoyé aucun état.",
    "apierror.already_on_hold": (
        "Il y a déjà un blocage actif sur cette cible ({scope}) : le blocage n° {hold}."
    ),
    "apierror.scope.batch": "lot",
    "apierror.scope.job": "tâche d'impression",
    "apierror.scope.printer": "imprimante",
    "apierror.scope.maker": "maker",
    "apierror.scope.period": "période",
    "apierror.period_hold_fields": (
        "Un blocage sur une période donne une date de début et une date de fin, sans numéro."
    ),
    "apierror.period_hold_reversed": (
        "Le début d'un blocage sur une période ne peut pas être après sa fin."
    ),
    "apierror.hold_needs_id_only": (
        "Pour un blocage de type « {scope} », donnez seulement le numéro, sans dates."
    ),
    "apierror.hold_target_not_found": "Introuvable : {scope} n° {target}.",
    "apierror.hold_not_found": "Le blocage n° {hold} n'existe pas.",
    "apierror.hold_already_closed": (
        "Le blocage n° {hold} est déjà « {hold_status} » depuis le {closed_at}."
    ),
    "apierror.hold_nothing_delivered": (
        "Rien du blocage n° {hold} n'a été livré : il n'y a aucun centre à prévenir."
    ),
    "apierror.chat_url_not_public": (
        "L'adresse du salon de discussion est locale ou privée, le service ne peut pas l'appeler. "
        "Donnez l'adresse de webhook fournie par votre messagerie."
    ),
    "apierror.message_kinds_not_for_role": (
        "Ces messages ne sont pas envoyés à votre rôle ({role}) : {message_kinds}."
    ),
    "apierror.unsubscribe_link_unknown": "Ce lien de désinscription ne correspond à personne.",
    "apierror.defect_text_missing": "Dites en quelques mots ce qui ne va pas avec le lot.",
    "apierror.batch_not_delivered_to_you": (
        "Le lot n° {batch} ne vous a pas été livré ; signalez un lot que vous avez reçu, ou "
        "utilisez la page qu'ouvre le QR code de son étiquette."
    ),
    "apierror.too_many_printers": (
        "Vous avez déjà {held} imprimantes, le maximum pour un maker ici. Supprimez-en une que "
        "vous n'utilisez plus, ou demandez à la coordination."
    ),
    "apierror.octoprint_url_not_public": (
        "L'adresse d'OctoPrint est locale ou privée, le service ne peut pas l'appeler. Donnez "
        "l'adresse à laquelle OctoPrint répond depuis internet, ou demandez au fab-lab d'autoriser "
        "son réseau."
    ),
    "apierror.printer_of_other_maker": "L'imprimante n° {printer} appartient à un autre maker.",
    "apierror.printer_has_jobs": (
        "L'imprimante n° {printer} a des tâches enregistrées, gardées pour que les lots restent "
        "traçables. Mettez-la en pause au lieu de la supprimer."
    ),
    "apierror.pause_starts_in_past": "Une pause ne peut pas commencer dans le passé.",
    "apierror.pause_starts_too_late": "Une pause commence dans l'année qui vient.",
    "apierror.pause_ends_before_start": "Une pause finit après son début.",
    "apierror.pause_too_long": "Une pause dure un an au plus.",
    "apierror.pause_printer_or_maker": (
        "Mettez en pause une imprimante ou un maker, pas les deux à la fois."
    ),
    "apierror.pause_whose": "Dites quelle imprimante ou quel maker mettre en pause.",
    "apierror.pause_other_maker": "Un maker ne met en pause que ses propres imprimantes.",
    "apierror.too_many_pauses": (
        "{limit} pauses au plus peuvent être prévues : terminez ou annulez-en une d'abord."
    ),
    "apierror.pause_not_found": "La pause n° {pause} n'existe pas.",
    "apierror.printer_token_invalid": "Ce jeton d'imprimante n'est pas valable.",
    "apierror.material_invalid": (
        "« {material} » n'est pas une matière : donnez un filament comme PLA, PETG ou ABS "
        "(lettres, chiffres, + ou -)."
    ),
    "apierror.filament_grams_zero": (
        "Donnez le poids de la bobine en grammes, ou un nombre négatif pour corriger."
    ),
    "apierror.filament_reason_missing": (
        "Dites pourquoi il y a moins de filament (par exemple : utilisé ailleurs)."
    ),
    "apierror.product_not_found": (
        "Le produit « {product} » n'existe pas. Produits connus : {known}."
    ),
    "apierror.part_key_not_found": "La pièce « {key} » n'existe pas.",
    "apierror.label_unknown": "Aucun lot ne porte cette étiquette.",
    "apierror.token_missing": "Connectez-vous avec votre jeton d'accès.",
    "apierror.token_invalid": (
        "Ce jeton n'est pas valable. Demandez-en un nouveau à la coordination."
    ),
    "apierror.idempotency_key_reused": (
        "Cette demande reprend la clé d'une demande différente. Rechargez la page et recommencez."
    ),
    "apierror.printer_token_for_account": (
        "C'est le jeton d'une imprimante ; connectez-vous avec le jeton de votre compte."
    ),
    "apierror.account_token_for_printer": (
        "C'est le jeton d'un compte ; envoyez le jeton de l'imprimante."
    ),
    "apierror.role_not_allowed": "Réservé à : {roles}. Vous êtes connecté en tant que « {role} ».",
    "apierror.maker_id_needed": "En tant que coordination, choisissez le maker concerné.",
    "apierror.health_centre_id_needed": (
        "En tant que coordination, choisissez l'établissement qui commande."
    ),
    "apierror.health_centre_not_found": "L'établissement de santé n° {centre} n'existe pas.",
    "apierror.coordinator_has_no_filament": (
        "La coordination n'a pas de filament à elle : déclarez-le pour un maker."
    ),
    "apierror.filament_not_yours": (
        "Seuls la coordination ou le maker lui-même déclarent le filament d'un maker."
    ),
    "apierror.mqtt_url_needs_credentials": (
        "L'adresse du broker MQTT doit contenir les identifiants du service pour écrire ses "
        "fichiers."
    ),
    "apierror.printer_unroutable": (
        "L'imprimante n° {printer} ne peut pas être suivie : son sujet de base MQTT est vide, mal "
        "formé ou déjà pris par une autre imprimante."
    ),
    "apierror.printer_gone": "L'imprimante n° {printer} n'est plus inscrite.",
    "apierror.broker_unreachable": (
        "Le broker MQTT est injoignable : l'imprimante n'a pas été prévenue. Réessayez dans un "
        "instant."
    ),
    "apierror.broker_no_ack": (
        "Le broker n'a pas confirmé l'ordre à temps. Réessayez dans un instant."
    ),
    "apierror.duplicate_order": (
        "Cette commande ressemble à un doublon : la commande n° {order} ({product}, quantité "
        "{quantity}) a été passée le {placed_at}. Si vous avez vraiment besoin des deux, confirmez "
        "le doublon et envoyez de nouveau."
    ),
    "apierror.order_of_other_centre": "La commande n° {order} appartient à un autre établissement.",
    "apierror.order_cannot_be_cancelled": (
        "La commande n° {order} est « {order_status} » et ne peut plus être annulée."
    ),
    "apierror.donation_not_a_supply": "Les dons sont des fournitures ({supplies}), pas « {item} ».",
    "apierror.filament_donation_needs_material": (
        "Un don de filament indique sa matière, par exemple PETG ou PLA."
    ),
    "apierror.hand_in_not_printed_part": (
        "Les makers remettent des pièces imprimées, pas « {item} »."
    ),
    "apierror.collection_not_printed_part": (
        "Seules les pièces imprimées sont collectées chez les makers, pas « {item} »."
    ),
    "apierror.hand_in_not_found": "Le maker n° {maker} n'a pas de remise n° {hand_in}.",
    "apierror.hand_in_already_collected": "La remise n° {hand_in} a déjà été collectée.",
    "apierror.qc_not_printed_part": (
        "Le contrôle qualité porte sur les pièces imprimées, pas sur « {item} »."
    ),
    "apierror.qc_counts_missing": (
        "Indiquez combien de pièces sont conformes et combien sont rejetées."
    ),
    "apierror.qc_reason_missing": (
        "Dites pourquoi des pièces sont rejetées (par exemple : délaminées, déformées)."
    ),
    "apierror.batch_not_found": "Le lot n° {batch} n'existe pas.",
    "apierror.batch_already_disinfected": (
        "Le lot n° {batch} a déjà été désinfecté le {disinfected_at}."
    ),
    "apierror.order_cancelled": "La commande n° {order} est annulée.",
    "apierror.packing_quantity_wrong": (
        "La commande n° {order} attend encore {remaining}, pas {quantity} : {already} sont déjà "
        "emballés ou livrés pour elle."
    ),
    "apierror.delivery_not_found": "La livraison n° {delivery} n'existe pas.",
    "apierror.delivery_of_other_centre": (
        "La livraison n° {delivery} est allée à un autre établissement."
    ),
    "apierror.not_enough_stock": (
        "Pas assez de « {item} » à l'étape « {stage} » : il en faut {needed}, il y en a "
        "{available}. Enregistrez d'abord le stock manquant, ou demandez moins."
    ),
    "apierror.too_many_requests": "{door} Patientez {wait} s avant de réessayer.",
    "apierror.door.signup": "Trop d'inscriptions depuis votre adresse.",
    "apierror.door.invite-code": "Trop de codes d'invitation erronés depuis votre adresse.",
    "apierror.door.token": "Trop de jetons erronés depuis votre adresse.",
    "apierror.door.write": "Trop de modifications depuis votre compte.",
    "apierror.unknown_address": "Cette adresse n'existe pas sur le service.",
    "apierror.method_not_allowed": "Le service ne permet pas cette action à cette adresse.",
    "apierror.body_too_large": (
        "La demande est trop volumineuse pour cette adresse : envoyez moins."
    ),
    "apierror.request_refused": "Le service a refusé la demande ({status}).",
    "apierror.invalid_fields": "Certains champs ne sont pas valables :",
    "apierror.concurrent_change": (
        "Cette modification entre en conflit avec une autre faite au même moment, ou renvoie à "
        "quelque chose qui n'existe pas. Rechargez et réessayez."
    ),
    "apierror.value_not_storable": (
        "Une valeur est hors limites ou contient des caractères qui ne peuvent pas être "
        "enregistrés."
    ),
    "apierror.database_unavailable": (
        "La base de données est occupée ou injoignable. Réessayez dans un instant."
    ),
    "error.status.400": "La demande n'a pas de sens pour le service.",
    "error.status.401": "Votre jeton n'est pas accepté : reconnectez-vous.",
    "error.status.403": "Votre compte n'a pas le droit de faire cela.",
    "error.status.404": "Introuvable.",
    "error.status.409": "Le stock ou l'état actuel ne le permet pas.",
    "error.status.413": "La demande est trop volumineuse.",
    "error.status.422": "Une valeur n'est pas acceptée.",
    "error.status.429": "Trop de tentatives : patientez, puis réessayez.",
    "error.status.503": "Le service est indisponible un instant. Réessayez.",
    "error.status.other": "Le service n'a pas pu traiter la demande.",
    # 422 field lists: "field: reason" lines, the reason by pydantic's error type.
    "validation.line": "{field} : {reason}",
    "validation.missing": "à remplir",
    "validation.greater_than": "doit être supérieur à {gt}",
    "validation.greater_than_equal": "doit être supérieur ou égal à {ge}",
    "validation.less_than": "doit être inférieur à {lt}",
    "validation.less_than_equal": "doit être inférieur ou égal à {le}",
    "validation.string_too_long": "trop long : {max_length} caractères au plus",
    "validation.string_too_short": "trop court : {min_length} caractère(s) au moins",
    "validation.too_long": "trop d'éléments : {max_length} au plus",
    "validation.too_short": "pas assez d'éléments : {min_length} au moins",
    "validation.int_parsing": "doit être un nombre entier",
    "validation.int_from_float": "doit être un nombre entier",
    "validation.float_parsing": "doit être un nombre",
    "validation.bool_parsing": "doit être oui ou non",
    "validation.date_parsing": "doit être une date",
    "validation.date_from_datetime_parsing": "doit être une date",
    "validation.datetime_parsing": "doit être une date et une heure",
    "validation.time_parsing": "doit être une heure",
    "validation.enum": "n'est pas un des choix proposés",
    "validation.literal_error": "n'est pas un des choix proposés",
    "validation.string_pattern_mismatch": "n'a pas la forme attendue",
    "validation.string_type": "doit être un texte",
    "validation.url_parsing": "n'est pas une adresse web valable",
    "validation.url_scheme": "doit commencer par http:// ou https://",
    "validation.value_error": "valeur refusée",
    "validation.value_error.availability_hours": (
        "ne se lisent pas comme des heures par semaine ; écrivez-les par exemple "
        "« lu-ve 18:00-23:00; sa,di 09:00-22:00 »"
    ),
    "validation.extra_forbidden": "champ inconnu",
    "validation.json_invalid": "le corps de la demande n'est pas du JSON valable",
    "validation.finite_number": "n'est pas un nombre que le service accepte",
    "validation.string_invalid": "contient un caractère qui ne peut pas être enregistré",
    "validation.other": "valeur refusée",
    "field.body": "Demande",
    "field.product_key": "Produit",
    "field.delivery_address": "Adresse de livraison",
    "field.confirm_duplicate": "Confirmer le doublon",
    "field.name": "Nom",
    "field.bed_x_mm": "Plateau, largeur X (mm)",
    "field.bed_y_mm": "Plateau, profondeur Y (mm)",
    "field.bed_z_mm": "Hauteur d'impression Z (mm)",
    "field.nozzle_mm": "Buse (mm)",
    "field.availability_hours": "Heures de disponibilité",
    "field.connection_kind": "Liaison",
    "field.language": "Langue",
    "field.bed_reminder_minutes": "Rappel du plateau (minutes)",
    "field.night_messages": "Messages la nuit",
    "field.maker_id": "Maker",
    "field.hand_in_id": "Remise",
    "field.order_id": "Commande",
    "field.batch_id": "Lot",
    "field.grams": "Grammes",
    "field.key": "Identifiant",
    "field.copies": "Copies",
    "field.since": "Du",
    "field.until": "Au",
    "field.id": "Numéro",
    "field.scope": "Quoi",
    "field.chat_url": "Adresse du salon de discussion",
    "field.email": "E-mail",
    "field.phone": "Téléphone",
    "field.city": "Ville",
    "field.invite_code": "Code d'invitation",
    "field.role": "Rôle",
    "field.file": "Fichier",
    # --- common words -------------------------------------------------------------------
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
    "col.paused": "En pause",
    "col.from": "Du",
    "col.until": "Jusqu'au",
    "col.pause_reason": "Raison",
    "col.pause_state": "État",
    "pause.all_printers": "Toutes mes imprimantes",
    "pause.all_printers_of": "Toutes les imprimantes de {maker}",
    "printer_state.under_pause": "{state} · en pause, sans nouvelle tâche",
    "pause.until_resumed": "jusqu'à la reprise",
    "pause.now": "en cours",
    "pause.to_come": "à venir",
    "pause.resume": "Reprendre : {what}",
    "pause.cancel": "Annuler la pause du {day} : {what}",
    "maker.pauses": "Pauses et vacances",
    "maker.pauses.intro": (
        "Une imprimante en pause termine l'impression en cours et ne reçoit plus de nouvelle "
        "tâche. Sans premier jour, la pause commence maintenant ; sans dernier jour, elle dure "
        "jusqu'à ce que vous repreniez."
    ),
    "maker.pauses.none": "Aucune pause en cours ni prévue.",
    "field.pause_target": "Imprimante",
    "field.pause_first_day": "Premier jour (facultatif)",
    "field.pause_last_day": "Dernier jour (facultatif)",
    "field.pause_reason": "Raison (facultatif)",
    "maker.pause.submit": "Mettre en pause",
    "maker.pause.done": "Pause enregistrée : {what}.",
    "maker.pause.ended": "Pause terminée : {what}.",
    "hub.tab.pauses": "Pauses et vacances",
    "hub.pauses.intro": (
        "Une imprimante en pause termine l'impression en cours et ne reçoit plus de nouvelle "
        "tâche. Mettez en pause une imprimante, ou toutes celles d'un maker. Sans premier "
        "jour, la pause commence maintenant ; sans dernier jour, elle dure jusqu'à la reprise."
    ),
    "field.pause_target_any": "Imprimante ou maker",
    "maker.hours": "Heures de mes imprimantes",
    "maker.hours.intro": (
        "Changez quand une imprimante peut imprimer : par exemple le soir en semaine et "
        "dans la journée le week-end."
    ),
    "field.hours_printer": "Imprimante",
    "maker.hours.submit": "Enregistrer les heures",
    "maker.hours.done": "Heures de {printer} enregistrées : {hours}.",
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
    "col.remaining": "À produire",
    "col.eta": "Livraison prévue",
    "col.eta_note": "Remarque",
    "eta_note.no_printer_online": "aucune imprimante en ligne ne peut l'imprimer",
    "col.late": "En retard",
    "col.status": "Statut",
    "col.urgency": "Urgence",
    "col.item": "Article",
    "col.stage": "Étape",
    "col.step": "Étape",
    "col.series": "Série",
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
    "kpi.visors_ordered": "Visières commandées",
    "kpi.visors_delivered": "Visières livrées",
    "kpi.visors_remaining": "Visières à produire",
    "kpi.hooks_ordered": "Crochets commandés",
    "kpi.hooks_delivered": "Crochets livrés",
    "kpi.hooks_remaining": "Crochets à produire",
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
    "board.alerts": "Alertes",
    "board.no_alerts": "Aucune alerte : tout suit son cours.",
    "board.funnel": "De l'impression à la livraison",
    "board.funnel_caption": "Tout ce qui est passé par chaque étape, par produit.",
    "board.throughput": "Rythme de production",
    "board.throughput_caption": "Pièces imprimées et produits livrés, {bars}.",
    "board.bars.minutes": {
        "one": "minute par minute",
        "other": "par tranche de {count} minutes",
    },
    "board.bars.hours": {"one": "heure par heure", "other": "par tranche de {count} heures"},
    "board.bars.days": {"one": "jour par jour", "other": "par tranche de {count} jours"},
    "board.axis.bar": "Début de la tranche",
    "board.timezone": "Fuseau horaire : {zone}.",
    "board.job_label": "{part} (n° {job_id})",
    "board.printers": "Parc d'imprimantes",
    "board.queue": "File d'attente des impressions",
    "board.orders": "Commandes",
    "board.trends": "Tendances",
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
    "chart.bar_said": "{label}, {series} : {quantity}",
    "chart.bar": "barre",
    "grid.state_filter": "État",
    "grid.all_states": "Tous les états",
    "grid.choose_state": "Choisissez un état",
    "grid.page": "Page",
    "grid.count": "Imprimantes {first} à {last} sur {total}.",
    "grid.empty": "Aucune imprimante dans cet état.",
    "queue.count": {
        "one": "La prochaine tâche, sur {total} en attente.",
        "other": "Les {count} prochaines tâches, sur {total} en attente.",
    },
    "queue.empty": "Aucune tâche en attente.",
    "orders.show_closed": "Afficher aussi les commandes terminées ou annulées",
    "orders.empty": "Aucune commande.",
    "orders.late_count": {
        "one": "{count} commande en retard.",
        "other": "{count} commandes en retard.",
    },
    "alert.printer_offline_during_job": (
        "L'imprimante « {printer} » (n° {printer_id}) est hors ligne pendant la tâche n° {job_id}."
    ),
    "alert.job_failed_twice": "La tâche n° {job_id} ({part}) a échoué {failures} fois.",
    "alert.job_flagged": "Elle attend qu'une personne s'en occupe.",
    "alert.last_reason": "Dernier motif : {reason}.",
    # --- supplies: the board's tiles and alerts, the orders they hold back -----------
    "board.section.supplies": "Fournitures",
    "kpi.supply_on_hand": "{item} en stock",
    "kpi.supply_days_left": "{item} : jours restants",
    "kpi.supply_rate_help": "Au rythme des 7 derniers jours : {rate} par jour.",
    "kpi.supply_no_rate_help": "Rien d'utilisé ces 7 derniers jours.",
    "kpi.supply_needed_help": (
        "Les commandes ouvertes en demandent encore {needed} ; il en manque {missing}."
    ),
    "alert.supply_short": (
        "{item} : il en manque {missing} pour honorer les commandes ouvertes ({on_hand} en "
        "stock, {needed} nécessaires)."
    ),
    "alert.supply_running_out": (
        "{item} : le stock sera épuisé dans {days_left} jours au rythme actuel ({on_hand} en "
        "stock, {used_per_day} utilisés par jour)."
    ),
    "eta_note.awaiting_supplies": "en attente de fournitures",
    "eta_note.awaiting_parts": "pièces pas encore planifiées",
    "eta_note.held_back": "en attente de fournitures : {supplies}",
    "eta_note.missing": "{item} (il en manque {missing})",
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
    # --- filament where it is ---
    "hub.tab.filament": "Filament",
    "hub.filament.intro": (
        "Les bobines envoyées à un maker quittent le filament du hub pour le sien. Chaque "
        "tâche terminée en retire les grammes, et ses imprimantes ne reçoivent que les "
        "tâches que son filament couvre."
    ),
    "hub.filament.maker": "Maker",
    "hub.filament.submit": "Enregistrer l'envoi",
    "hub.filament.done": "Envoyé : {grams} g de {material} à {maker}.",
    "hub.filament.balances": "Le filament des makers",
    "hub.filament.none": (
        "Aucun maker ne suit encore son filament : tant qu'un maker n'a rien déclaré ni "
        "reçu, son filament reste le sien et n'est pas compté."
    ),
    "maker.filament": "Mon filament",
    "maker.filament.intro": (
        "Déclarez les bobines que vous avez. Chaque tâche terminée en retire les grammes "
        "donnés par le trancheur, et vos imprimantes ne reçoivent que les tâches que votre "
        "filament couvre. Tant que vous n'avez rien déclaré ni reçu du hub, votre filament "
        "n'est pas suivi."
    ),
    "maker.filament.none": "Vous n'avez déclaré aucune bobine : votre filament n'est pas suivi.",
    "maker.filament.submit": "Déclarer",
    "maker.filament.done": "Enregistré : {grams} g de {material}.",
    "field.filament_grams": "Grammes",
    "field.filament_grams.help": (
        "Le poids du filament restant sur la bobine. Négatif pour corriger : une bobine utilisée "
        "ailleurs, un recomptage."
    ),
    "field.filament_reason": "Motif (obligatoire pour une correction)",
    "col.held_grams": "En stock (g)",
    "col.in_flight_grams": "Pour les tâches en cours (g)",
    "col.left_grams": "Reste (g)",
    "col.plates_left": "Plateaux restants",
    "filament.low.mine": {
        "one": (
            "Il vous reste {grams} g de {material}, de quoi faire {count} plateau : "
            "demandez une bobine au hub ou déclarez les vôtres."
        ),
        "other": (
            "Il vous reste {grams} g de {material}, de quoi faire {count} plateaux : "
            "demandez une bobine au hub ou déclarez les vôtres."
        ),
    },
    "filament.low.theirs": {
        "one": "{maker} a {grams} g de {material}, de quoi faire {count} plateau.",
        "other": "{maker} a {grams} g de {material}, de quoi faire {count} plateaux.",
    },
    "filament.short.mine": (
        "Vos tâches ont utilisé {short} g de plus que votre stock déclaré : déclarez à "
        "nouveau vos bobines."
    ),
    "filament.short.theirs": "Ses tâches ont utilisé {short} g de plus que son stock déclaré.",
    "alert.filament_low": "{maker} a {grams} g de {material}, de quoi faire {plates} plateau(x).",
    "alert.filament_short": "Ses tâches ont utilisé {short_grams} g de plus que son stock déclaré.",
    # --- end of filament where it is ---
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
    "hub.donation.done": "Don n° {id} enregistré : {goods}.",
    "hub.collection.submit": "Enregistrer la collecte",
    "hub.qc.submit": "Enregistrer le contrôle",
    "hub.batch.submit": "Assembler le lot",
    "hub.batch.done": "Lot n° {id} assemblé : {goods}.",
    "hub.disinfection.submit": "Enregistrer la désinfection",
    "hub.disinfection.done": "Lot n° {id} désinfecté.",
    "hub.disinfection.none": "Aucun lot en attente de désinfection.",
    "hub.packing.submit": "Emballer pour la commande",
    "hub.delivery.submit": "Enregistrer la livraison",
    "hub.delivery.done": (
        "Livraison enregistrée : {goods} pour la commande n° {order} "
        "({centre} : livraison n° {number})."
    ),
    "hub.movements.done": {
        "one": "Enregistré : {count} mouvement de stock.",
        "other": "Enregistré : {count} mouvements de stock.",
    },
    "hub.no_open_orders": "Aucune commande ouverte.",
    "hub.nothing_packed": "Rien n'est emballé pour une commande ouverte : emballez d'abord.",
    "hub.no_makers": "Aucun maker inscrit.",
    "hub.part.intro": (
        "Ajoutez une pièce imprimable à partir d'un fichier STL (50 Mo au plus). Le service "
        "vérifie que le maillage est fermé et qu'il tient sur au moins une imprimante."
    ),
    "hub.part.submit": "Ajouter la pièce",
    "hub.part.done": "Pièce « {part} » ajoutée : {grams} g, {size} mm.",
    "hub.parts": "Pièces du catalogue",
    "hub.trace.intro": "Choisissez un lot pour retrouver les makers et imprimantes d'origine.",
    "hub.trace.none": "Aucun lot assemblé pour l'instant.",
    "hub.trace.makers": "Makers : {makers}",
    "hub.trace.orders": "Livré ou emballé pour les commandes : {orders}",
    "hub.trace.no_orders": "Ce lot n'est encore parti vers aucune commande.",
    "hub.batch_label": "Lot n° {id} : {goods}, assemblé le {date}",
    "hub.order_to_packing": "Commande n° {id} : {centre} — à emballer : {goods}",
    "hub.order_to_delivery": "Commande n° {id} : {centre} — à livrer : {goods}",
    "hub.hand_in_label": "Remise n° {id} : {maker}, {goods} le {date}",
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
        "barre oblique finale comprise (par défaut « octoPrint/ »). Le greffon y ajoute « event/… "
        "», « temperature/… » et « mqtt », qu'aucune autre imprimante ne doit partager : "
        "choisissez par exemple « octoPrint/camille-mk3/ » et mettez la même valeur dans le "
        "greffon."
    ),
    "field.octoprint_url.help": (
        "L'adresse à laquelle le service joint votre OctoPrint : il y envoie les impressions et "
        "lui demande où il en est quand le greffon se tait. Sans elle, l'imprimante est seulement "
        "suivie."
    ),
    "field.octoprint_api_key.help": (
        "Une clé créée pour makerline dans OctoPrint (Paramètres → Application Keys). Elle est "
        "conservée chiffrée."
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
    "maker.jobs.recent": {
        "one": "La tâche la plus récente, sur {total}.",
        "other": "Les {count} tâches les plus récentes, sur {total}.",
    },
    "maker.hand_in": "Déclarer des pièces remises à l'atelier",
    "maker.hand_in.submit": "Déclarer la remise",
    "maker.hand_in.done": "Remise n° {id} déclarée : {goods}.",
    "maker.hand_ins": "Mes remises",
    "maker.no_hand_ins": "Aucune remise déclarée.",
    "maker.pending": "En attente de collecte",
    # --- the health centre's page -----------------------------------------------------
    "centre.title": "Commandes — {name}",
    "centre.new_order": "Passer une commande",
    "field.needed_by": "Pour le",
    "field.urgency": "Urgence",
    "field.address": "Adresse de livraison",
    "centre.order.submit": "Commander",
    "centre.placed": "Commande n° {id} enregistrée : {goods} pour le {needed_by}.",
    "centre.duplicate": "Cette commande ressemble à une commande déjà passée",
    "centre.confirm_duplicate": "Confirmer : ce n'est pas un doublon",
    "centre.drop_duplicate": "Abandonner cette commande",
    "centre.failed": "La commande n'a pas été enregistrée",
    "centre.orders": "Suivi de mes commandes",
    "centre.no_orders": "Vous n'avez pas encore passé de commande.",
    "centre.deliveries": "Livraisons",
    "centre.no_deliveries": "Aucune livraison pour l'instant.",
    "centre.confirm_receipt": "Confirmer la réception de la livraison n° {number}",
    "centre.receipt_done": "Réception de la livraison n° {number} confirmée. Merci !",
    # --- labels, defect reports and exports ---
    "col.batches": "Lots",
    "alert.defect_reported": (
        "Défaut signalé sur le lot n° {batch_id} (signalement n° {report_id}) : {text}"
    ),
    "centre.defect": "Signaler un défaut sur un lot reçu",
    "centre.defect.batch": "Lot",
    "centre.defect.batch_option": "Lot n° {batch} (livraison n° {delivery})",
    "centre.defect.text": "Qu'est-ce qui ne va pas ?",
    "centre.defect.submit": "Signaler",
    "centre.defect.done": "Signalement n° {id} sur le lot n° {batch} transmis au fab-lab.",
    "centre.defect.none": "Aucun lot reçu pour l'instant.",
    "centre.deliveries.waiting": {
        "one": "{count} livraison attend votre confirmation de réception.",
        "other": "{count} livraisons attendent votre confirmation de réception.",
    },
    "centre.deliveries.received": "Déjà reçues",
    "centre.delivery.heading": "Livraison n° {number} — {goods}",
    "centre.delivery.details": "Livrée le {date} · commande n° {order} · lots : {batches}",
    "centre.delivery.batch": "n° {batch} ({quantity})",
    "centre.delivery.received_on": "Réception confirmée le {date}.",
    "form.times": "Heures indiquées en {zone}.",
    "form.missing": "Remplissez d'abord : {fields}.",
    "form.choose": "Choisissez…",
    "form.type_number": "Saisissez un nombre",
    "form.browse": "Parcourir",
    "hub.orientation.flat": "À plat",
    "form.drop_file": "Déposez le fichier ici, ou",
    "unit.visor": {
        "one": "{count} visière de protection",
        "other": "{count} visières de protection",
    },
    "unit.visor-reinforced": {
        "one": "{count} visière de protection renforcée",
        "other": "{count} visières de protection renforcées",
    },
    "unit.amicroche": {"one": "{count} crochet AMICROCHE", "other": "{count} crochets AMICROCHE"},
    "unit.headband": {"one": "{count} serre-tête", "other": "{count} serre-têtes"},
    "unit.reinforcement": {"one": "{count} renfort", "other": "{count} renforts"},
    "unit.film_sheet": {"one": "{count} feuille de film", "other": "{count} feuilles de film"},
    "unit.elastic": {"one": "{count} élastique", "other": "{count} élastiques"},
    "unit.filament_g": "{count} g de filament",
    "availability.always": "24 h/24",
    "availability.window": "de {start} à {end}",
    "availability.unattended": "{window}, puis sans surveillance",
    "availability.unattended_field": "Une impression peut continuer sans surveillance après",
    "availability.unattended_help": (
        "Une impression lancée avant la fin de vos heures peut se poursuivre la nuit ; vous "
        "videz le plateau à votre retour. Sinon, chaque impression se termine dans vos heures."
    ),
    "availability.always_field": "Disponible 24 h/24",
    "availability.from": "Sinon, disponible de",
    "availability.to": "jusqu'à",
    "availability.help": (
        "Décochez « Disponible 24 h/24 » pour n'imprimer que sur cette plage horaire ; "
        "elle peut passer minuit (de 20:00 à 08:00)."
    ),
    "availability.rule_separator": " ; ",
    "availability.days": "Jours",
    "availability.days_placeholder": "Chaque jour",
    "availability.days_help": (
        "Les jours où vaut cette plage horaire ; sans jour choisi, elle vaut chaque jour."
    ),
    "availability.weekly": "Ou des heures par semaine",
    "availability.weekly_placeholder": "lu-ve 18:00-23:00; sa,di 09:00-22:00",
    "availability.weekly_help": (
        "Pour des heures qui changent d'un jour à l'autre ; une fois rempli, ce champ "
        "remplace les cases ci-dessus. Écrivez les jours (lu ma me je ve sa di), puis les "
        "plages : « ; » sépare les règles, « , » les plages d'un même jour. Par exemple "
        "« lu-ve 18:00-23:00; sa,di 09:00-22:00 », « sa,di 09:00-12:00,14:00-22:00 » ou "
        "« ve 22:00-02:00 » (jusqu'au samedi matin)."
    ),
    "maker.nozzle_option": "{size} mm",
    "hub.labels.download": "Étiquettes du lot n° {batch} (PDF)",
    "hub.defects": "Défauts signalés",
    "hub.defects.none": "Aucun défaut signalé.",
    "hub.defects.line": "Signalement n° {id} · lot n° {batch} · {source} · {when}",
    "hub.defects.source.public": "page publique du lot",
    "hub.defects.source.centre": "{centre}",
    "hub.defects.makers": "Makers du lot : {makers}",
    "hub.defects.hold": "Mettre le lot n° {batch} en quarantaine",
    "hub.defects.held": "Lot n° {batch} mis en quarantaine (blocage n° {hold}).",
    "hub.defects.no_holds": "La quarantaine n'est pas disponible sur ce service.",
    "hub.defects.hold_reason": "signalement de défaut n° {id}",
    "hub.exports": "Exports pour la trésorerie",
    "hub.exports.since": "Du",
    "hub.exports.until": "Au",
    "hub.exports.deliveries": "Livraisons (CSV)",
    "hub.exports.donations": "Dons (CSV)",
    "hub.exports.contributions": "Contributions des makers (CSV)",
    # --- quarantine and recall ---
    "page.quarantine": "Quarantaine",
    "stage.quarantined": "En quarantaine",
    "quarantine.intro": (
        "Bloquez des marchandises suspectes : elles quittent le flux (rien ne les emballe "
        "ni ne les livre) jusqu'à leur libération ou leur mise au rebut."
    ),
    "quarantine.place": "Mettre en quarantaine",
    "quarantine.scope": "Quoi",
    "quarantine.scope.batch": "Un lot",
    "quarantine.scope.job": "Une tâche d'impression",
    "quarantine.scope.printer": "La production d'une imprimante",
    "quarantine.scope.maker": "La production d'un maker",
    "quarantine.scope.period": "Une période",
    "quarantine.scope.batch_field": "Lot",
    "quarantine.scope.job_field": "N° de la tâche",
    "quarantine.scope.printer_field": "Imprimante",
    "quarantine.scope.maker_field": "Maker",
    "quarantine.scope.batch_id": "lot n° {id}",
    "quarantine.scope.job_id": "tâche n° {id}",
    "quarantine.scope.printer_id": "imprimante n° {id}",
    "quarantine.scope.maker_id": "maker n° {id}",
    "quarantine.scope.printer_named": "imprimante « {name} »",
    "quarantine.scope.maker_named": "maker « {name} »",
    "quarantine.scope.period_range": "du {since} au {until}",
    "quarantine.since": "Du",
    "quarantine.until": "Au",
    "quarantine.reason": "Motif",
    "quarantine.submit": "Bloquer",
    "quarantine.failed": "La quarantaine a échoué",
    "quarantine.placed": "Blocage n° {id} posé : {held} en quarantaine.",
    "quarantine.holds": "Blocages",
    "quarantine.no_holds": "Aucun blocage.",
    "quarantine.hold_title": {
        "one": "Blocage n° {id} — {target} : {count} pièce bloquée ({status})",
        "other": "Blocage n° {id} — {target} : {count} pièces bloquées ({status})",
    },
    "quarantine.status.active": "actif",
    "quarantine.status.released": "libéré",
    "quarantine.status.scrapped": "mis au rebut",
    "quarantine.placed_at": "Posé le {time} : {reason}",
    "quarantine.scrap_reason": "Mis au rebut : {reason}",
    "quarantine.nothing_held": "Rien n'est en quarantaine sous ce blocage.",
    "quarantine.batches": "Lots concernés : {batches}",
    "quarantine.col.item": "Article",
    "quarantine.col.from": "Pris à l'étape",
    "quarantine.col.quantity": "Quantité",
    "quarantine.col.centre": "Centre",
    "quarantine.col.batch": "Lot",
    "quarantine.col.order": "Commande",
    "quarantine.release": "Libérer",
    "quarantine.released": "Blocage n° {id} libéré : tout est revenu à son étape.",
    "quarantine.scrap_why": "Motif de la mise au rebut",
    "quarantine.scrap": "Mettre au rebut",
    "quarantine.scrapped": "Blocage n° {id} mis au rebut.",
    "quarantine.recall.none": "Rien de ce blocage n'a été livré.",
    "quarantine.recall.title": {
        "one": "**Rappel** : {count} pièce déjà livrée",
        "other": "**Rappel** : {count} pièces déjà livrées",
    },
    "quarantine.recall.told": "Centres prévenus le {time}.",
    "quarantine.recall.mark_told": "Noter les centres prévenus",
    "alert.goods_in_quarantine": (
        "{quantity} pièces ou produits en quarantaine sous le blocage n° {hold_id} : {reason}"
    ),
    # --- notifications: a person's addresses and choices, the messages sent ---
    "page.notifications": "Mes notifications",
    "page.messages": "Messages envoyés",
    "notif.title": "Mes notifications",
    "notif.intro": (
        "makerline vous prévient quand on a besoin de vous. Choisissez où, et pour quoi. "
        "Vos coordonnées ne sont visibles que par vous et la coordination du fab-lab."
    ),
    "notif.contact": "Mes coordonnées",
    "notif.email": "E-mail",
    "notif.phone": "Téléphone portable (SMS)",
    "notif.phone_help": "Par exemple 06 12 34 56 78 ou +33 6 12 34 56 78.",
    "notif.chat": "Webhook de discussion (Discord, Matrix, Slack, Telegram…)",
    "notif.chat_help": (
        "L'adresse https que votre salon vous donne. Elle est gardée chiffrée et n'est "
        "plus jamais affichée en entier. Laissez vide pour garder l'actuelle."
    ),
    "notif.chat_saved": "Webhook enregistré : {url}",
    "notif.chat_remove": "Retirer le webhook",
    "notif.language": "Langue des messages",
    "notif.reminder": "Me rappeler un plateau toujours à libérer",
    "notif.reminder_minutes": "Après (minutes)",
    "notif.night": "Me prévenir aussi la nuit, en dehors de mes heures",
    "notif.contact_submit": "Enregistrer mes coordonnées",
    "notif.contact_saved": "Coordonnées enregistrées.",
    "notif.contact_failed": "Coordonnées non enregistrées",
    "notif.channels": "Par quel moyen, pour quel message ?",
    "notif.channels_intro": "Par défaut, tout arrive par e-mail. « Aucun » : rien pour ce message.",
    "notif.channels_submit": "Enregistrer mes choix",
    "notif.channels_saved": "Choix enregistrés.",
    "notif.channels_failed": "Choix non enregistrés",
    "notif.missing_address": (
        "Vous avez choisi {channel} pour au moins un message, sans adresse pour ce moyen : "
        "ces messages ne partiront pas."
    ),
    "channel.email": "E-mail",
    "channel.sms": "SMS",
    "channel.chat": "Discussion",
    "channel.none": "Aucun",
    "message_kind.bed_to_clear": "Plateau à libérer",
    "message_kind.bed_still_waiting": "Plateau toujours à libérer (rappel)",
    "message_kind.printer_offline": "Imprimante hors ligne",
    "message_kind.job_failed": "Impression échouée",
    "message_kind.parts_to_collect": "Pièces à collecter, tournée de collecte",
    "message_kind.order_confirmed": "Commande confirmée",
    "message_kind.forecast_changed": "Date prévue changée ou retard",
    "message_kind.out_for_delivery": "Colis en livraison",
    "message_kind.confirm_receipt": "Merci de confirmer la réception",
    "message_kind.supply_running_out": "Fourniture bientôt épuisée",
    "message_kind.job_flagged": "Tâche à vérifier après son dernier essai",
    "message_kind.silent_printer": "Imprimante ou maker silencieux",
    "message_kind.daily_digest": "Résumé du jour",
    "outbox_status.pending": "En attente",
    "outbox_status.sending": "En cours d'envoi",
    "outbox_status.sent": "Envoyé",
    "outbox_status.grouped": "Regroupé",
    "outbox_status.failed": "Échec",
    "outbox_status.skipped": "Non envoyé",
    "messages.title": "Messages envoyés",
    "messages.intro": (
        "Tout ce que makerline a envoyé ou va envoyer, du plus récent au plus ancien. "
        "Un message en échec n'arrête jamais la production."
    ),
    "messages.status": "État",
    "messages.kind": "Message",
    "messages.all": "Tous",
    "messages.count": {
        "one": "{count} message affiché sur {total}.",
        "other": "{count} messages affichés sur {total}.",
    },
    "messages.none": "Aucun message pour l'instant.",
    "col.person": "Destinataire",
    "col.message_kind": "Message",
    "col.channel": "Moyen",
    "col.address": "Adresse",
    "col.queued_at": "Créé",
    "col.not_before": "Pas avant",
    "col.sent_at": "Envoyé",
    "col.last_error": "Dernière erreur",
    # --- end of notifications ---
}

ENGLISH: dict[str, Message] = {
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
    "login.signed_out": "To open this page, sign in with your access token.",
    "signin.error_title": "Error: {title}",
    "signin.language": "Language",
    "signin.duration": (
        "You stay signed in for {duration} in this browser, or until you sign out. On a "
        "shared computer, sign out when you leave."
    ),
    "signin.refused": (
        "This token is not recognised. Check it, or ask the fab-lab's coordination for a new one."
    ),
    "signin.printer_token": "This is a printer's token. Sign in with your account's token.",
    "signin.too_many": "Too many refused tokens from your address. Try again in {seconds} s.",
    "signin.unreachable": (
        "The makerline service does not answer. Try again in a moment; if it lasts, tell "
        "the fab-lab's coordination."
    ),
    "signin.service_error": (
        "The makerline service ran into an error ({status}). Try again in a moment."
    ),
    "signin.other_site": (
        "This request did not come from makerline's sign-in page: sign in from that page."
    ),
    "error.refused": "The service refused the request ({status})",
    "error.server": "The service ran into an error ({status})",
    "error.unreachable": "The makerline service cannot be reached",
    "error.unreachable_detail": "Could not reach {url}: {reason}",
    "error.timeout_detail": "{url} did not answer in time.",
    "error.not_json": "The service's answer could not be read.",
    "timezone.label": "{city} time ({offset})",
    # The service's refusals by code (its `code` and `params`), then a sentence per status
    # for a code the app does not know yet.
    "apierror.period_until_in_future": "The end date is in the future: give a day up to today.",
    "apierror.period_since_too_early": (
        "The start date is before {earliest}: nothing was made then."
    ),
    "apierror.period_reversed": (
        "The start date is after the end date: give the first day, then the last."
    ),
    "apierror.period_too_long": "A period is at most a year: export one year at a time.",
    "apierror.coordinator_signup_refused": (
        "Coordinator accounts are created by a coordinator, not by sign-up."
    ),
    "apierror.centre_needs_invite": (
        "Health centres sign up with the invite code the fab-lab gave them; ask the coordinator "
        "for it."
    ),
    "apierror.invite_code_wrong": (
        "Sign-up needs the coordinator's invite code, and this one is not right."
    ),
    "apierror.no_maker_profile": "This account has no maker profile.",
    "apierror.maker_not_found": "Maker {maker} does not exist.",
    "apierror.account_not_found": "Account {account} does not exist.",
    "apierror.part_key_taken": (
        "A part with the key '{key}' already exists. Choose another key, or use the existing part."
    ),
    "apierror.upload_too_large": (
        "The file is over the size limit. Export the part with fewer triangles."
    ),
    "apierror.stl_refused": "This STL file is refused: {stl_problem}",
    "apierror.stl_problem.not_stl": (
        "it is not a readable STL file. Export the part as STL and upload that file."
    ),
    "apierror.stl_problem.truncated": "the file was cut short. Upload the complete file.",
    "apierror.stl_problem.non_finite": (
        "some coordinates are not numbers. Repair the mesh and export it again."
    ),
    "apierror.stl_problem.open_mesh": (
        "the part's surface is not closed. Repair the mesh (make it manifold) and export it again."
    ),
    "apierror.stl_problem.degenerate_faces": (
        "some faces have no area. Repair the mesh and export it again."
    ),
    "apierror.stl_problem.too_many_triangles": (
        "the part has too many triangles. Export it with a coarser resolution."
    ),
    "apierror.stl_problem.too_large": (
        "the file is over the size limit. Export the part with fewer triangles."
    ),
    "apierror.stl_problem.empty": "the file is empty. Export the part again.",
    "apierror.stl_problem.too_big_for_beds": (
        "the part fits none of the registered printers' beds. Scale it down or split it."
    ),
    "apierror.cannot_slice": "The print cannot be prepared: {problem}.",
    "apierror.job_not_found": "Print job {job} does not exist.",
    "apierror.job_has_no_printer_for_gcode": (
        "Job {job} has no printer yet; it has no G-code to download."
    ),
    "apierror.job_on_other_printer": "Job {job} is assigned to another printer.",
    "apierror.job_not_sliced": (
        "Job {job} has not been sliced yet. Wait for its start command, then retry."
    ),
    "apierror.part_not_found": "Part {part} does not exist.",
    "apierror.gcode_cannot_be_remade": (
        "Job {job}'s G-code is missing and cannot be made again here: {problem}."
    ),
    "apierror.gcode_settings_changed": (
        "Job {job}'s G-code no longer matches the printer's settings; the orchestrator will send "
        "the job again."
    ),
    "apierror.printer_not_found": "Printer {printer} does not exist.",
    "apierror.order_not_found": "Order {order} does not exist.",
    "apierror.job_not_yours": "Job {job} is not on one of your printers.",
    "apierror.job_cancelled_cannot_count": "Job {job} was cancelled; its parts cannot be counted.",
    "apierror.job_has_no_printer_for_parts": (
        "Job {job} has no printer yet, so no maker holds its parts."
    ),
    "apierror.job_never_started": (
        "Job {job} is '{job_status}': it never started on your printer, so it cannot be done. "
        "Start it first, or ask the coordinator."
    ),
    "apierror.job_nothing_to_cancel": (
        "Job {job} is '{job_status}': there is nothing left to cancel."
    ),
    "apierror.printer_no_status_yet": "Printer {printer} has not reported any status yet.",
    "apierror.already_on_hold": (
        "There is already an active hold on this target ({scope}): hold {hold}."
    ),
    "apierror.scope.batch": "batch",
    "apierror.scope.job": "print job",
    "apierror.scope.printer": "printer",
    "apierror.scope.maker": "maker",
    "apierror.scope.period": "period",
    "apierror.period_hold_fields": "A period hold gives a start and an end date, and no number.",
    "apierror.period_hold_reversed": "A period hold's start must not be after its end.",
    "apierror.hold_needs_id_only": "For a hold on a {scope}, give the number only, no dates.",
    "apierror.hold_target_not_found": "Not found: {scope} {target}.",
    "apierror.hold_not_found": "Hold {hold} does not exist.",
    "apierror.hold_already_closed": "Hold {hold} was already '{hold_status}' on {closed_at}.",
    "apierror.hold_nothing_delivered": (
        "Nothing of hold {hold} was delivered: there is no centre to tell."
    ),
    "apierror.chat_url_not_public": (
        "The chat address is a local or private one, which the service may not call. Give the "
        "webhook address your chat service gave you."
    ),
    "apierror.message_kinds_not_for_role": (
        "These messages are not sent to your role ({role}): {message_kinds}."
    ),
    "apierror.unsubscribe_link_unknown": "This unsubscribe link matches no one.",
    "apierror.defect_text_missing": "Say in a few words what is wrong with the batch.",
    "apierror.batch_not_delivered_to_you": (
        "Batch {batch} was not delivered to you; report on a batch you received, or use the page "
        "its label's QR code opens."
    ),
    "apierror.too_many_printers": (
        "You already have {held} printers, the most one maker may register here. Delete one you no "
        "longer use, or ask the coordinator."
    ),
    "apierror.octoprint_url_not_public": (
        "The OctoPrint address is a local or private one, which the service may not call. Give the "
        "address your OctoPrint answers at from the internet, or ask the fab-lab to allow its "
        "network."
    ),
    "apierror.printer_of_other_maker": "Printer {printer} belongs to another maker.",
    "apierror.printer_has_jobs": (
        "Printer {printer} has print jobs on record, kept so that batches stay traceable. Pause "
        "it instead of deleting it."
    ),
    "apierror.pause_starts_in_past": "A pause cannot start in the past.",
    "apierror.pause_starts_too_late": "A pause starts within a year from now.",
    "apierror.pause_ends_before_start": "A pause ends after it starts.",
    "apierror.pause_too_long": "A pause lasts a year at most.",
    "apierror.pause_printer_or_maker": "Pause a printer or a maker, not both.",
    "apierror.pause_whose": "Say which printer or which maker to pause.",
    "apierror.pause_other_maker": "A maker pauses their own printers only.",
    "apierror.too_many_pauses": (
        "At most {limit} pauses may be set ahead: end or cancel one first."
    ),
    "apierror.pause_not_found": "Pause {pause} does not exist.",
    "apierror.printer_token_invalid": "This printer token is not valid.",
    "apierror.material_invalid": (
        "'{material}' is not a material: give a filament such as PLA, PETG or ABS (letters, "
        "digits, + or -)."
    ),
    "apierror.filament_grams_zero": "Give the grams of the spool, or negative grams to correct.",
    "apierror.filament_reason_missing": (
        "Say why the filament is less (for example: used elsewhere)."
    ),
    "apierror.product_not_found": "Product '{product}' does not exist. Known products: {known}.",
    "apierror.part_key_not_found": "Part '{key}' does not exist.",
    "apierror.label_unknown": "No batch has this label.",
    "apierror.token_missing": "Sign in with your access token.",
    "apierror.token_invalid": "This token is not valid. Ask the coordinator for a new one.",
    "apierror.idempotency_key_reused": (
        "This request reuses the key of a different one. Reload the page and try again."
    ),
    "apierror.printer_token_for_account": (
        "This is a printer's token; sign in with your account's token."
    ),
    "apierror.account_token_for_printer": "This is an account's token; send the printer's token.",
    "apierror.role_not_allowed": "Only for: {roles}. You are signed in as '{role}'.",
    "apierror.maker_id_needed": "As coordinator, choose the maker concerned.",
    "apierror.health_centre_id_needed": "As coordinator, choose the health centre that orders.",
    "apierror.health_centre_not_found": "Health centre {centre} does not exist.",
    "apierror.coordinator_has_no_filament": (
        "The coordinator has no filament of their own: declare it for a maker."
    ),
    "apierror.filament_not_yours": (
        "Only the coordinator, or the maker themselves, declares a maker's filament."
    ),
    "apierror.mqtt_url_needs_credentials": (
        "The MQTT broker's address must carry the service's credentials to write the broker's "
        "files."
    ),
    "apierror.printer_unroutable": (
        "Printer {printer} cannot be followed: its MQTT base topic is empty, malformed or taken by "
        "another printer."
    ),
    "apierror.printer_gone": "Printer {printer} is no longer registered.",
    "apierror.broker_unreachable": (
        "The MQTT broker cannot be reached, so the printer was not told. Try again in a moment."
    ),
    "apierror.broker_no_ack": (
        "The broker did not acknowledge the command in time. Try again in a moment."
    ),
    "apierror.duplicate_order": (
        "This looks like a duplicate: order {order} ({product}, quantity {quantity}) was placed on "
        "{placed_at}. If you really need both, confirm the duplicate and send it again."
    ),
    "apierror.order_of_other_centre": "Order {order} belongs to another health centre.",
    "apierror.order_cannot_be_cancelled": (
        "Order {order} is '{order_status}' and can no longer be cancelled."
    ),
    "apierror.donation_not_a_supply": "Donations are supplies ({supplies}), not '{item}'.",
    "apierror.filament_donation_needs_material": (
        "A filament donation needs its material, such as PETG or PLA."
    ),
    "apierror.hand_in_not_printed_part": "Makers hand in printed parts, not '{item}'.",
    "apierror.collection_not_printed_part": (
        "Only printed parts are collected from makers, not '{item}'."
    ),
    "apierror.hand_in_not_found": "Maker {maker} has no hand-in {hand_in}.",
    "apierror.hand_in_already_collected": "Hand-in {hand_in} was already collected.",
    "apierror.qc_not_printed_part": "QC applies to printed parts, not '{item}'.",
    "apierror.qc_counts_missing": "Give how many parts passed and how many were rejected.",
    "apierror.qc_reason_missing": "Say why parts were rejected (for example: delaminated, warped).",
    "apierror.batch_not_found": "Batch {batch} does not exist.",
    "apierror.batch_already_disinfected": (
        "Batch {batch} was already disinfected on {disinfected_at}."
    ),
    "apierror.order_cancelled": "Order {order} is cancelled.",
    "apierror.packing_quantity_wrong": (
        "Order {order} needs {remaining} more, not {quantity}: {already} are already packed or "
        "delivered for it."
    ),
    "apierror.delivery_not_found": "Delivery {delivery} does not exist.",
    "apierror.delivery_of_other_centre": "Delivery {delivery} went to another health centre.",
    "apierror.not_enough_stock": (
        "Not enough '{item}' at stage '{stage}': {needed} needed, {available} available. Record "
        "the missing stock first, or ask for fewer."
    ),
    "apierror.too_many_requests": "{door} Wait {wait} s before trying again.",
    "apierror.door.signup": "Too many sign-ups from your address.",
    "apierror.door.invite-code": "Too many wrong invite codes from your address.",
    "apierror.door.token": "Too many wrong tokens from your address.",
    "apierror.door.write": "Too many changes from your account.",
    "apierror.unknown_address": "This address does not exist on the service.",
    "apierror.method_not_allowed": "The service does not allow this action at this address.",
    "apierror.body_too_large": "The request is too large for this address; send less.",
    "apierror.request_refused": "The service refused the request ({status}).",
    "apierror.invalid_fields": "Some fields are not valid:",
    "apierror.concurrent_change": (
        "This change conflicts with another one made at the same time, or refers to something that "
        "does not exist. Reload and try again."
    ),
    "apierror.value_not_storable": (
        "A value is out of range or contains characters that cannot be stored."
    ),
    "apierror.database_unavailable": "The database is busy or unreachable. Try again in a moment.",
    "error.status.400": "The request makes no sense to the service.",
    "error.status.401": "Your token is not accepted: sign in again.",
    "error.status.403": "Your account may not do this.",
    "error.status.404": "Not found.",
    "error.status.409": "The stock or the current state forbids it.",
    "error.status.413": "The request is too large.",
    "error.status.422": "A value is not accepted.",
    "error.status.429": "Too many attempts: wait, then retry.",
    "error.status.503": "The service is unavailable for a moment. Try again.",
    "error.status.other": "The service could not handle the request.",
    # 422 field lists: "field: reason" lines, the reason by pydantic's error type.
    "validation.line": "{field}: {reason}",
    "validation.missing": "required",
    "validation.greater_than": "must be greater than {gt}",
    "validation.greater_than_equal": "must be at least {ge}",
    "validation.less_than": "must be less than {lt}",
    "validation.less_than_equal": "must be at most {le}",
    "validation.string_too_long": "too long: at most {max_length} characters",
    "validation.string_too_short": "too short: at least {min_length} character(s)",
    "validation.too_long": "too many items: at most {max_length}",
    "validation.too_short": "too few items: at least {min_length}",
    "validation.int_parsing": "must be a whole number",
    "validation.int_from_float": "must be a whole number",
    "validation.float_parsing": "must be a number",
    "validation.bool_parsing": "must be yes or no",
    "validation.date_parsing": "must be a date",
    "validation.date_from_datetime_parsing": "must be a date",
    "validation.datetime_parsing": "must be a date and time",
    "validation.time_parsing": "must be a time of day",
    "validation.enum": "is not one of the choices",
    "validation.literal_error": "is not one of the choices",
    "validation.string_pattern_mismatch": "does not have the expected form",
    "validation.string_type": "must be text",
    "validation.url_parsing": "is not a valid web address",
    "validation.url_scheme": "must start with http:// or https://",
    "validation.value_error": "value refused",
    "validation.value_error.availability_hours": (
        "cannot be read as weekly hours; write them for example "
        "“Mo-Fr 18:00-23:00; Sa,Su 09:00-22:00”"
    ),
    "validation.extra_forbidden": "unknown field",
    "validation.json_invalid": "the request body is not valid JSON",
    "validation.finite_number": "is not a number the service accepts",
    "validation.string_invalid": "contains a character that cannot be stored",
    "validation.other": "value refused",
    "field.body": "Request",
    "field.product_key": "Product",
    "field.delivery_address": "Delivery address",
    "field.confirm_duplicate": "Confirm the duplicate",
    "field.name": "Name",
    "field.bed_x_mm": "Bed width X (mm)",
    "field.bed_y_mm": "Bed depth Y (mm)",
    "field.bed_z_mm": "Print height Z (mm)",
    "field.nozzle_mm": "Nozzle (mm)",
    "field.availability_hours": "Availability hours",
    "field.connection_kind": "Link",
    "field.language": "Language",
    "field.bed_reminder_minutes": "Bed reminder (minutes)",
    "field.night_messages": "Messages at night",
    "field.maker_id": "Maker",
    "field.hand_in_id": "Hand-in",
    "field.order_id": "Order",
    "field.batch_id": "Batch",
    "field.grams": "Grams",
    "field.key": "Key",
    "field.copies": "Copies",
    "field.since": "From",
    "field.until": "To",
    "field.id": "Number",
    "field.scope": "What",
    "field.chat_url": "Chat address",
    "field.email": "E-mail",
    "field.phone": "Phone",
    "field.city": "City",
    "field.invite_code": "Invite code",
    "field.role": "Role",
    "field.file": "File",
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
    "col.paused": "Paused",
    "col.from": "From",
    "col.until": "Until",
    "col.pause_reason": "Reason",
    "col.pause_state": "State",
    "pause.all_printers": "All my printers",
    "pause.all_printers_of": "All of {maker}'s printers",
    "printer_state.under_pause": "{state} · paused, no new job",
    "pause.until_resumed": "until resumed",
    "pause.now": "under way",
    "pause.to_come": "to come",
    "pause.resume": "Resume: {what}",
    "pause.cancel": "Cancel the pause of {day}: {what}",
    "maker.pauses": "Pauses and holidays",
    "maker.pauses.intro": (
        "A paused printer finishes the print under way and gets no new job. Without a first "
        "day, the pause starts now; without a last day, it lasts until you resume."
    ),
    "maker.pauses.none": "No pause under way or to come.",
    "field.pause_target": "Printer",
    "field.pause_first_day": "First day (optional)",
    "field.pause_last_day": "Last day (optional)",
    "field.pause_reason": "Reason (optional)",
    "maker.pause.submit": "Pause",
    "maker.pause.done": "Pause recorded: {what}.",
    "maker.pause.ended": "Pause ended: {what}.",
    "hub.tab.pauses": "Pauses and holidays",
    "hub.pauses.intro": (
        "A paused printer finishes the print under way and gets no new job. Pause one "
        "printer, or all of a maker's. Without a first day, the pause starts now; without a "
        "last day, it lasts until resumed."
    ),
    "field.pause_target_any": "Printer or maker",
    "maker.hours": "My printers' hours",
    "maker.hours.intro": (
        "Change when a printer may print: for example in the evening on weekdays and "
        "through the day at the weekend."
    ),
    "field.hours_printer": "Printer",
    "maker.hours.submit": "Save the hours",
    "maker.hours.done": "Hours of {printer} saved: {hours}.",
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
    "col.remaining": "Still to make",
    "col.eta": "Expected delivery",
    "col.eta_note": "Note",
    "eta_note.no_printer_online": "no printer online can print it",
    "col.late": "Late",
    "col.status": "Status",
    "col.urgency": "Urgency",
    "col.item": "Item",
    "col.stage": "Stage",
    "col.step": "Step",
    "col.series": "Series",
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
    "kpi.visors_ordered": "Visors ordered",
    "kpi.visors_delivered": "Visors delivered",
    "kpi.visors_remaining": "Visors still to make",
    "kpi.hooks_ordered": "Hooks ordered",
    "kpi.hooks_delivered": "Hooks delivered",
    "kpi.hooks_remaining": "Hooks still to make",
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
    "board.alerts": "Alerts",
    "board.no_alerts": "No alerts: everything is on track.",
    "board.funnel": "From printer to carer",
    "board.funnel_caption": "Everything that went through each step, per product.",
    "board.throughput": "Production rate",
    "board.throughput_caption": "Parts printed and products delivered, {bars}.",
    "board.bars.minutes": {"one": "minute by minute", "other": "per {count} minutes"},
    "board.bars.hours": {"one": "hour by hour", "other": "per {count} hours"},
    "board.bars.days": {"one": "day by day", "other": "per {count} days"},
    "board.axis.bar": "Start of the bar",
    "board.timezone": "Time zone: {zone}.",
    "board.job_label": "{part} (no. {job_id})",
    "board.printers": "Printer fleet",
    "board.queue": "Print queue",
    "board.orders": "Orders",
    "board.trends": "Trends",
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
    "chart.bar_said": "{label}, {series}: {quantity}",
    "chart.bar": "bar",
    "grid.state_filter": "State",
    "grid.all_states": "All states",
    "grid.choose_state": "Choose a state",
    "grid.page": "Page",
    "grid.count": "Printers {first} to {last} of {total}.",
    "grid.empty": "No printer in this state.",
    "queue.count": {
        "one": "The next job, of {total} queued.",
        "other": "The next {count} jobs, of {total} queued.",
    },
    "queue.empty": "No job queued.",
    "orders.show_closed": "Also show delivered and cancelled orders",
    "orders.empty": "No orders.",
    "orders.late_count": {"one": "{count} order late.", "other": "{count} orders late."},
    "alert.printer_offline_during_job": (
        "Printer “{printer}” (no. {printer_id}) is offline during job no. {job_id}."
    ),
    "alert.job_failed_twice": "Job no. {job_id} ({part}) failed {failures} times.",
    "alert.job_flagged": "It is waiting for a person to look at it.",
    "alert.last_reason": "Last reason: {reason}.",
    # --- supplies: the board's tiles and alerts, the orders they hold back -----------
    "board.section.supplies": "Supplies",
    "kpi.supply_on_hand": "{item} on hand",
    "kpi.supply_days_left": "{item}: days left",
    "kpi.supply_rate_help": "At the last 7 days' rate: {rate} a day.",
    "kpi.supply_no_rate_help": "None used in the last 7 days.",
    "kpi.supply_needed_help": "Open orders still need {needed}; {missing} missing.",
    "alert.supply_short": (
        "{item} short for the open orders by {missing} ({on_hand} on hand, {needed} needed)."
    ),
    "alert.supply_running_out": (
        "{item} run out in {days_left} days at the current rate ({on_hand} on hand, "
        "{used_per_day} used a day)."
    ),
    "eta_note.awaiting_supplies": "waiting for supplies",
    "eta_note.awaiting_parts": "parts not planned yet",
    "eta_note.held_back": "waiting for supplies: {supplies}",
    "eta_note.missing": "{item} ({missing} missing)",
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
    # --- filament where it is ---
    "hub.tab.filament": "Filament",
    "hub.filament.intro": (
        "Spools sent to a maker leave the hub's filament for theirs. Each finished job takes "
        "its grams from it, and their printers get only the jobs their filament covers."
    ),
    "hub.filament.maker": "Maker",
    "hub.filament.submit": "Record the shipment",
    "hub.filament.done": "Sent: {grams} g of {material} to {maker}.",
    "hub.filament.balances": "Makers' filament",
    "hub.filament.none": (
        "No maker's filament is tracked yet: until a maker declares or receives some, their "
        "filament is their own and is not counted."
    ),
    "maker.filament": "My filament",
    "maker.filament.intro": (
        "Declare the spools you hold. Each finished job takes the slicer's grams from them, "
        "and your printers get only the jobs your filament covers. Until you declare some or "
        "receive some from the hub, your filament is not tracked."
    ),
    "maker.filament.none": "You have declared no spool: your filament is not tracked.",
    "maker.filament.submit": "Declare",
    "maker.filament.done": "Recorded: {grams} g of {material}.",
    "field.filament_grams": "Grams",
    "field.filament_grams.help": (
        "The weight of filament left on the spool. Negative to correct: a spool used elsewhere, a "
        "recount."
    ),
    "field.filament_reason": "Reason (required for a correction)",
    "col.held_grams": "Held (g)",
    "col.in_flight_grams": "For jobs in flight (g)",
    "col.left_grams": "Left (g)",
    "col.plates_left": "Plates left",
    "filament.low.mine": {
        "one": (
            "You have {grams} g of {material} left, enough for {count} more plate: ask the "
            "hub for a spool or declare yours."
        ),
        "other": (
            "You have {grams} g of {material} left, enough for {count} more plates: ask the "
            "hub for a spool or declare yours."
        ),
    },
    "filament.low.theirs": {
        "one": "{maker} has {grams} g of {material} left, enough for {count} more plate.",
        "other": "{maker} has {grams} g of {material} left, enough for {count} more plates.",
    },
    "filament.short.mine": (
        "Your jobs used {short} g more than your declared stock: declare your spools again."
    ),
    "filament.short.theirs": "Their jobs used {short} g more than their declared stock.",
    "alert.filament_low": (
        "{maker} has {grams} g of {material} left, enough for {plates} more plate(s)."
    ),
    "alert.filament_short": "Their jobs used {short_grams} g more than their declared stock.",
    # --- end of filament where it is ---
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
    "hub.donation.done": "Donation no. {id} recorded: {goods}.",
    "hub.collection.submit": "Record the collection",
    "hub.qc.submit": "Record quality control",
    "hub.batch.submit": "Assemble the batch",
    "hub.batch.done": "Batch no. {id} assembled: {goods}.",
    "hub.disinfection.submit": "Record the disinfection",
    "hub.disinfection.done": "Batch no. {id} disinfected.",
    "hub.disinfection.none": "No batch is waiting for disinfection.",
    "hub.packing.submit": "Pack for the order",
    "hub.delivery.submit": "Record the delivery",
    "hub.delivery.done": (
        "Delivery recorded: {goods} for order no. {order} ({centre}: delivery no. {number})."
    ),
    "hub.movements.done": {
        "one": "Recorded: {count} stock movement.",
        "other": "Recorded: {count} stock movements.",
    },
    "hub.no_open_orders": "No open orders.",
    "hub.nothing_packed": "Nothing is packed for an open order: pack first.",
    "hub.no_makers": "No maker has signed up.",
    "hub.part.intro": (
        "Add a printable part from an STL file (50 MB at most). The service checks that the "
        "mesh is closed and fits at least one printer."
    ),
    "hub.part.submit": "Add the part",
    "hub.part.done": "Part “{part}” added: {grams} g, {size} mm.",
    "hub.parts": "Parts in the catalogue",
    "hub.trace.intro": "Choose a batch to find the makers and printers its parts came from.",
    "hub.trace.none": "No batch assembled yet.",
    "hub.trace.makers": "Makers: {makers}",
    "hub.trace.orders": "Delivered or packed for orders: {orders}",
    "hub.trace.no_orders": "This batch has not gone to any order yet.",
    "hub.batch_label": "Batch no. {id}: {goods}, assembled {date}",
    "hub.order_to_packing": "Order no. {id}: {centre} — to pack: {goods}",
    "hub.order_to_delivery": "Order no. {id}: {centre} — to deliver: {goods}",
    "hub.hand_in_label": "Hand-in no. {id}: {maker}, {goods} on {date}",
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
        "Copy the Base Topic exactly as the OctoPrint-MQTT plugin's settings show it, trailing "
        "slash included (by default 'octoPrint/'). The plugin appends 'event/…', 'temperature/…' "
        "and 'mqtt' to it, and no other printer may share those: choose, say, "
        "'octoPrint/camille-mk3/' and enter the same value in the plugin."
    ),
    "field.octoprint_url.help": (
        "The address the service reaches your OctoPrint at: it sends prints there, and asks it how "
        "it is when the plugin is silent. Without it, the printer is only followed."
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
    "maker.jobs.recent": {
        "one": "The newest job, of {total}.",
        "other": "The {count} newest jobs, of {total}.",
    },
    "maker.hand_in": "Declare parts handed in to the hub",
    "maker.hand_in.submit": "Declare the hand-in",
    "maker.hand_in.done": "Hand-in no. {id} declared: {goods}.",
    "maker.hand_ins": "My hand-ins",
    "maker.no_hand_ins": "No hand-ins declared.",
    "maker.pending": "Waiting for collection",
    "centre.title": "Orders — {name}",
    "centre.new_order": "Place an order",
    "field.needed_by": "Needed by",
    "field.urgency": "Urgency",
    "field.address": "Delivery address",
    "centre.order.submit": "Order",
    "centre.placed": "Order no. {id} placed: {goods} by {needed_by}.",
    "centre.duplicate": "This order looks like one already placed",
    "centre.confirm_duplicate": "Confirm: this is not a duplicate",
    "centre.drop_duplicate": "Drop this order",
    "centre.failed": "The order was not placed",
    "centre.orders": "Following my orders",
    "centre.no_orders": "You have not placed an order yet.",
    "centre.deliveries": "Deliveries",
    "centre.no_deliveries": "No deliveries yet.",
    "centre.confirm_receipt": "Confirm receipt of delivery no. {number}",
    "centre.receipt_done": "Receipt of delivery no. {number} confirmed. Thank you!",
    # --- labels, defect reports and exports ---
    "col.batches": "Batches",
    "alert.defect_reported": (
        "Defect reported on batch no. {batch_id} (report no. {report_id}): {text}"
    ),
    "centre.defect": "Report a defect on a batch you received",
    "centre.defect.batch": "Batch",
    "centre.defect.batch_option": "Batch no. {batch} (delivery no. {delivery})",
    "centre.defect.text": "What is wrong?",
    "centre.defect.submit": "Report",
    "centre.defect.done": "Report no. {id} on batch no. {batch} sent to the fab-lab.",
    "centre.defect.none": "No batch received yet.",
    "centre.deliveries.waiting": {
        "one": "{count} delivery is waiting for you to confirm its receipt.",
        "other": "{count} deliveries are waiting for you to confirm their receipt.",
    },
    "centre.deliveries.received": "Already received",
    "centre.delivery.heading": "Delivery no. {number} — {goods}",
    "centre.delivery.details": "Delivered {date} · order no. {order} · batches: {batches}",
    "centre.delivery.batch": "no. {batch} ({quantity})",
    "centre.delivery.received_on": "Receipt confirmed {date}.",
    "form.times": "Times in {zone}.",
    "form.missing": "Fill in first: {fields}.",
    "form.choose": "Choose…",
    "form.type_number": "Type a number",
    "form.browse": "Browse",
    "hub.orientation.flat": "Flat",
    "form.drop_file": "Drop the file here, or",
    "unit.visor": {"one": "{count} face-shield visor", "other": "{count} face-shield visors"},
    "unit.visor-reinforced": {
        "one": "{count} reinforced face-shield visor",
        "other": "{count} reinforced face-shield visors",
    },
    "unit.amicroche": {"one": "{count} AMICROCHE hook", "other": "{count} AMICROCHE hooks"},
    "unit.headband": {"one": "{count} headband", "other": "{count} headbands"},
    "unit.reinforcement": {"one": "{count} reinforcement", "other": "{count} reinforcements"},
    "unit.film_sheet": {"one": "{count} film sheet", "other": "{count} film sheets"},
    "unit.elastic": {"one": "{count} elastic band", "other": "{count} elastic bands"},
    "unit.filament_g": "{count} g of filament",
    "availability.always": "Around the clock",
    "availability.window": "from {start} to {end}",
    "availability.unattended": "{window}, then unattended",
    "availability.unattended_field": "A print may go on unattended after that",
    "availability.unattended_help": (
        "A print started before your hours end may run on through the night; you clear the "
        "bed when you are back. Otherwise, every print ends within your hours."
    ),
    "availability.always_field": "Available around the clock",
    "availability.from": "Otherwise, available from",
    "availability.to": "until",
    "availability.help": (
        "Untick “Available around the clock” to print only within these hours; they may "
        "span midnight (from 20:00 to 08:00)."
    ),
    "availability.rule_separator": "; ",
    "availability.days": "Days",
    "availability.days_placeholder": "Every day",
    "availability.days_help": (
        "The days these hours apply to; with no day chosen, they apply every day."
    ),
    "availability.weekly": "Or weekly hours",
    "availability.weekly_placeholder": "Mo-Fr 18:00-23:00; Sa,Su 09:00-22:00",
    "availability.weekly_help": (
        "For hours that change from one day to the next; once filled in, this field "
        "replaces the boxes above. Write the days (Mo Tu We Th Fr Sa Su), then the "
        "windows: “;” separates the rules, “,” the windows of one day. For example "
        "“Mo-Fr 18:00-23:00; Sa,Su 09:00-22:00”, “Sa,Su 09:00-12:00,14:00-22:00” or "
        "“Fr 22:00-02:00” (into Saturday morning)."
    ),
    "maker.nozzle_option": "{size} mm",
    "hub.labels.download": "Labels of batch no. {batch} (PDF)",
    "hub.defects": "Reported defects",
    "hub.defects.none": "No defect reported.",
    "hub.defects.line": "Report no. {id} · batch no. {batch} · {source} · {when}",
    "hub.defects.source.public": "the batch's public page",
    "hub.defects.source.centre": "{centre}",
    "hub.defects.makers": "Makers of the batch: {makers}",
    "hub.defects.hold": "Put batch no. {batch} on hold",
    "hub.defects.held": "Batch no. {batch} put on hold (hold no. {hold}).",
    "hub.defects.no_holds": "Quarantine is not available on this service.",
    "hub.defects.hold_reason": "defect report no. {id}",
    "hub.exports": "Exports for the treasurer",
    "hub.exports.since": "From",
    "hub.exports.until": "To",
    "hub.exports.deliveries": "Deliveries (CSV)",
    "hub.exports.donations": "Donations (CSV)",
    "hub.exports.contributions": "Makers' contributions (CSV)",
    # --- quarantine and recall ---
    "page.quarantine": "Quarantine",
    "stage.quarantined": "In quarantine",
    "quarantine.intro": (
        "Hold suspect goods: they leave the flow (nothing packs or delivers them) until "
        "they are released or scrapped."
    ),
    "quarantine.place": "Put on hold",
    "quarantine.scope": "What",
    "quarantine.scope.batch": "A batch",
    "quarantine.scope.job": "A print job",
    "quarantine.scope.printer": "A printer's output",
    "quarantine.scope.maker": "A maker's output",
    "quarantine.scope.period": "A period",
    "quarantine.scope.batch_field": "Batch",
    "quarantine.scope.job_field": "Job no.",
    "quarantine.scope.printer_field": "Printer",
    "quarantine.scope.maker_field": "Maker",
    "quarantine.scope.batch_id": "batch no. {id}",
    "quarantine.scope.job_id": "job no. {id}",
    "quarantine.scope.printer_id": "printer no. {id}",
    "quarantine.scope.maker_id": "maker no. {id}",
    "quarantine.scope.printer_named": "printer “{name}”",
    "quarantine.scope.maker_named": "maker “{name}”",
    "quarantine.scope.period_range": "from {since} to {until}",
    "quarantine.since": "From",
    "quarantine.until": "To",
    "quarantine.reason": "Reason",
    "quarantine.submit": "Hold",
    "quarantine.failed": "The hold failed",
    "quarantine.placed": "Hold no. {id} placed: {held} in quarantine.",
    "quarantine.holds": "Holds",
    "quarantine.no_holds": "No holds.",
    "quarantine.hold_title": {
        "one": "Hold no. {id} — {target}: {count} piece held ({status})",
        "other": "Hold no. {id} — {target}: {count} pieces held ({status})",
    },
    "quarantine.status.active": "active",
    "quarantine.status.released": "released",
    "quarantine.status.scrapped": "scrapped",
    "quarantine.placed_at": "Placed {time}: {reason}",
    "quarantine.scrap_reason": "Scrapped: {reason}",
    "quarantine.nothing_held": "Nothing is in quarantine under this hold.",
    "quarantine.batches": "Batches reached: {batches}",
    "quarantine.col.item": "Item",
    "quarantine.col.from": "Taken from",
    "quarantine.col.quantity": "Quantity",
    "quarantine.col.centre": "Centre",
    "quarantine.col.batch": "Batch",
    "quarantine.col.order": "Order",
    "quarantine.release": "Release",
    "quarantine.released": "Hold no. {id} released: everything is back at its stage.",
    "quarantine.scrap_why": "Why scrap",
    "quarantine.scrap": "Scrap",
    "quarantine.scrapped": "Hold no. {id} scrapped.",
    "quarantine.recall.none": "Nothing of this hold was delivered.",
    "quarantine.recall.title": {
        "one": "**Recall**: {count} piece already delivered",
        "other": "**Recall**: {count} pieces already delivered",
    },
    "quarantine.recall.told": "Centres told on {time}.",
    "quarantine.recall.mark_told": "Record the centres as told",
    "alert.goods_in_quarantine": (
        "{quantity} parts or goods in quarantine under hold no. {hold_id}: {reason}"
    ),
    # --- notifications: a person's addresses and choices, the messages sent ---
    "page.notifications": "My notifications",
    "page.messages": "Sent messages",
    "notif.title": "My notifications",
    "notif.intro": (
        "makerline tells you when you are needed. Choose where, and for what. Only you and "
        "the fab-lab's coordination see your contact details."
    ),
    "notif.contact": "My contact details",
    "notif.email": "E-mail",
    "notif.phone": "Mobile phone (text messages)",
    "notif.phone_help": "For example +33 6 12 34 56 78.",
    "notif.chat": "Chat webhook (Discord, Matrix, Slack, Telegram…)",
    "notif.chat_help": (
        "The https address your channel gives you. It is kept encrypted and never shown "
        "in full again. Leave it blank to keep the current one."
    ),
    "notif.chat_saved": "Webhook saved: {url}",
    "notif.chat_remove": "Remove the webhook",
    "notif.language": "Language of the messages",
    "notif.reminder": "Remind me of a bed still to clear",
    "notif.reminder_minutes": "After (minutes)",
    "notif.night": "Tell me at night too, outside my hours",
    "notif.contact_submit": "Save my contact details",
    "notif.contact_saved": "Contact details saved.",
    "notif.contact_failed": "Contact details not saved",
    "notif.channels": "Which way, for which message?",
    "notif.channels_intro": 'By default, everything comes by e-mail. "None": nothing for it.',
    "notif.channels_submit": "Save my choices",
    "notif.channels_saved": "Choices saved.",
    "notif.channels_failed": "Choices not saved",
    "notif.missing_address": (
        "You chose {channel} for at least one message, without an address for it: those "
        "messages will not go."
    ),
    "channel.email": "E-mail",
    "channel.sms": "Text message",
    "channel.chat": "Chat",
    "channel.none": "None",
    "message_kind.bed_to_clear": "Bed to clear",
    "message_kind.bed_still_waiting": "Bed still to clear (reminder)",
    "message_kind.printer_offline": "Printer offline",
    "message_kind.job_failed": "Print failed",
    "message_kind.parts_to_collect": "Parts to collect, collection round",
    "message_kind.order_confirmed": "Order confirmed",
    "message_kind.forecast_changed": "Expected date changed or late",
    "message_kind.out_for_delivery": "Out for delivery",
    "message_kind.confirm_receipt": "Please confirm receipt",
    "message_kind.supply_running_out": "Supply running out",
    "message_kind.job_flagged": "Job to check after its last attempt",
    "message_kind.silent_printer": "Silent printer or maker",
    "message_kind.daily_digest": "Daily digest",
    "outbox_status.pending": "Waiting",
    "outbox_status.sending": "Sending",
    "outbox_status.sent": "Sent",
    "outbox_status.grouped": "Grouped",
    "outbox_status.failed": "Failed",
    "outbox_status.skipped": "Not sent",
    "messages.title": "Sent messages",
    "messages.intro": (
        "Everything makerline sent or will send, newest first. A failed message never "
        "stops production."
    ),
    "messages.status": "Status",
    "messages.kind": "Message",
    "messages.all": "All",
    "messages.count": {
        "one": "{count} message shown of {total}.",
        "other": "{count} messages shown of {total}.",
    },
    "messages.none": "No messages yet.",
    "col.person": "To",
    "col.message_kind": "Message",
    "col.channel": "Channel",
    "col.address": "Address",
    "col.queued_at": "Queued",
    "col.not_before": "Not before",
    "col.sent_at": "Sent",
    "col.last_error": "Last error",
    # --- end of notifications ---
}

MESSAGES: dict[str, dict[str, Message]] = {"fr": FRENCH, "en": ENGLISH}


@cache
def plural_rule(language: str) -> PluralRule:
    return Locale.parse(language).plural_form


def plural_form(message: Message, language: str, count: float | None) -> str:
    """The form of `message` that suits `count` in `language` (Babel's CLDR rules)."""
    if isinstance(message, str):
        return message
    category = plural_rule(language)(count) if count is not None else "other"
    return message.get(category) or message["other"]


def translate(language: str, key: str, **params: Any) -> str:
    """The sentence `key` in `language`, with `params` filled in. A number given as
    `count` picks the plural form and is written the locale's way."""
    if language not in MESSAGES:
        language = DEFAULT_LANGUAGE
    message = MESSAGES[language].get(key) or FRENCH.get(key) or key
    count = params.get("count")
    if not isinstance(count, int | float) or isinstance(count, bool):
        count = None
    template = plural_form(message, language, count)
    if count is not None:
        params["count"] = format_decimal(count, locale=language)
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
