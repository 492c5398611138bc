//! "Is your phone ready for an eSIM?": the checkout's step before Pay. What the
//! browser tells of the device (its platform and OS version, never its model), the
//! OS versions that cannot take an eSIM, the short list of eSIM-capable models
//! (`data/esim-devices.json`, which the proxy serves and the checkout loads when it
//! opens) and its search, and the step's words in every language ([`words`]; one
//! [`Words`] value per language, so a missing translation is a compile error).

use crate::i18n::Lang;

/// The eSIM-capable models, their sources and how to update them, as the proxy serves
/// them (`GET /api/esim-devices`).
pub const DEVICES_JSON: &str = include_str!("../data/esim-devices.json");

/// The platform of the phone an eSIM is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phone {
    /// An iPhone.
    Iphone,
    /// An Android phone.
    Android,
}

impl Phone {
    /// Its name in the frame's storage and in forms.
    pub fn code(self) -> &'static str {
        match self {
            Phone::Iphone => "iphone",
            Phone::Android => "android",
        }
    }

    /// The platform named `code`.
    pub fn from_code(code: &str) -> Option<Phone> {
        match code {
            "iphone" => Some(Phone::Iphone),
            "android" => Some(Phone::Android),
            _ => None,
        }
    }
}

/// The device in hand, as far as the user agent tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Device {
    /// A phone (an iPad counts as an iPhone: same system, same eSIM rules), with its
    /// system's version when the user agent gives a real one (`major.minor`).
    Phone {
        /// iPhone or Android.
        phone: Phone,
        /// The system's version.
        version: Option<(u32, u32)>,
    },
    /// Anything else: a computer (iPadOS asks for desktop sites as a Mac: it lands
    /// here, and is asked, as a computer is, which phone the eSIM is for).
    Computer,
}

/// What the device's system says about an eSIM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// New enough: the model decides.
    Ready,
    /// Too old for any eSIM (iOS before 12.1, Android before 9).
    TooOld,
    /// The version is not known (Chrome's reduced user agent says "Android 10; K"
    /// whatever the version): the model decides, and the traveller checks.
    Unknown,
}

/// The first iOS that installs an eSIM.
pub const MIN_IOS: (u32, u32) = (12, 1);
/// The first Android with eSIM support for downloaded profiles.
pub const MIN_ANDROID: u32 = 9;

fn version_of(text: &str, separator: char) -> Option<(u32, u32)> {
    let mut parts = text.split(separator).map(|n| n.parse::<u32>().ok());
    let major = parts.next().flatten()?;
    let minor = parts.next().flatten().unwrap_or(0);
    Some((major, minor))
}

