//! The widget's words in English, French, German, Spanish and Italian.
//!
//! Each language is one [`Strings`] value: a missing translation is a compile error,
//! not an English word in a French page. Placeholders are `{name}`, filled by [`fill`].

/// A language the widget speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
    /// German.
    De,
    /// Spanish.
    Es,
    /// Italian.
    It,
}

impl Lang {
    /// Every language.
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Fr, Lang::De, Lang::Es, Lang::It];

    /// The language of a BCP 47 tag (`fr-CA` is French); `None` for others.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            "de" => Some(Lang::De),
            "es" => Some(Lang::Es),
            "it" => Some(Lang::It),
            _ => None,
        }
    }

    /// The first supported language among an attribute and the browser's preferences,
    /// else English.
    pub fn negotiate<'a>(
        attribute: Option<&str>,
        browser: impl IntoIterator<Item = &'a str>,
    ) -> Lang {
        attribute
            .and_then(Lang::from_tag)
            .or_else(|| browser.into_iter().find_map(Lang::from_tag))
            .unwrap_or(Lang::En)
    }

    /// The tag, for `lang` attributes and `Intl`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Es => "es",
            Lang::It => "it",
        }
    }

    /// The words.
    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Fr => &FR,
            Lang::De => &DE,
            Lang::Es => &ES,
            Lang::It => &IT,
        }
    }
}