/// Reads the device from a user agent string.
pub fn device(user_agent: &str) -> Device {
    if let Some(rest) = user_agent.split("Android ").nth(1) {
        // "Android 14; Pixel 8)" or, reduced by Chrome, "Android 10; K)", which names
        // no version at all.
        let mut fields = rest.split([';', ')']);
        let version = fields.next().and_then(|v| version_of(v.trim(), '.'));
        let reduced = fields.next().is_some_and(|model| model.trim() == "K");
        return Device::Phone {
            phone: Phone::Android,
            version: version.filter(|_| !reduced),
        };
    }
    if user_agent.contains("iPhone") || user_agent.contains("iPad") {
        // "CPU iPhone OS 17_4 like Mac OS X" or "CPU OS 17_4 like Mac OS X".
        let version = user_agent
            .split(" OS ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| version_of(v, '_'));
        return Device::Phone {
            phone: Phone::Iphone,
            version,
        };
    }
    Device::Computer
}

impl Device {
    /// What its system says (a computer: nothing, [`Os::Unknown`]).
    pub fn os(&self) -> Os {
        match self {
            Device::Phone {
                version: Some(v), ..
            } => {
                let old = match self {
                    Device::Phone {
                        phone: Phone::Iphone,
                        ..
                    } => *v < MIN_IOS,
                    _ => v.0 < MIN_ANDROID,
                };
                if old {
                    Os::TooOld
                } else {
                    Os::Ready
                }
            }
            _ => Os::Unknown,
        }
    }

    /// The phone, if it is one.
    pub fn phone(&self) -> Option<Phone> {
        match self {
            Device::Phone { phone, .. } => Some(*phone),
            Device::Computer => None,
        }
    }

    /// What the step says of this device, in `lang`.
    pub fn said(&self, lang: Lang) -> String {
        let w = words(lang);
        let shown = |v: (u32, u32), phone: Phone| match (phone, v.1) {
            // iOS is named with its minor version when it has one ("17.4", "18"),
            // Android by its major one.
            (Phone::Iphone, minor) if minor > 0 => format!("{}.{minor}", v.0),
            _ => v.0.to_string(),
        };
        match (self, self.os()) {
            (Device::Computer, _) => w.on_computer.to_owned(),
            (
                Device::Phone {
                    phone: Phone::Android,
                    version: None,
                },
                _,
            ) => w.on_android_model.to_owned(),
            (
                Device::Phone {
                    phone: Phone::Iphone,
                    version: None,
                },
                _,
            ) => w.on_iphone_model.to_owned(),
            (
                Device::Phone {
                    phone,
                    version: Some(v),
                },
                os,
            ) => {
                let text = match (phone, os) {
                    (Phone::Iphone, Os::TooOld) => w.too_old_iphone,
                    (Phone::Android, Os::TooOld) => w.too_old_android,
                    (Phone::Iphone, _) => w.on_iphone,
                    (Phone::Android, _) => w.on_android,
                };
                crate::i18n::fill(text, &[("version", &shown(*v, *phone))])
            }
        }
    }
}

/// Why some versions of a brand's models have no eSIM (the data file's codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    /// iPhones sold in mainland China, Hong Kong or Macao.
    IphoneChina,
    /// Some Samsung models made for particular countries.
    SamsungRegional,
    /// Some Pixel 3 and 3a (Japan, some carriers).
    Pixel3Regional,
    /// Versions sold in mainland China.
    ChinaModels,
}

impl Exception {
    /// Every exception.
    pub const ALL: [Exception; 4] = [
        Exception::IphoneChina,
        Exception::SamsungRegional,
        Exception::Pixel3Regional,
        Exception::ChinaModels,
    ];

    /// The exception a data file's code names.
    pub fn from_code(code: &str) -> Option<Exception> {
        match code {
            "iphone-china" => Some(Exception::IphoneChina),
            "samsung-regional" => Some(Exception::SamsungRegional),
            "pixel-3-regional" => Some(Exception::Pixel3Regional),
            "china-models" => Some(Exception::ChinaModels),
            _ => None,
        }
    }

    /// What it says, in `lang`.
    pub fn said(self, lang: Lang) -> &'static str {
        let w = words(lang);
        match self {
            Exception::IphoneChina => w.iphone_china,
            Exception::SamsungRegional => w.samsung_regional,
            Exception::Pixel3Regional => w.pixel_3_regional,
            Exception::ChinaModels => w.china_models,
        }
    }
}

/// A page a brand's models were taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct Source {
    /// What the brands name it by.
    pub id: String,
    /// Its title.
    pub name: String,
    /// Its address.
    pub url: String,
}

/// A brand's eSIM-capable models.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct Brand {
    /// "Apple".
    pub brand: String,
    /// The id of the source its models were taken from.
    pub source: String,
    /// Codes of the exceptions ([`Exception::from_code`]) of its models.
    pub exceptions: Vec<String>,
    /// Its models, in launch order.
    pub models: Vec<String>,
}

/// The data file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct Devices {
    /// When it was last checked against its sources (`YYYY-MM-DD`).
    pub updated: String,
    /// Where the models were taken from.
    pub sources: Vec<Source>,
    /// The brands.
    pub brands: Vec<Brand>,
}

/// A model found by [`Devices::search`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a> {
    /// Its brand.
    pub brand: &'a Brand,
    /// Its name.
    pub model: &'a str,
}

impl Found<'_> {
    /// How the traveller reads it: "Samsung Galaxy S22", and "Xiaomi 12T Pro" (not
    /// "Xiaomi Xiaomi 12T Pro") when the model's name starts with its brand.
    pub fn name(&self) -> String {
        let brand = self.brand.brand.as_str();
        let named = self
            .model
            .get(..brand.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(brand));
        if named {
            self.model.to_owned()
        } else {
            format!("{brand} {}", self.model)
        }
    }
}

/// The most models a search shows.
pub const MAX_FOUND: usize = 8;

/// Lowercase ASCII letters and digits only, a `+` spelt out: "Galaxy S23+" is
/// "galaxys23plus", as "s23 plus" and "S23+" are searched.
fn squash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '+' => out.push_str("plus"),
            c if c.is_ascii_alphanumeric() => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    out
}

impl Devices {
    /// The models whose brand and name hold every word of `query` (spaces and
    /// punctuation ignored: "s23" finds "Galaxy S23", "iphone15" "iPhone 15"), at
    /// most [`MAX_FOUND`], in the file's order; none for a query without a letter or
    /// digit.
    pub fn search(&self, query: &str) -> Vec<Found<'_>> {
        let words: Vec<String> = query
            .split_whitespace()
            .map(squash)
            .filter(|w| !w.is_empty())
            .collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut found = Vec::new();
        for brand in &self.brands {
            let brand_key = squash(&brand.brand);
            for model in &brand.models {
                let key = format!("{brand_key}{}", squash(model));
                if words.iter().all(|w| key.contains(w.as_str())) {
                    found.push(Found { brand, model });
                    if found.len() == MAX_FOUND {
                        return found;
                    }
                }
            }
        }
        found
    }

    /// The source a group of models names.
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }
}

impl Brand {
    /// Its exceptions the widget knows (an unknown code is skipped: a newer file on an
    /// older widget).
    pub fn exceptions(&self) -> impl Iterator<Item = Exception> + '_ {
        self.exceptions
            .iter()
            .filter_map(|c| Exception::from_code(c))
    }
}

/// Defines [`Words`] with one `&'static str` field per text, and (for the tests) a
/// list of every field.
macro_rules! words {
    ($($name:ident,)*) => {
        /// The step's words in one language.
        #[derive(Debug)]
        pub struct Words {
            $(pub $name: &'static str,)*
        }

        impl Words {
            /// Every text, with its field's name.
            #[cfg(test)]
            fn all(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($name), self.$name)),*]
            }
        }
    };
}

words! {
    title, on_iphone, on_iphone_model, on_android, on_android_model, too_old_iphone,
    too_old_android, on_computer, other_phone, which_phone, iphone, android, confirm,
    confirm_first, how_title, eid, unlocked, search_label, matches, search_none,
    list_loading, list_failed, sources, iphone_china, samsung_regional, pixel_3_regional,
    china_models,
}

/// The step's words in `lang`.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
        Lang::De => &DE,
        Lang::Es => &ES,
        Lang::It => &IT,
    }
}

/// The ready view's words about installing (the status screens' only).
#[cfg(feature = "status")]
#[derive(Debug)]
pub struct ReadyWords {
    /// On the device that shows the QR code: a phone cannot scan its own screen.
    pub own_screen: &'static str,
}

/// The ready view's words in `lang`.
#[cfg(feature = "status")]
pub fn ready_words(lang: Lang) -> &'static ReadyWords {
    match lang {
        Lang::En => &ReadyWords {
            own_screen: "A phone can't scan a QR code on its own screen: on the phone itself, use the one-tap install or enter the details by hand.",
        },
        Lang::Fr => &ReadyWords {
            own_screen: "Un téléphone ne peut pas scanner un QR code affiché sur son propre écran\u{a0}: sur ce téléphone, utilisez l'installation en un geste ou saisissez les informations à la main.",
        },
        Lang::De => &ReadyWords {
            own_screen: "Ein Telefon kann keinen QR-Code auf seinem eigenen Bildschirm scannen: Nutzen Sie auf dem Telefon selbst die Installation mit einem Tippen oder geben Sie die Daten von Hand ein.",
        },
        Lang::Es => &ReadyWords {
            own_screen: "Un teléfono no puede escanear un código QR de su propia pantalla: en el propio teléfono, usa la instalación con un toque o introduce los datos a mano.",
        },
        Lang::It => &ReadyWords {
            own_screen: "Un telefono non può scansionare un codice QR sul proprio schermo: sul telefono stesso, usa l'installazione con un tocco o inserisci i dati a mano.",
        },
    }
}