/// Fills `{name}` placeholders.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Defines [`Strings`] with one `&'static str` field per text, and (for the tests) a
/// list of every field, so that checks over all texts cannot miss a new one. The texts
/// in brackets are the order status screens' only (the `status` feature): the widget's
/// picker module does not carry them.
macro_rules! strings {
    ($($name:ident,)* [$($status:ident,)*] $($more:ident,)*) => {
        /// Every text the widget shows.
        #[derive(Debug)]
        pub struct Strings {
            $(pub $name: &'static str,)*
            $(#[cfg(feature = "status")] pub $status: &'static str,)*
            $(pub $more: &'static str,)*
        }

        impl Strings {
            /// Every text, with its field's name.
            #[cfg(test)]
            fn all(&self) -> Vec<(&'static str, &'static str)> {
                let mut all = vec![$((stringify!($name), self.$name)),*];
                #[cfg(feature = "status")]
                all.extend([$((stringify!($status), self.$status)),*]);
                all.extend([$((stringify!($more), self.$more)),*]);
                all
            }
        }
    };
}

/// One language's [`Strings`], written as [`strings!`] lists the texts: the bracketed
/// ones only with the `status` feature.
macro_rules! language {
    ($($name:ident: $text:expr,)* [$($status:ident: $status_text:expr,)*] $($more:ident: $more_text:expr,)*) => {
        Strings {
            $($name: $text,)*
            $(#[cfg(feature = "status")] $status: $status_text,)*
            $($more: $more_text,)*
        }
    };
}

strings! {
    search_label, search_placeholder, search_no_match, search_results, kind_country,
    kind_region, from_price, plans_for, scope_own, scope_regional, best_value, no_match,
    clear_filters, sort_label, sort_price, sort_data, sort_validity, days_one, days_many,
    covers_countries, sold_out, choose, loading, load_failed, retry, no_plans,
    change_destination, back, checkout_title, email_label, email_hint, email_invalid,
    terms_before, terms_link, pay, redirecting, pay_link,
    [
        order_title, order_reference, step_payment,
        step_preparing, step_ready, status_pending, status_paid, status_provisioning,
        status_ready, status_declined, status_provisioning_failed, status_failed,
        status_expired, status_refunded, status_topup_ready, choose_again, offline, ready_scan,
        scan_other, other_device, save_qr, copy_all, share, how_iphone_manual, qr_label,
        manual_title, smdp_label, code_label, copy, copied, install_iphone, install_android,
        how_title, how_iphone, how_android, keep_primary, install_before, valid_between,
        plan_details, usage_title, usage_used, usage_left, usage_measured, topup_title,
        topup_add, new_purchase, traveller, status_lines, status_ready_many, line_refunded,
        share_traveller, copy_traveller,
    ]
    err_email, err_sold_out, err_rate_limited, err_offline,
    err_upstream, err_network, err_not_found, err_conflict, err_generic, err_payment_page,
    region_western_europe, region_europe, region_north_america, region_asia,
    region_latin_america, region_middle_east, region_global, widget_label, colon,
    shop_unavailable,
    travellers_label, travellers_hint, total, err_quantity,
}

impl Strings {
    /// "1 day" or "30 days".
    pub fn days(&self, n: u32) -> String {
        if n == 1 {
            self.days_one.to_owned()
        } else {
            fill(self.days_many, &[("n", &n.to_string())])
        }
    }

    /// A region's name, when the widget knows it.
    pub fn region(&self, slug: &str) -> Option<&'static str> {
        Some(match slug {
            "western-europe" => self.region_western_europe,
            "europe" => self.region_europe,
            "north-america" => self.region_north_america,
            "asia" => self.region_asia,
            "latin-america" => self.region_latin_america,
            "middle-east" => self.region_middle_east,
            "global" => self.region_global,
            _ => return None,
        })
    }
}

/// English.
pub static EN: Strings = language! {
    search_label: "Where are you going?",
    search_placeholder: "Search a country or region",
    search_no_match: "No destination matches “{q}”.",
    search_results: "Destinations found: {n}",
    kind_country: "Country",
    kind_region: "Region",
    from_price: "from {price}",
    plans_for: "{dest} eSIM plans",
    scope_own: "{dest} only",
    scope_regional: "Multi-country",
    best_value: "Best price per GB",
    no_match: "No plan matches these filters.",
    clear_filters: "Show all plans",
    sort_label: "Sort by",
    sort_price: "Price",
    sort_data: "Data",
    sort_validity: "Validity",
    days_one: "1 day",
    days_many: "{n} days",
    covers_countries: "Covers {n} countries",
    sold_out: "Sold out",
    choose: "Choose",
    loading: "Loading plans…",
    load_failed: "We couldn't load the plans.",
    retry: "Try again",
    no_plans: "No plans are available for this destination yet.",
    change_destination: "Change destination",
    back: "Back",
    checkout_title: "Your eSIM",
    email_label: "Email",
    email_hint: "We send your receipt and eSIM details here.",
    email_invalid: "Enter an email address like name@example.com.",
    terms_before: "By continuing you accept the",
    terms_link: "plan terms",
    pay: "Continue to payment · {price}",
    redirecting: "Taking you to secure payment…",
    pay_link: "Continue to secure payment",
    [
    order_title: "Your order",
    order_reference: "Order reference",
    step_payment: "Payment",
    step_preparing: "Preparing your eSIM",
    step_ready: "Ready to install",
    status_pending: "Waiting for your payment…",
    status_paid: "Confirming your payment…",
    status_provisioning: "Payment confirmed. Preparing your eSIM…",
    status_ready: "Your eSIM is ready.",
    status_declined: "Your payment was declined. No money was taken.",
    status_provisioning_failed: "We couldn't prepare your eSIM. Contact support with your order reference for a refund.",
    status_failed: "This order could not be completed.",
    status_expired: "The payment page expired before payment.",
    status_refunded: "This order was refunded. Its eSIM no longer works.",
    status_topup_ready: "Your top-up is added to your eSIM.",
    choose_again: "Choose a plan",
    offline: "You're offline. We'll check again when you're back online.",
    ready_scan: "Scan this QR code with the phone you travel with.",
    scan_other: "Scan this QR code with the other device.",
    other_device: "Install on another device",
    save_qr: "Save QR code",
    copy_all: "Copy all details",
    share: "Share",
    how_iphone_manual: "On this iPhone: Settings › Mobile Service › Add eSIM › Use QR Code › Enter Details Manually.",
    qr_label: "QR code to install your eSIM",
    manual_title: "Or enter the details by hand",
    smdp_label: "SM-DP+ address",
    code_label: "Activation code",
    copy: "Copy",
    copied: "Copied",
    install_iphone: "Install on this iPhone",
    install_android: "Install on this phone",
    how_title: "How to install",
    how_iphone: "iPhone: Settings › Mobile Service › Add eSIM › Use QR Code.",
    how_android: "Android: Settings › Network & internet › SIMs › Add eSIM.",
    keep_primary: "Keep your primary SIM for calls and texts, and use this eSIM for data with data roaming on.",
    install_before: "Install it before you travel, on Wi-Fi. Don't delete it: an eSIM can't be installed twice.",
    valid_between: "Valid from {from} to {until}",
    plan_details: "Plan details and FAQ",
    usage_title: "Data",
    usage_used: "{used} used of {total}",
    usage_left: "{left} left",
    usage_measured: "Measured {time}. Roaming networks can report usage late.",
    topup_title: "Need more data?",
    topup_add: "Add {data} · {price}",
    new_purchase: "Buy another eSIM",
    traveller: "Traveller {n}",
    status_lines: "Payment confirmed. {ready} of {total} eSIMs ready…",
    status_ready_many: "Your {n} eSIMs are ready.",
    line_refunded: "Refunded: this eSIM no longer works.",
    share_traveller: "Share with this traveller",
    copy_traveller: "Copy for this traveller",
    ]
    err_email: "Enter an email address like name@example.com.",
    err_sold_out: "This plan just sold out. Please choose another.",
    err_rate_limited: "Too many attempts. Please wait a moment and try again.",
    err_offline: "You're offline. Connect to the internet and try again.",
    err_upstream: "Our eSIM provider is having trouble. Please try again in a few minutes.",
    err_network: "This shop can't be reached right now. Please try again in a moment.",
    err_not_found: "We couldn't find this order.",
    err_conflict: "This purchase was already started. Please start again.",
    err_generic: "Something went wrong. Please try again.",
    err_payment_page: "The payment page we were given is not a secure address, so we did not open it. Please try again later.",
    region_western_europe: "Western Europe",
    region_europe: "Europe",
    region_north_america: "North America",
    region_asia: "Asia",
    region_latin_america: "Latin America",
    region_middle_east: "Middle East and North Africa",
    region_global: "Global",
    widget_label: "eSIM shop",
    colon: ":",
    shop_unavailable: "The eSIM shop could not load. Please reload the page.",
    travellers_label: "How many travellers?",
    travellers_hint: "One eSIM for each traveller, each with its own QR code.",
    total: "Total for {n} travellers: {price}",
    err_quantity: "This shop can't sell that many eSIMs of this plan in one order. Choose fewer travellers.",
};

/// French.
pub static FR: Strings = language! {
    search_label: "Où partez-vous\u{202f}?",
    search_placeholder: "Chercher un pays ou une région",
    search_no_match: "Aucune destination ne correspond à «\u{a0}{q}\u{a0}».",
    search_results: "Destinations trouvées\u{a0}: {n}",
    kind_country: "Pays",
    kind_region: "Région",
    from_price: "dès {price}",
    plans_for: "{dest}\u{a0}: forfaits eSIM",
    scope_own: "{dest} uniquement",
    scope_regional: "Multi-pays",
    best_value: "Meilleur prix au Go",
    no_match: "Aucun forfait ne correspond à ces filtres.",
    clear_filters: "Afficher tous les forfaits",
    sort_label: "Trier par",
    sort_price: "Prix",
    sort_data: "Données",
    sort_validity: "Validité",
    days_one: "1 jour",
    days_many: "{n} jours",
    covers_countries: "Couvre {n} pays",
    sold_out: "Épuisé",
    choose: "Choisir",
    loading: "Chargement des forfaits…",
    load_failed: "Impossible de charger les forfaits.",
    retry: "Réessayer",
    no_plans: "Aucun forfait n'est encore disponible pour cette destination.",
    change_destination: "Changer de destination",
    back: "Retour",
    checkout_title: "Votre eSIM",
    email_label: "E-mail",
    email_hint: "Nous y envoyons votre reçu et votre eSIM.",
    email_invalid: "Saisissez une adresse e-mail comme nom@exemple.fr.",
    terms_before: "En continuant, vous acceptez les",
    terms_link: "conditions du forfait",
    pay: "Payer · {price}",
    redirecting: "Redirection vers le paiement sécurisé…",
    pay_link: "Continuer vers le paiement sécurisé",
    [
    order_title: "Votre commande",
    order_reference: "Référence de commande",
    step_payment: "Paiement",
    step_preparing: "Préparation de votre eSIM",
    step_ready: "Prête à installer",
    status_pending: "En attente de votre paiement…",
    status_paid: "Confirmation de votre paiement…",
    status_provisioning: "Paiement confirmé. Préparation de votre eSIM…",
    status_ready: "Votre eSIM est prête.",
    status_declined: "Votre paiement a été refusé. Aucun montant n'a été débité.",
    status_provisioning_failed: "Nous n'avons pas pu préparer votre eSIM. Contactez le support avec votre référence pour être remboursé.",
    status_failed: "Cette commande n'a pas pu aboutir.",
    status_expired: "La page de paiement a expiré avant le paiement.",
    status_refunded: "Cette commande a été remboursée. Son eSIM ne fonctionne plus.",
    status_topup_ready: "Votre recharge a été ajoutée à votre eSIM.",
    choose_again: "Choisir un forfait",
    offline: "Vous êtes hors ligne. Nous vérifierons dès votre retour en ligne.",
    ready_scan: "Scannez ce QR code avec le téléphone qui voyage avec vous.",
    scan_other: "Scannez ce QR code avec l'autre appareil.",
    other_device: "Installer sur un autre appareil",
    save_qr: "Enregistrer le QR code",
    copy_all: "Copier toutes les informations",
    share: "Partager",
    how_iphone_manual: "Sur cet iPhone\u{a0}: Réglages › Données cellulaires › Ajouter une eSIM › Utiliser un code QR › Saisir les informations manuellement.",
    qr_label: "QR code pour installer votre eSIM",
    manual_title: "Ou saisissez les informations à la main",
    smdp_label: "Adresse SM-DP+",
    code_label: "Code d'activation",
    copy: "Copier",
    copied: "Copié",
    install_iphone: "Installer sur cet iPhone",
    install_android: "Installer sur ce téléphone",
    how_title: "Comment l'installer",
    how_iphone: "iPhone\u{a0}: Réglages › Données cellulaires › Ajouter une eSIM › Utiliser un code QR.",
    how_android: "Android\u{a0}: Paramètres › Réseau et Internet › SIM › Ajouter une eSIM.",
    keep_primary: "Gardez votre SIM principale pour les appels et SMS, et utilisez cette eSIM pour les données, itinérance activée.",
    install_before: "Installez-la avant de partir, en Wi-Fi. Ne la supprimez pas\u{a0}: une eSIM ne s'installe qu'une fois.",
    valid_between: "Valable du {from} au {until}",
    plan_details: "Détails du forfait et FAQ",
    usage_title: "Données",
    usage_used: "{used} utilisés sur {total}",
    usage_left: "{left} restants",
    usage_measured: "Relevé {time}. Les réseaux en itinérance peuvent signaler la consommation en retard.",
    topup_title: "Besoin de plus de données\u{202f}?",
    topup_add: "Ajouter {data} · {price}",
    new_purchase: "Acheter une autre eSIM",
    traveller: "Voyageur {n}",
    status_lines: "Paiement confirmé. eSIM prêtes\u{a0}: {ready} sur {total}…",
    status_ready_many: "Vos {n} eSIM sont prêtes.",
    line_refunded: "Remboursée\u{a0}: cette eSIM ne fonctionne plus.",
    share_traveller: "Partager avec ce voyageur",
    copy_traveller: "Copier pour ce voyageur",
    ]
    err_email: "Saisissez une adresse e-mail comme nom@exemple.fr.",
    err_sold_out: "Ce forfait vient d'être épuisé. Choisissez-en un autre.",
    err_rate_limited: "Trop de tentatives. Patientez un instant puis réessayez.",
    err_offline: "Vous êtes hors ligne. Connectez-vous à Internet puis réessayez.",
    err_upstream: "Notre fournisseur eSIM rencontre un problème. Réessayez dans quelques minutes.",
    err_network: "La boutique est injoignable pour le moment. Réessayez dans un instant.",
    err_not_found: "Nous n'avons pas trouvé cette commande.",
    err_conflict: "Cet achat a déjà été commencé. Recommencez, s'il vous plaît.",
    err_generic: "Une erreur est survenue. Réessayez.",
    err_payment_page: "L'adresse de la page de paiement reçue n'est pas sécurisée\u{a0}: nous ne l'avons pas ouverte. Réessayez plus tard.",
    region_western_europe: "Europe de l'Ouest",
    region_europe: "Europe",
    region_north_america: "Amérique du Nord",
    region_asia: "Asie",
    region_latin_america: "Amérique latine",
    region_middle_east: "Moyen-Orient et Afrique du Nord",
    region_global: "Monde",
    widget_label: "Boutique eSIM",
    colon: "\u{a0}:",
    shop_unavailable: "La boutique eSIM n’a pas pu se charger. Rechargez la page.",
    travellers_label: "Combien de voyageurs\u{202f}?",
    travellers_hint: "Une eSIM par voyageur, chacune avec son propre QR code.",
    total: "Total pour {n} voyageurs\u{a0}: {price}",
    err_quantity: "Cette boutique ne peut pas vendre autant d'eSIM de ce forfait en une seule commande. Choisissez moins de voyageurs.",
};

/// German.
pub static DE: Strings = language! {
    search_label: "Wohin reisen Sie?",
    search_placeholder: "Land oder Region suchen",
    search_no_match: "Kein Reiseziel passt zu „{q}“.",
    search_results: "Gefundene Reiseziele: {n}",
    kind_country: "Land",
    kind_region: "Region",
    from_price: "ab {price}",
    plans_for: "{dest}: eSIM-Tarife",
    scope_own: "Nur {dest}",
    scope_regional: "Mehrere Länder",
    best_value: "Bester Preis pro GB",
    no_match: "Kein Tarif passt zu diesen Filtern.",
    clear_filters: "Alle Tarife zeigen",
    sort_label: "Sortieren nach",
    sort_price: "Preis",
    sort_data: "Datenvolumen",
    sort_validity: "Gültigkeit",
    days_one: "1 Tag",
    days_many: "{n} Tage",
    covers_countries: "Gilt in {n} Ländern",
    sold_out: "Ausverkauft",
    choose: "Auswählen",
    loading: "Tarife werden geladen…",
    load_failed: "Die Tarife konnten nicht geladen werden.",
    retry: "Erneut versuchen",
    no_plans: "Für dieses Reiseziel gibt es noch keine Tarife.",
    change_destination: "Reiseziel ändern",
    back: "Zurück",
    checkout_title: "Ihre eSIM",
    email_label: "E-Mail",
    email_hint: "Dorthin senden wir Beleg und eSIM-Daten.",
    email_invalid: "Geben Sie eine E-Mail-Adresse wie name@beispiel.de ein.",
    terms_before: "Mit dem Fortfahren akzeptieren Sie die",
    terms_link: "Tarifbedingungen",
    pay: "Weiter zur Zahlung · {price}",
    redirecting: "Weiterleitung zur sicheren Zahlung…",
    pay_link: "Weiter zur sicheren Zahlung",
    [
    order_title: "Ihre Bestellung",
    order_reference: "Bestellnummer",
    step_payment: "Zahlung",
    step_preparing: "eSIM wird vorbereitet",
    step_ready: "Bereit zur Installation",
    status_pending: "Warten auf Ihre Zahlung…",
    status_paid: "Ihre Zahlung wird bestätigt…",
    status_provisioning: "Zahlung bestätigt. Ihre eSIM wird vorbereitet…",
    status_ready: "Ihre eSIM ist bereit.",
    status_declined: "Ihre Zahlung wurde abgelehnt. Es wurde nichts abgebucht.",
    status_provisioning_failed: "Ihre eSIM konnte nicht vorbereitet werden. Wenden Sie sich mit Ihrer Bestellnummer an den Support, um eine Erstattung zu erhalten.",
    status_failed: "Diese Bestellung konnte nicht abgeschlossen werden.",
    status_expired: "Die Zahlungsseite ist vor der Zahlung abgelaufen.",
    status_refunded: "Diese Bestellung wurde erstattet. Ihre eSIM funktioniert nicht mehr.",
    status_topup_ready: "Ihr Datenpaket wurde Ihrer eSIM hinzugefügt.",
    choose_again: "Tarif wählen",
    offline: "Sie sind offline. Wir prüfen erneut, sobald Sie wieder online sind.",
    ready_scan: "Scannen Sie diesen QR-Code mit dem Telefon, mit dem Sie reisen.",
    scan_other: "Scannen Sie diesen QR-Code mit dem anderen Gerät.",
    other_device: "Auf einem anderen Gerät installieren",
    save_qr: "QR-Code speichern",
    copy_all: "Alle Daten kopieren",
    share: "Teilen",
    how_iphone_manual: "Auf diesem iPhone: Einstellungen › Mobilfunk › eSIM hinzufügen › QR-Code verwenden › Details manuell eingeben.",
    qr_label: "QR-Code zur Installation Ihrer eSIM",
    manual_title: "Oder geben Sie die Daten von Hand ein",
    smdp_label: "SM-DP+-Adresse",
    code_label: "Aktivierungscode",
    copy: "Kopieren",
    copied: "Kopiert",
    install_iphone: "Auf diesem iPhone installieren",
    install_android: "Auf diesem Telefon installieren",
    how_title: "So installieren Sie sie",
    how_iphone: "iPhone: Einstellungen › Mobilfunk › eSIM hinzufügen › QR-Code verwenden.",
    how_android: "Android: Einstellungen › Netzwerk & Internet › SIMs › eSIM hinzufügen.",
    keep_primary: "Behalten Sie Ihre Haupt-SIM für Anrufe und SMS und nutzen Sie diese eSIM mit aktiviertem Daten-Roaming für mobile Daten.",
    install_before: "Installieren Sie sie vor der Reise im WLAN. Nicht löschen: Eine eSIM lässt sich nur einmal installieren.",
    valid_between: "Gültig vom {from} bis {until}",
    plan_details: "Tarifdetails und FAQ",
    usage_title: "Datenvolumen",
    usage_used: "{used} von {total} verbraucht",
    usage_left: "{left} übrig",
    usage_measured: "Gemessen {time}. Roaming-Netze melden den Verbrauch oft verzögert.",
    topup_title: "Mehr Daten nötig?",
    topup_add: "{data} hinzufügen · {price}",
    new_purchase: "Weitere eSIM kaufen",
    traveller: "Person {n}",
    status_lines: "Zahlung bestätigt. {ready} von {total} eSIMs bereit…",
    status_ready_many: "Ihre {n} eSIMs sind bereit.",
    line_refunded: "Erstattet: Diese eSIM funktioniert nicht mehr.",
    share_traveller: "Mit dieser Person teilen",
    copy_traveller: "Für diese Person kopieren",
    ]
    err_email: "Geben Sie eine E-Mail-Adresse wie name@beispiel.de ein.",
    err_sold_out: "Dieser Tarif ist gerade ausverkauft. Bitte wählen Sie einen anderen.",
    err_rate_limited: "Zu viele Versuche. Bitte warten Sie einen Moment.",
    err_offline: "Sie sind offline. Verbinden Sie sich mit dem Internet und versuchen Sie es erneut.",
    err_upstream: "Unser eSIM-Anbieter hat gerade Probleme. Bitte versuchen Sie es in ein paar Minuten erneut.",
    err_network: "Der Shop ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.",
    err_not_found: "Diese Bestellung wurde nicht gefunden.",
    err_conflict: "Dieser Kauf wurde bereits begonnen. Bitte beginnen Sie neu.",
    err_generic: "Etwas ist schiefgelaufen. Bitte versuchen Sie es erneut.",
    err_payment_page: "Die erhaltene Adresse der Zahlungsseite ist nicht sicher, daher haben wir sie nicht geöffnet. Bitte versuchen Sie es später erneut.",
    region_western_europe: "Westeuropa",
    region_europe: "Europa",
    region_north_america: "Nordamerika",
    region_asia: "Asien",
    region_latin_america: "Lateinamerika",
    region_middle_east: "Naher Osten und Nordafrika",
    region_global: "Weltweit",
    widget_label: "eSIM-Shop",
    colon: ":",
    shop_unavailable: "Der eSIM-Shop konnte nicht geladen werden. Bitte laden Sie die Seite neu.",
    travellers_label: "Wie viele Personen reisen?",
    travellers_hint: "Eine eSIM pro Person, jede mit eigenem QR-Code.",
    total: "Gesamt für {n} Personen: {price}",
    err_quantity: "Dieser Shop kann so viele eSIMs dieses Tarifs nicht in einer Bestellung verkaufen. Wählen Sie weniger Personen.",
};

/// Spanish.
pub static ES: Strings = language! {
    search_label: "¿Adónde viajas?",
    search_placeholder: "Busca un país o una región",
    search_no_match: "Ningún destino coincide con «{q}».",
    search_results: "Destinos encontrados: {n}",
    kind_country: "País",
    kind_region: "Región",
    from_price: "desde {price}",
    plans_for: "{dest}: planes eSIM",
    scope_own: "Solo {dest}",
    scope_regional: "Varios países",
    best_value: "Mejor precio por GB",
    no_match: "Ningún plan coincide con estos filtros.",
    clear_filters: "Ver todos los planes",
    sort_label: "Ordenar por",
    sort_price: "Precio",
    sort_data: "Datos",
    sort_validity: "Validez",
    days_one: "1 día",
    days_many: "{n} días",
    covers_countries: "Cubre {n} países",
    sold_out: "Agotado",
    choose: "Elegir",
    loading: "Cargando planes…",
    load_failed: "No pudimos cargar los planes.",
    retry: "Reintentar",
    no_plans: "Todavía no hay planes para este destino.",
    change_destination: "Cambiar destino",
    back: "Volver",
    checkout_title: "Tu eSIM",
    email_label: "Correo electrónico",
    email_hint: "Te enviamos aquí el recibo y los datos de la eSIM.",
    email_invalid: "Escribe un correo como nombre@ejemplo.es.",
    terms_before: "Al continuar aceptas las",
    terms_link: "condiciones del plan",
    pay: "Ir al pago · {price}",
    redirecting: "Te llevamos al pago seguro…",
    pay_link: "Continuar al pago seguro",
    [
    order_title: "Tu pedido",
    order_reference: "Referencia del pedido",
    step_payment: "Pago",
    step_preparing: "Preparando tu eSIM",
    step_ready: "Lista para instalar",
    status_pending: "Esperando tu pago…",
    status_paid: "Confirmando tu pago…",
    status_provisioning: "Pago confirmado. Preparando tu eSIM…",
    status_ready: "Tu eSIM está lista.",
    status_declined: "Tu pago fue rechazado. No se ha cobrado nada.",
    status_provisioning_failed: "No pudimos preparar tu eSIM. Contacta con soporte con tu referencia para el reembolso.",
    status_failed: "Este pedido no se pudo completar.",
    status_expired: "La página de pago caducó antes del pago.",
    status_refunded: "Este pedido fue reembolsado. Su eSIM ya no funciona.",
    status_topup_ready: "Tu recarga se ha añadido a tu eSIM.",
    choose_again: "Elegir un plan",
    offline: "Estás sin conexión. Lo comprobaremos cuando vuelvas a estar en línea.",
    ready_scan: "Escanea este código QR con el teléfono con el que viajas.",
    scan_other: "Escanea este código QR con el otro dispositivo.",
    other_device: "Instalar en otro dispositivo",
    save_qr: "Guardar el código QR",
    copy_all: "Copiar todos los datos",
    share: "Compartir",
    how_iphone_manual: "En este iPhone: Ajustes › Datos móviles › Añadir eSIM › Usar código QR › Introducir datos manualmente.",
    qr_label: "Código QR para instalar tu eSIM",
    manual_title: "O introduce los datos a mano",
    smdp_label: "Dirección SM-DP+",
    code_label: "Código de activación",
    copy: "Copiar",
    copied: "Copiado",
    install_iphone: "Instalar en este iPhone",
    install_android: "Instalar en este teléfono",
    how_title: "Cómo instalarla",
    how_iphone: "iPhone: Ajustes › Datos móviles › Añadir eSIM › Usar código QR.",
    how_android: "Android: Ajustes › Redes e Internet › SIMs › Añadir eSIM.",
    keep_primary: "Mantén tu SIM principal para llamadas y SMS, y usa esta eSIM para datos con la itinerancia activada.",
    install_before: "Instálala antes de viajar, con wifi. No la borres: una eSIM solo se instala una vez.",
    valid_between: "Válida del {from} al {until}",
    plan_details: "Detalles del plan y preguntas frecuentes",
    usage_title: "Datos",
    usage_used: "{used} usados de {total}",
    usage_left: "Quedan {left}",
    usage_measured: "Medido {time}. Las redes en itinerancia pueden informar del consumo con retraso.",
    topup_title: "¿Necesitas más datos?",
    topup_add: "Añadir {data} · {price}",
    new_purchase: "Comprar otra eSIM",
    traveller: "Viajero {n}",
    status_lines: "Pago confirmado. eSIM listas: {ready} de {total}…",
    status_ready_many: "Tus {n} eSIM están listas.",
    line_refunded: "Reembolsada: esta eSIM ya no funciona.",
    share_traveller: "Compartir con este viajero",
    copy_traveller: "Copiar para este viajero",
    ]
    err_email: "Escribe un correo como nombre@ejemplo.es.",
    err_sold_out: "Este plan se acaba de agotar. Elige otro.",
    err_rate_limited: "Demasiados intentos. Espera un momento e inténtalo de nuevo.",
    err_offline: "Estás sin conexión. Conéctate a internet e inténtalo de nuevo.",
    err_upstream: "Nuestro proveedor de eSIM tiene problemas. Inténtalo de nuevo en unos minutos.",
    err_network: "La tienda no está disponible en este momento. Inténtalo de nuevo en un momento.",
    err_not_found: "No encontramos este pedido.",
    err_conflict: "Esta compra ya se había iniciado. Empieza de nuevo.",
    err_generic: "Algo salió mal. Inténtalo de nuevo.",
    err_payment_page: "La dirección de la página de pago que recibimos no es segura, así que no la abrimos. Inténtalo de nuevo más tarde.",
    region_western_europe: "Europa Occidental",
    region_europe: "Europa",
    region_north_america: "América del Norte",
    region_asia: "Asia",
    region_latin_america: "América Latina",
    region_middle_east: "Oriente Medio y Norte de África",
    region_global: "Global",
    widget_label: "Tienda de eSIM",
    colon: ":",
    shop_unavailable: "No se ha podido cargar la tienda de eSIM. Vuelve a cargar la página.",
    travellers_label: "¿Cuántos viajeros?",
    travellers_hint: "Una eSIM por viajero, cada una con su propio código QR.",
    total: "Total para {n} viajeros: {price}",
    err_quantity: "Esta tienda no puede vender tantas eSIM de este plan en un solo pedido. Elige menos viajeros.",
};

/// Italian.
pub static IT: Strings = language! {
    search_label: "Dove vai?",
    search_placeholder: "Cerca un paese o una regione",
    search_no_match: "Nessuna destinazione corrisponde a «{q}».",
    search_results: "Destinazioni trovate: {n}",
    kind_country: "Paese",
    kind_region: "Regione",
    from_price: "da {price}",
    plans_for: "{dest}: piani eSIM",
    scope_own: "Solo {dest}",
    scope_regional: "Più paesi",
    best_value: "Miglior prezzo per GB",
    no_match: "Nessun piano corrisponde a questi filtri.",
    clear_filters: "Mostra tutti i piani",
    sort_label: "Ordina per",
    sort_price: "Prezzo",
    sort_data: "Dati",
    sort_validity: "Validità",
    days_one: "1 giorno",
    days_many: "{n} giorni",
    covers_countries: "Copre {n} paesi",
    sold_out: "Esaurito",
    choose: "Scegli",
    loading: "Caricamento dei piani…",
    load_failed: "Non siamo riusciti a caricare i piani.",
    retry: "Riprova",
    no_plans: "Non ci sono ancora piani per questa destinazione.",
    change_destination: "Cambia destinazione",
    back: "Indietro",
    checkout_title: "La tua eSIM",
    email_label: "Email",
    email_hint: "Qui inviamo la ricevuta e i dati della eSIM.",
    email_invalid: "Inserisci un indirizzo email come nome@esempio.it.",
    terms_before: "Continuando accetti le",
    terms_link: "condizioni del piano",
    pay: "Vai al pagamento · {price}",
    redirecting: "Ti portiamo al pagamento sicuro…",
    pay_link: "Continua al pagamento sicuro",
    [
    order_title: "Il tuo ordine",
    order_reference: "Riferimento ordine",
    step_payment: "Pagamento",
    step_preparing: "Preparazione della eSIM",
    step_ready: "Pronta da installare",
    status_pending: "In attesa del pagamento…",
    status_paid: "Conferma del pagamento in corso…",
    status_provisioning: "Pagamento confermato. Stiamo preparando la tua eSIM…",
    status_ready: "La tua eSIM è pronta.",
    status_declined: "Il pagamento è stato rifiutato. Non è stato addebitato nulla.",
    status_provisioning_failed: "Non siamo riusciti a preparare la tua eSIM. Contatta l'assistenza con il riferimento dell'ordine per il rimborso.",
    status_failed: "Questo ordine non è stato completato.",
    status_expired: "La pagina di pagamento è scaduta prima del pagamento.",
    status_refunded: "Questo ordine è stato rimborsato. La sua eSIM non funziona più.",
    status_topup_ready: "La ricarica è stata aggiunta alla tua eSIM.",
    choose_again: "Scegli un piano",
    offline: "Sei offline. Controlleremo di nuovo appena torni online.",
    ready_scan: "Scansiona questo codice QR con il telefono con cui viaggi.",
    scan_other: "Scansiona questo codice QR con l'altro dispositivo.",
    other_device: "Installa su un altro dispositivo",
    save_qr: "Salva il codice QR",
    copy_all: "Copia tutti i dati",
    share: "Condividi",
    how_iphone_manual: "Su questo iPhone: Impostazioni › Cellulare › Aggiungi eSIM › Usa codice QR › Inserisci i dettagli manualmente.",
    qr_label: "Codice QR per installare la tua eSIM",
    manual_title: "Oppure inserisci i dati a mano",
    smdp_label: "Indirizzo SM-DP+",
    code_label: "Codice di attivazione",
    copy: "Copia",
    copied: "Copiato",
    install_iphone: "Installa su questo iPhone",
    install_android: "Installa su questo telefono",
    how_title: "Come installarla",
    how_iphone: "iPhone: Impostazioni › Cellulare › Aggiungi eSIM › Usa codice QR.",
    how_android: "Android: Impostazioni › Rete e Internet › SIM › Aggiungi eSIM.",
    keep_primary: "Tieni la SIM principale per chiamate e SMS e usa questa eSIM per i dati, con il roaming dati attivo.",
    install_before: "Installala prima di partire, con il Wi-Fi. Non eliminarla: una eSIM si installa una sola volta.",
    valid_between: "Valida dal {from} al {until}",
    plan_details: "Dettagli del piano e FAQ",
    usage_title: "Dati",
    usage_used: "{used} usati su {total}",
    usage_left: "{left} rimanenti",
    usage_measured: "Misurato {time}. Le reti in roaming possono segnalare i consumi in ritardo.",
    topup_title: "Servono più dati?",
    topup_add: "Aggiungi {data} · {price}",
    new_purchase: "Acquista un'altra eSIM",
    traveller: "Viaggiatore {n}",
    status_lines: "Pagamento confermato. eSIM pronte: {ready} di {total}…",
    status_ready_many: "Le tue {n} eSIM sono pronte.",
    line_refunded: "Rimborsata: questa eSIM non funziona più.",
    share_traveller: "Condividi con questo viaggiatore",
    copy_traveller: "Copia per questo viaggiatore",
    ]
    err_email: "Inserisci un indirizzo email come nome@esempio.it.",
    err_sold_out: "Questo piano è appena esaurito. Scegline un altro.",
    err_rate_limited: "Troppi tentativi. Attendi un momento e riprova.",
    err_offline: "Sei offline. Connettiti a Internet e riprova.",
    err_upstream: "Il nostro fornitore di eSIM ha un problema. Riprova tra qualche minuto.",
    err_network: "Il negozio non è raggiungibile al momento. Riprova tra un momento.",
    err_not_found: "Non abbiamo trovato questo ordine.",
    err_conflict: "Questo acquisto era già stato avviato. Ricomincia.",
    err_generic: "Qualcosa è andato storto. Riprova.",
    err_payment_page: "L'indirizzo della pagina di pagamento ricevuto non è sicuro, quindi non l'abbiamo aperto. Riprova più tardi.",
    region_western_europe: "Europa occidentale",
    region_europe: "Europa",
    region_north_america: "Nord America",
    region_asia: "Asia",
    region_latin_america: "America Latina",
    region_middle_east: "Medio Oriente e Nord Africa",
    region_global: "Globale",
    widget_label: "Negozio eSIM",
    colon: ":",
    shop_unavailable: "Impossibile caricare il negozio eSIM. Ricarica la pagina.",
    travellers_label: "Quanti viaggiatori?",
    travellers_hint: "Una eSIM per ogni viaggiatore, ciascuna con il proprio codice QR.",
    total: "Totale per {n} viaggiatori: {price}",
    err_quantity: "Questo negozio non può vendere così tante eSIM di questo piano in un solo ordine. Scegli meno viaggiatori.",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert_eq!(Lang::negotiate(Some("fr"), ["de-DE"]), Lang::Fr);
        assert_eq!(Lang::negotiate(Some("pt-BR"), ["de-DE", "en"]), Lang::De);
        assert_eq!(Lang::negotiate(None, ["ja", "it-IT"]), Lang::It);
        assert_eq!(Lang::negotiate(None, ["ja"]), Lang::En);
        assert_eq!(Lang::from_tag("ES_mx"), Some(Lang::Es));
    }

    fn placeholders(t: &str) -> Vec<String> {
        let mut v: Vec<String> = t
            .split('{')
            .skip(1)
            .filter_map(|p| p.split('}').next())
            .map(str::to_owned)
            .collect();
        v.sort();
        v
    }

    #[test]
    fn placeholders_survive_translation() {
        // Every text of every language keeps the placeholders of the English one.
        for lang in Lang::ALL {
            for ((name, en), (_, other)) in EN.all().into_iter().zip(lang.strings().all()) {
                assert_eq!(
                    placeholders(en),
                    placeholders(other),
                    "{lang:?} {name}: {other}"
                );
            }
        }
    }

    /// French puts a no-break space before `:` and a narrow one before `;`, `?` and
    /// `!`, and no-break spaces inside « »; the other languages put no space before
    /// them. The space must be a no-break one, or a line could start with the mark.
    #[test]
    fn punctuation_is_spaced_as_each_language_writes() {
        const NO_BREAK: [char; 2] = ['\u{a0}', '\u{202f}'];
        for lang in Lang::ALL {
            for (name, text) in lang.strings().all() {
                let chars: Vec<char> = text.chars().collect();
                for (i, c) in chars.iter().enumerate() {
                    let before = i.checked_sub(1).map(|j| chars[j]);
                    let after = chars.get(i + 1).copied();
                    let french = lang == Lang::Fr;
                    match c {
                        ':' | ';' | '?' | '!' if french => assert!(
                            before.is_some_and(|b| NO_BREAK.contains(&b)),
                            "French {name}: no-break space before {c:?} in {text:?}"
                        ),
                        ':' | ';' | '?' | '!' => assert!(
                            before.is_none_or(|b| !b.is_whitespace()),
                            "{lang:?} {name}: space before {c:?} in {text:?}"
                        ),
                        '«' if french => assert!(
                            after.is_some_and(|a| NO_BREAK.contains(&a)),
                            "French {name}: no-break space after « in {text:?}"
                        ),
                        '»' if french => assert!(
                            before.is_some_and(|b| NO_BREAK.contains(&b)),
                            "French {name}: no-break space before » in {text:?}"
                        ),
                        _ => {}
                    }
                }
            }
        }
    }

    #[test]
    fn days_and_fill() {
        assert_eq!(FR.days(1), "1 jour");
        assert_eq!(DE.days(30), "30 Tage");
        assert_eq!(
            fill(EN.pay, &[("price", "$5.00")]),
            "Continue to payment · $5.00"
        );
        assert_eq!(IT.region("north-america"), Some("Nord America"));
        assert_eq!(EN.region("atlantis"), None);
    }
}