/// English.
pub const EN: Words = Words {
    title: "Is your phone ready for an eSIM?",
    on_iphone: "This iPhone runs iOS {version}, which supports eSIM: the iPhone XS, XR and later models have one.",
    on_iphone_model: "This is an iPhone: the iPhone XS, XR and later models have an eSIM.",
    on_android: "This phone runs Android {version}: new enough for an eSIM, if its model has one.",
    on_android_model: "This is an Android phone: whether it takes an eSIM depends on its model.",
    too_old_iphone: "This iPhone runs iOS {version}: an eSIM needs iOS 12.1 or later. Update it first, or buy for another phone.",
    too_old_android: "This phone runs Android {version}: an eSIM needs Android 9 or later. Buy for another phone.",
    on_computer: "You're on a computer: the eSIM goes on the phone you travel with.",
    other_phone: "It's for another phone",
    which_phone: "Which phone is it for?",
    iphone: "iPhone",
    android: "Android phone",
    confirm: "My phone supports eSIM and is unlocked",
    confirm_first: "Check that your phone takes an eSIM, then tick “My phone supports eSIM and is unlocked”.",
    how_title: "How to check",
    eid: "Dial *#06#: if a line labelled EID shows, the phone has an eSIM.",
    unlocked: "It must be unlocked: a phone locked to its carrier refuses other carriers' eSIMs. If in doubt, ask your carrier.",
    search_label: "Find your phone's model",
    matches: "These models have an eSIM:",
    search_none: "Not in this short list: dial *#06# to be sure.",
    list_loading: "Loading the list of phones…",
    list_failed: "The list of phones didn't load: dial *#06# to check.",
    sources: "Sources:",
    iphone_china: "iPhones sold in mainland China, Hong Kong or Macao mostly have no eSIM.",
    samsung_regional: "Some Galaxy phones made for certain countries, mainland China among them, have no eSIM.",
    pixel_3_regional: "Some Pixel 3 and 3a phones, such as those sold in Japan, have no eSIM.",
    china_models: "Versions sold in mainland China usually have no eSIM.",
};

/// French.
pub const FR: Words = Words {
    title: "Votre téléphone est-il prêt pour une eSIM\u{202f}?",
    on_iphone: "Cet iPhone est sous iOS {version}, compatible eSIM\u{a0}: les iPhone XS, XR et les modèles plus récents en ont une.",
    on_iphone_model: "C'est un iPhone\u{a0}: les iPhone XS, XR et les modèles plus récents ont une eSIM.",
    on_android: "Ce téléphone est sous Android {version}\u{a0}: assez récent pour une eSIM, si son modèle en a une.",
    on_android_model: "C'est un téléphone Android\u{a0}: la prise en charge de l'eSIM dépend de son modèle.",
    too_old_iphone: "Cet iPhone est sous iOS {version}\u{a0}: une eSIM demande iOS 12.1 ou plus récent. Mettez-le d'abord à jour, ou achetez pour un autre téléphone.",
    too_old_android: "Ce téléphone est sous Android {version}\u{a0}: une eSIM demande Android 9 ou plus récent. Achetez pour un autre téléphone.",
    on_computer: "Vous êtes sur un ordinateur\u{a0}: l'eSIM s'installe sur le téléphone qui voyage avec vous.",
    other_phone: "C'est pour un autre téléphone",
    which_phone: "Pour quel téléphone\u{202f}?",
    iphone: "iPhone",
    android: "Téléphone Android",
    confirm: "Mon téléphone est compatible eSIM et désimlocké",
    confirm_first: "Vérifiez que votre téléphone accepte une eSIM, puis cochez «\u{a0}Mon téléphone est compatible eSIM et désimlocké\u{a0}».",
    how_title: "Comment vérifier",
    eid: "Composez le *#06#\u{a0}: si une ligne EID s'affiche, le téléphone a une eSIM.",
    unlocked: "Il doit être désimlocké\u{a0}: un téléphone verrouillé par son opérateur refuse les eSIM des autres. Dans le doute, demandez à votre opérateur.",
    search_label: "Trouvez le modèle de votre téléphone",
    matches: "Ces modèles ont une eSIM\u{a0}:",
    search_none: "Absent de cette courte liste\u{a0}: composez le *#06# pour en être sûr.",
    list_loading: "Chargement de la liste des téléphones…",
    list_failed: "La liste des téléphones n'a pas pu se charger\u{a0}: composez le *#06# pour vérifier.",
    sources: "Sources\u{a0}:",
    iphone_china: "Les iPhone vendus en Chine continentale, à Hong Kong ou à Macao n'ont le plus souvent pas d'eSIM.",
    samsung_regional: "Certains Galaxy destinés à quelques pays, dont la Chine continentale, n'ont pas d'eSIM.",
    pixel_3_regional: "Certains Pixel 3 et 3a, comme ceux vendus au Japon, n'ont pas d'eSIM.",
    china_models: "Les versions vendues en Chine continentale n'ont généralement pas d'eSIM.",
};

/// German.
pub const DE: Words = Words {
    title: "Ist Ihr Telefon bereit für eine eSIM?",
    on_iphone: "Dieses iPhone hat iOS {version} und unterstützt damit eSIMs: iPhone XS, XR und neuere Modelle haben eine.",
    on_iphone_model: "Dies ist ein iPhone: iPhone XS, XR und neuere Modelle haben eine eSIM.",
    on_android: "Dieses Telefon hat Android {version}: neu genug für eine eSIM, sofern das Modell eine hat.",
    on_android_model: "Dies ist ein Android-Telefon: Ob es eine eSIM unterstützt, hängt vom Modell ab.",
    too_old_iphone: "Dieses iPhone hat iOS {version}: Eine eSIM braucht iOS 12.1 oder neuer. Aktualisieren Sie es zuerst oder kaufen Sie für ein anderes Telefon.",
    too_old_android: "Dieses Telefon hat Android {version}: Eine eSIM braucht Android 9 oder neuer. Kaufen Sie für ein anderes Telefon.",
    on_computer: "Sie sind an einem Computer: Die eSIM kommt auf das Telefon, mit dem Sie reisen.",
    other_phone: "Die eSIM ist für ein anderes Telefon",
    which_phone: "Für welches Telefon?",
    iphone: "iPhone",
    android: "Android-Telefon",
    confirm: "Mein Telefon unterstützt eSIM und hat keine SIM-Sperre",
    confirm_first: "Prüfen Sie, ob Ihr Telefon eine eSIM unterstützt, und setzen Sie dann das Häkchen bei „Mein Telefon unterstützt eSIM und hat keine SIM-Sperre“.",
    how_title: "So prüfen Sie es",
    eid: "Wählen Sie *#06#: Erscheint eine Zeile mit EID, hat das Telefon eine eSIM.",
    unlocked: "Es darf keine SIM-Sperre haben: Ein an seinen Anbieter gebundenes Telefon lehnt eSIMs anderer Anbieter ab. Fragen Sie im Zweifel Ihren Anbieter.",
    search_label: "Modell Ihres Telefons suchen",
    matches: "Diese Modelle haben eine eSIM:",
    search_none: "Nicht in dieser kurzen Liste: Wählen Sie *#06#, um sicherzugehen.",
    list_loading: "Liste der Telefone wird geladen …",
    list_failed: "Die Liste der Telefone konnte nicht geladen werden: Wählen Sie *#06#, um es zu prüfen.",
    sources: "Quellen:",
    iphone_china: "iPhones aus Festlandchina, Hongkong oder Macau haben meist keine eSIM.",
    samsung_regional: "Manche Galaxy-Telefone für bestimmte Länder, etwa für Festlandchina, haben keine eSIM.",
    pixel_3_regional: "Manche Pixel 3 und 3a, etwa aus Japan, haben keine eSIM.",
    china_models: "In Festlandchina verkaufte Versionen haben meist keine eSIM.",
};

/// Spanish.
pub const ES: Words = Words {
    title: "¿Tu teléfono está listo para una eSIM?",
    on_iphone: "Este iPhone tiene iOS {version}, compatible con eSIM: los iPhone XS, XR y posteriores la tienen.",
    on_iphone_model: "Es un iPhone: los iPhone XS, XR y posteriores tienen eSIM.",
    on_android: "Este teléfono tiene Android {version}: es compatible con eSIM si su modelo la incluye.",
    on_android_model: "Es un teléfono Android: que admita eSIM depende de su modelo.",
    too_old_iphone: "Este iPhone tiene iOS {version}: una eSIM necesita iOS 12.1 o posterior. Actualízalo antes o compra para otro teléfono.",
    too_old_android: "Este teléfono tiene Android {version}: una eSIM necesita Android 9 o posterior. Compra para otro teléfono.",
    on_computer: "Estás en un ordenador: la eSIM se instala en el teléfono con el que viajas.",
    other_phone: "Es para otro teléfono",
    which_phone: "¿Para qué teléfono es?",
    iphone: "iPhone",
    android: "Teléfono Android",
    confirm: "Mi teléfono es compatible con eSIM y está libre",
    confirm_first: "Comprueba que tu teléfono admite eSIM y marca «Mi teléfono es compatible con eSIM y está libre».",
    how_title: "Cómo comprobarlo",
    eid: "Marca *#06#: si aparece una línea llamada EID, el teléfono tiene eSIM.",
    unlocked: "Debe estar libre: un teléfono bloqueado por su operador rechaza las eSIM de otros. Si tienes dudas, pregunta a tu operador.",
    search_label: "Busca el modelo de tu teléfono",
    matches: "Estos modelos tienen eSIM:",
    search_none: "No está en esta lista breve: marca *#06# para salir de dudas.",
    list_loading: "Cargando la lista de teléfonos…",
    list_failed: "No se pudo cargar la lista de teléfonos: marca *#06# para comprobarlo.",
    sources: "Fuentes:",
    iphone_china: "Los iPhone vendidos en China continental, Hong Kong o Macao no suelen tener eSIM.",
    samsung_regional: "Algunos Galaxy fabricados para ciertos países, como China continental, no tienen eSIM.",
    pixel_3_regional: "Algunos Pixel 3 y 3a, como los vendidos en Japón, no tienen eSIM.",
    china_models: "Las versiones vendidas en China continental no suelen tener eSIM.",
};

/// Italian.
pub const IT: Words = Words {
    title: "Il tuo telefono è pronto per una eSIM?",
    on_iphone: "Questo iPhone ha iOS {version}, che supporta le eSIM: iPhone XS, XR e i modelli successivi ne hanno una.",
    on_iphone_model: "È un iPhone: iPhone XS, XR e i modelli successivi hanno la eSIM.",
    on_android: "Questo telefono ha Android {version}: è abbastanza recente per una eSIM, se il modello ne ha una.",
    on_android_model: "È un telefono Android: il supporto eSIM dipende dal modello.",
    too_old_iphone: "Questo iPhone ha iOS {version}: una eSIM richiede iOS 12.1 o successivo. Aggiornalo prima, oppure acquista per un altro telefono.",
    too_old_android: "Questo telefono ha Android {version}: una eSIM richiede Android 9 o successivo. Acquista per un altro telefono.",
    on_computer: "Sei su un computer: la eSIM va installata sul telefono con cui viaggi.",
    other_phone: "È per un altro telefono",
    which_phone: "Per quale telefono?",
    iphone: "iPhone",
    android: "Telefono Android",
    confirm: "Il mio telefono supporta le eSIM ed è sbloccato",
    confirm_first: "Verifica che il telefono supporti le eSIM, poi spunta «Il mio telefono supporta le eSIM ed è sbloccato».",
    how_title: "Come verificarlo",
    eid: "Componi *#06#: se compare una riga EID, il telefono ha una eSIM.",
    unlocked: "Deve essere sbloccato: un telefono bloccato dall'operatore rifiuta le eSIM degli altri. Nel dubbio, chiedi al tuo operatore.",
    search_label: "Cerca il modello del tuo telefono",
    matches: "Questi modelli hanno una eSIM:",
    search_none: "Non è in questo breve elenco: componi *#06# per averne la certezza.",
    list_loading: "Caricamento dell'elenco dei telefoni…",
    list_failed: "Non è stato possibile caricare l'elenco dei telefoni: componi *#06# per verificarlo.",
    sources: "Fonti:",
    iphone_china: "Gli iPhone venduti in Cina continentale, a Hong Kong o a Macao di solito non hanno la eSIM.",
    samsung_regional: "Alcuni Galaxy destinati a certi paesi, tra cui la Cina continentale, non hanno la eSIM.",
    pixel_3_regional: "Alcuni Pixel 3 e 3a, come quelli venduti in Giappone, non hanno la eSIM.",
    china_models: "Le versioni vendute in Cina continentale di solito non hanno la eSIM.",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::placeholders;

    fn file() -> Devices {
        serde_json::from_str(DEVICES_JSON).expect("data/esim-devices.json reads as Devices")
    }

    #[test]
    fn the_data_file_parses_and_names_a_source_for_every_brand() {
        let devices = file();
        assert_eq!(devices.updated.len(), 10, "updated is YYYY-MM-DD");
        for source in &devices.sources {
            assert!(source.url.starts_with("https://"), "{}", source.url);
            assert!(!source.name.trim().is_empty(), "{}", source.id);
        }
        for brand in &devices.brands {
            assert!(
                devices.source(&brand.source).is_some(),
                "{}: its source {:?} is not in sources",
                brand.brand,
                brand.source
            );
            assert!(!brand.models.is_empty(), "{}", brand.brand);
            for code in &brand.exceptions {
                assert!(
                    Exception::from_code(code).is_some(),
                    "{}: unknown exception {code:?} (add it to compat::Exception)",
                    brand.brand
                );
            }
        }
        // Every source is used; the brands travellers carry most are there.
        for source in &devices.sources {
            assert!(
                devices.brands.iter().any(|b| b.source == source.id),
                "{}",
                source.id
            );
        }
        let brands: Vec<&str> = devices.brands.iter().map(|b| b.brand.as_str()).collect();
        for brand in [
            "Apple", "Samsung", "Google", "Motorola", "Xiaomi", "Huawei", "Sony",
        ] {
            assert!(brands.contains(&brand), "{brand} is missing");
        }
        // No model twice.
        let mut all: Vec<String> = devices
            .brands
            .iter()
            .flat_map(|b| b.models.iter().map(move |m| format!("{} {m}", b.brand)))
            .collect();
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), count, "a model is listed twice");
    }

    #[test]
    fn every_exception_used_names_the_page_it_comes_from() {
        let json: serde_json::Value =
            serde_json::from_str(DEVICES_JSON).expect("data/esim-devices.json is JSON");
        let pages = &json["exception_sources"];
        for brand in &file().brands {
            for code in &brand.exceptions {
                let page = pages[code.as_str()].as_str().unwrap_or_default();
                assert!(
                    page.starts_with("https://"),
                    "{}: exception {code:?} has no page in exception_sources",
                    brand.brand
                );
            }
        }
    }

    #[test]
    fn the_regional_exceptions_are_on_their_brands() {
        let devices = file();
        let of = |name: &str| {
            devices
                .brands
                .iter()
                .find(|b| b.brand == name)
                .map(|b| b.exceptions().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(of("Apple"), vec![Exception::IphoneChina]);
        assert_eq!(of("Samsung"), vec![Exception::SamsungRegional]);
    }

    #[test]
    fn search_finds_models_by_any_spelling() {
        let devices = file();
        let names =
            |q: &str| -> Vec<String> { devices.search(q).iter().map(Found::name).collect() };
        assert_eq!(
            names("iphone 15"),
            [
                "Apple iPhone 15",
                "Apple iPhone 15 Plus",
                "Apple iPhone 15 Pro",
                "Apple iPhone 15 Pro Max"
            ]
        );
        assert_eq!(
            names("IPHONE15PRO"),
            ["Apple iPhone 15 Pro", "Apple iPhone 15 Pro Max"]
        );
        assert_eq!(names("galaxy s24 ultra"), ["Samsung Galaxy S24 Ultra"]);
        assert_eq!(names("s22+"), ["Samsung Galaxy S22+"]);
        assert_eq!(names("galaxy s22 plus"), ["Samsung Galaxy S22+"]);
        assert_eq!(names("samsung fold4"), ["Samsung Galaxy Z Fold4"]);
        assert_eq!(names("pixel 8a"), ["Google Pixel 8a"]);
        // A model named with its brand is not named twice.
        assert_eq!(names("xiaomi 12t"), ["Xiaomi 12T Pro"]);
        assert_eq!(names("huawei p40"), ["Huawei P40", "Huawei P40 Pro"]);
        // A brand's models from several pages are found together, in the file's order.
        assert_eq!(
            names("iphone 12"),
            [
                "Apple iPhone 12 mini",
                "Apple iPhone 12",
                "Apple iPhone 12 Pro",
                "Apple iPhone 12 Pro Max"
            ]
        );
        // The brand counts too.
        assert!(names("google").len() == MAX_FOUND);
        assert!(names("nokia 3310").is_empty());
        assert!(names("  ").is_empty());
        assert!(names("- /").is_empty());
        assert!(devices.search("iphone").len() <= MAX_FOUND);
    }

    #[test]
    fn the_device_from_its_user_agent() {
        let ua = |s: &str| device(s);
        assert_eq!(
            ua("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15"),
            Device::Phone {
                phone: Phone::Iphone,
                version: Some((17, 4))
            }
        );
        assert_eq!(
            ua("Mozilla/5.0 (iPad; CPU OS 12_0 like Mac OS X)"),
            Device::Phone {
                phone: Phone::Iphone,
                version: Some((12, 0))
            }
        );
        assert_eq!(
            ua("Mozilla/5.0 (Linux; Android 8.1.0; SM-G950F) AppleWebKit/537.36"),
            Device::Phone {
                phone: Phone::Android,
                version: Some((8, 1))
            }
        );
        assert_eq!(
            ua("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36"),
            Device::Phone {
                phone: Phone::Android,
                version: Some((14, 0))
            }
        );
        // Chrome's reduced user agent names neither the version nor the model.
        assert_eq!(
            ua("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/126.0.0.0 Mobile"),
            Device::Phone {
                phone: Phone::Android,
                version: None
            }
        );
        assert_eq!(
            ua("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126"),
            Device::Computer
        );
        assert_eq!(
            ua("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15"),
            Device::Computer
        );
        assert_eq!(ua(""), Device::Computer);
    }

    #[test]
    fn ios_before_12_1_and_android_before_9_cannot() {
        let phone = |phone, version| Device::Phone {
            phone,
            version: Some(version),
        };
        assert_eq!(phone(Phone::Iphone, (12, 0)).os(), Os::TooOld);
        assert_eq!(phone(Phone::Iphone, (11, 4)).os(), Os::TooOld);
        assert_eq!(phone(Phone::Iphone, (12, 1)).os(), Os::Ready);
        assert_eq!(phone(Phone::Iphone, (18, 0)).os(), Os::Ready);
        assert_eq!(phone(Phone::Android, (8, 1)).os(), Os::TooOld);
        assert_eq!(phone(Phone::Android, (9, 0)).os(), Os::Ready);
        assert_eq!(
            Device::Phone {
                phone: Phone::Android,
                version: None
            }
            .os(),
            Os::Unknown
        );
        assert_eq!(Device::Computer.os(), Os::Unknown);
    }

    #[test]
    fn the_device_is_said_with_its_version() {
        let old = device("Mozilla/5.0 (iPhone; CPU iPhone OS 12_0 like Mac OS X)");
        assert_eq!(
            old.said(Lang::En),
            "This iPhone runs iOS 12: an eSIM needs iOS 12.1 or later. Update it first, or buy for another phone."
        );
        let android = device("Mozilla/5.0 (Linux; Android 8.1.0; SM-G950F)");
        assert!(android
            .said(Lang::Fr)
            .starts_with("Ce téléphone est sous Android 8\u{a0}:"));
        assert_eq!(Device::Computer.said(Lang::De), DE.on_computer);
        let new = device("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)");
        assert!(new
            .said(Lang::It)
            .starts_with("Questo iPhone ha iOS 17.4, "));
        let reduced = device("Mozilla/5.0 (Linux; Android 10; K) Chrome/126.0.0.0 Mobile");
        assert_eq!(reduced.said(Lang::Es), ES.on_android_model);
    }

    #[test]
    fn every_language_keeps_the_placeholders_and_its_spacing() {
        const NO_BREAK: [char; 2] = ['\u{a0}', '\u{202f}'];
        for lang in Lang::ALL {
            for ((name, en), (_, text)) in EN.all().into_iter().zip(words(lang).all()) {
                assert_eq!(placeholders(en), placeholders(text), "{lang:?} {name}");
                assert!(!text.trim().is_empty(), "{lang:?} {name}");
                let chars: Vec<char> = text.chars().collect();
                for (i, c) in chars.iter().enumerate() {
                    let before = i.checked_sub(1).map(|j| chars[j]);
                    if matches!(c, ':' | ';' | '?' | '!') {
                        if lang == Lang::Fr {
                            assert!(
                                before.is_some_and(|b| NO_BREAK.contains(&b)),
                                "French {name}: no-break space before {c:?}"
                            );
                        } else {
                            assert!(
                                before.is_none_or(|b| !b.is_whitespace()),
                                "{lang:?} {name}: space before {c:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}
