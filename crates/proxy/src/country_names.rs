//! Countries' names in the widget's languages (English, French, German, Spanish,
//! Italian, in `Lang::ALL`'s order), for the frame's first screen rendered here: the
//! browser names them with `Intl.DisplayNames`, and these are the same CLDR names,
//! written by `cargo xtask country-names` from Node.js's `Intl` (ICU 78.2,
//! CLDR 48.0). Do not edit by hand: run it again.

/// `(alpha-2 code, [en, fr, de, es, it])`, sorted by code.
pub const NAMES: &[(&str, [&str; 5])] = &[
    (
        "AD",
        ["Andorra", "Andorre", "Andorra", "Andorra", "Andorra"],
    ),
    (
        "AE",
        [
            "United Arab Emirates",
            "Émirats arabes unis",
            "Vereinigte Arabische Emirate",
            "Emiratos Árabes Unidos",
            "Emirati Arabi Uniti",
        ],
    ),
    (
        "AF",
        [
            "Afghanistan",
            "Afghanistan",
            "Afghanistan",
            "Afganistán",
            "Afghanistan",
        ],
    ),
    (
        "AG",
        [
            "Antigua & Barbuda",
            "Antigua-et-Barbuda",
            "Antigua und Barbuda",
            "Antigua y Barbuda",
            "Antigua e Barbuda",
        ],
    ),
    (
        "AI",
        ["Anguilla", "Anguilla", "Anguilla", "Anguila", "Anguilla"],
    ),
    (
        "AL",
        ["Albania", "Albanie", "Albanien", "Albania", "Albania"],
    ),
    (
        "AM",
        ["Armenia", "Arménie", "Armenien", "Armenia", "Armenia"],
    ),
    ("AO", ["Angola", "Angola", "Angola", "Angola", "Angola"]),
    (
        "AQ",
        [
            "Antarctica",
            "Antarctique",
            "Antarktis",
            "Antártida",
            "Antartide",
        ],
    ),
    (
        "AR",
        [
            "Argentina",
            "Argentine",
            "Argentinien",
            "Argentina",
            "Argentina",
        ],
    ),
    (
        "AS",
        [
            "American Samoa",
            "Samoa américaines",
            "Amerikanisch-Samoa",
            "Samoa Americana",
            "Samoa Americane",
        ],
    ),
    (
        "AT",
        ["Austria", "Autriche", "Österreich", "Austria", "Austria"],
    ),
    (
        "AU",
        [
            "Australia",
            "Australie",
            "Australien",
            "Australia",
            "Australia",
        ],
    ),
    ("AW", ["Aruba", "Aruba", "Aruba", "Aruba", "Aruba"]),
    (
        "AX",
        [
            "Åland Islands",
            "Îles Åland",
            "Ålandinseln",
            "Islas Aland",
            "Isole Åland",
        ],
    ),
    (
        "AZ",
        [
            "Azerbaijan",
            "Azerbaïdjan",
            "Aserbaidschan",
            "Azerbaiyán",
            "Azerbaigian",
        ],
    ),
    (
        "BA",
        [
            "Bosnia & Herzegovina",
            "Bosnie-Herzégovine",
            "Bosnien und Herzegowina",
            "Bosnia y Herzegovina",
            "Bosnia ed Erzegovina",
        ],
    ),
    (
        "BB",
        ["Barbados", "Barbade", "Barbados", "Barbados", "Barbados"],
    ),
    (
        "BD",
        [
            "Bangladesh",
            "Bangladesh",
            "Bangladesch",
            "Bangladés",
            "Bangladesh",
        ],
    ),
    (
        "BE",
        ["Belgium", "Belgique", "Belgien", "Bélgica", "Belgio"],
    ),
    (
        "BF",
        [
            "Burkina Faso",
            "Burkina Faso",
            "Burkina Faso",
            "Burkina Faso",
            "Burkina Faso",
        ],
    ),
    (
        "BG",
        ["Bulgaria", "Bulgarie", "Bulgarien", "Bulgaria", "Bulgaria"],
    ),
    ("BH", ["Bahrain", "Bahreïn", "Bahrain", "Baréin", "Bahrein"]),
    (
        "BI",
        ["Burundi", "Burundi", "Burundi", "Burundi", "Burundi"],
    ),
    ("BJ", ["Benin", "Bénin", "Benin", "Benín", "Benin"]),
    (
        "BL",
        [
            "St. Barthélemy",
            "Saint-Barthélemy",
            "St. Barthélemy",
            "San Bartolomé",
            "Saint-Barthélemy",
        ],
    ),
    (
        "BM",
        ["Bermuda", "Bermudes", "Bermuda", "Bermudas", "Bermuda"],
    ),
    (
        "BN",
        ["Brunei", "Brunei", "Brunei Darussalam", "Brunéi", "Brunei"],
    ),
    (
        "BO",
        ["Bolivia", "Bolivie", "Bolivien", "Bolivia", "Bolivia"],
    ),
    (
        "BQ",
        [
            "Caribbean Netherlands",
            "Pays-Bas caribéens",
            "Karibische Niederlande",
            "Caribe neerlandés",
            "Caraibi Olandesi",
        ],
    ),
    ("BR", ["Brazil", "Brésil", "Brasilien", "Brasil", "Brasile"]),
    (
        "BS",
        ["Bahamas", "Bahamas", "Bahamas", "Bahamas", "Bahamas"],
    ),
    ("BT", ["Bhutan", "Bhoutan", "Bhutan", "Bután", "Bhutan"]),
    (
        "BV",
        [
            "Bouvet Island",
            "Île Bouvet",
            "Bouvetinsel",
            "Isla Bouvet",
            "Isola Bouvet",
        ],
    ),
    (
        "BW",
        ["Botswana", "Botswana", "Botsuana", "Botsuana", "Botswana"],
    ),
    (
        "BY",
        [
            "Belarus",
            "Biélorussie",
            "Belarus",
            "Bielorrusia",
            "Bielorussia",
        ],
    ),
    ("BZ", ["Belize", "Belize", "Belize", "Belice", "Belize"]),
    ("CA", ["Canada", "Canada", "Kanada", "Canadá", "Canada"]),
    (
        "CC",
        [
            "Cocos (Keeling) Islands",
            "Îles Cocos",
            "Kokosinseln",
            "Islas Cocos",
            "Isole Cocos (Keeling)",
        ],
    ),
    (
        "CD",
        [
            "Congo - Kinshasa",
            "Congo-Kinshasa",
            "Kongo-Kinshasa",
            "República Democrática del Congo",
            "Congo - Kinshasa",
        ],
    ),
    (
        "CF",
        [
            "Central African Republic",
            "République centrafricaine",
            "Zentralafrikanische Republik",
            "República Centroafricana",
            "Repubblica Centrafricana",
        ],
    ),
    (
        "CG",
        [
            "Congo - Brazzaville",
            "Congo-Brazzaville",
            "Kongo-Brazzaville",
            "Congo",
            "Congo-Brazzaville",
        ],
    ),
    (
        "CH",
        ["Switzerland", "Suisse", "Schweiz", "Suiza", "Svizzera"],
    ),
    (
        "CI",
        [
            "Côte d’Ivoire",
            "Côte d’Ivoire",
            "Côte d’Ivoire",
            "Côte d’Ivoire",
            "Costa d’Avorio",
        ],
    ),
    (
        "CK",
        [
            "Cook Islands",
            "Îles Cook",
            "Cookinseln",
            "Islas Cook",
            "Isole Cook",
        ],
    ),
    ("CL", ["Chile", "Chili", "Chile", "Chile", "Cile"]),
    (
        "CM",
        ["Cameroon", "Cameroun", "Kamerun", "Camerún", "Camerun"],
    ),
    ("CN", ["China", "Chine", "China", "China", "Cina"]),
    (
        "CO",
        ["Colombia", "Colombie", "Kolumbien", "Colombia", "Colombia"],
    ),
    (
        "CR",
        [
            "Costa Rica",
            "Costa Rica",
            "Costa Rica",
            "Costa Rica",
            "Costa Rica",
        ],
    ),
    ("CU", ["Cuba", "Cuba", "Kuba", "Cuba", "Cuba"]),
    (
        "CV",
        [
            "Cape Verde",
            "Cap-Vert",
            "Cabo Verde",
            "Cabo Verde",
            "Capo Verde",
        ],
    ),
    (
        "CW",
        ["Curaçao", "Curaçao", "Curaçao", "Curazao", "Curaçao"],
    ),
    (
        "CX",
        [
            "Christmas Island",
            "Île Christmas",
            "Weihnachtsinsel",
            "Isla de Navidad",
            "Isola Christmas",
        ],
    ),
    ("CY", ["Cyprus", "Chypre", "Zypern", "Chipre", "Cipro"]),
    (
        "CZ",
        ["Czechia", "Tchéquie", "Tschechien", "Chequia", "Cechia"],
    ),
    (
        "DE",
        [
            "Germany",
            "Allemagne",
            "Deutschland",
            "Alemania",
            "Germania",
        ],
    ),
    (
        "DJ",
        ["Djibouti", "Djibouti", "Dschibuti", "Yibuti", "Gibuti"],
    ),
    (
        "DK",
        ["Denmark", "Danemark", "Dänemark", "Dinamarca", "Danimarca"],
    ),
    (
        "DM",
        ["Dominica", "Dominique", "Dominica", "Dominica", "Dominica"],
    ),
    (
        "DO",
        [
            "Dominican Republic",
            "République dominicaine",
            "Dominikanische Republik",
            "República Dominicana",
            "Repubblica Dominicana",
        ],
    ),
    (
        "DZ",
        ["Algeria", "Algérie", "Algerien", "Argelia", "Algeria"],
    ),
    (
        "EC",
        ["Ecuador", "Équateur", "Ecuador", "Ecuador", "Ecuador"],
    ),
    (
        "EE",
        ["Estonia", "Estonie", "Estland", "Estonia", "Estonia"],
    ),
    ("EG", ["Egypt", "Égypte", "Ägypten", "Egipto", "Egitto"]),
    (
        "EH",
        [
            "Western Sahara",
            "Sahara occidental",
            "Westsahara",
            "Sáhara Occidental",
            "Sahara Occidentale",
        ],
    ),
    (
        "ER",
        ["Eritrea", "Érythrée", "Eritrea", "Eritrea", "Eritrea"],
    ),
    ("ES", ["Spain", "Espagne", "Spanien", "España", "Spagna"]),
    (
        "ET",
        ["Ethiopia", "Éthiopie", "Äthiopien", "Etiopía", "Etiopia"],
    ),
    (
        "FI",
        ["Finland", "Finlande", "Finnland", "Finlandia", "Finlandia"],
    ),
    ("FJ", ["Fiji", "Fidji", "Fidschi", "Fiyi", "Figi"]),
    (
        "FK",
        [
            "Falkland Islands",
            "Îles Malouines",
            "Falklandinseln",
            "Islas Malvinas",
            "Isole Falkland",
        ],
    ),
    (
        "FM",
        [
            "Micronesia",
            "Micronésie",
            "Mikronesien",
            "Micronesia",
            "Micronesia",
        ],
    ),
    (
        "FO",
        [
            "Faroe Islands",
            "Îles Féroé",
            "Färöer",
            "Islas Feroe",
            "Isole Fær Øer",
        ],
    ),
    (
        "FR",
        ["France", "France", "Frankreich", "Francia", "Francia"],
    ),
    ("GA", ["Gabon", "Gabon", "Gabun", "Gabón", "Gabon"]),
    (
        "GB",
        [
            "United Kingdom",
            "Royaume-Uni",
            "Vereinigtes Königreich",
            "Reino Unido",
            "Regno Unito",
        ],
    ),
    (
        "GD",
        ["Grenada", "Grenade", "Grenada", "Granada", "Grenada"],
    ),
    (
        "GE",
        ["Georgia", "Géorgie", "Georgien", "Georgia", "Georgia"],
    ),
    (
        "GF",
        [
            "French Guiana",
            "Guyane française",
            "Französisch-Guayana",
            "Guayana Francesa",
            "Guyana Francese",
        ],
    ),
    (
        "GG",
        ["Guernsey", "Guernesey", "Guernsey", "Guernesey", "Guernsey"],
    ),
    ("GH", ["Ghana", "Ghana", "Ghana", "Ghana", "Ghana"]),
    (
        "GI",
        [
            "Gibraltar",
            "Gibraltar",
            "Gibraltar",
            "Gibraltar",
            "Gibilterra",
        ],
    ),
    (
        "GL",
        [
            "Greenland",
            "Groenland",
            "Grönland",
            "Groenlandia",
            "Groenlandia",
        ],
    ),
    ("GM", ["Gambia", "Gambie", "Gambia", "Gambia", "Gambia"]),
    ("GN", ["Guinea", "Guinée", "Guinea", "Guinea", "Guinea"]),
    (
        "GP",
        [
            "Guadeloupe",
            "Guadeloupe",
            "Guadeloupe",
            "Guadalupe",
            "Guadalupa",
        ],
    ),
    (
        "GQ",
        [
            "Equatorial Guinea",
            "Guinée équatoriale",
            "Äquatorialguinea",
            "Guinea Ecuatorial",
            "Guinea Equatoriale",
        ],
    ),
    (
        "GR",
        ["Greece", "Grèce", "Griechenland", "Grecia", "Grecia"],
    ),
    (
        "GS",
        [
            "South Georgia & South Sandwich Islands",
            "Géorgie du Sud-et-les Îles Sandwich du Sud",
            "Südgeorgien und die Südlichen Sandwichinseln",
            "Islas Georgia del Sur y Sandwich del Sur",
            "Georgia del Sud e Sandwich Australi",
        ],
    ),
    (
        "GT",
        [
            "Guatemala",
            "Guatemala",
            "Guatemala",
            "Guatemala",
            "Guatemala",
        ],
    ),
    ("GU", ["Guam", "Guam", "Guam", "Guam", "Guam"]),
    (
        "GW",
        [
            "Guinea-Bissau",
            "Guinée-Bissau",
            "Guinea-Bissau",
            "Guinea-Bisáu",
            "Guinea-Bissau",
        ],
    ),
    ("GY", ["Guyana", "Guyana", "Guyana", "Guyana", "Guyana"]),
    (
        "HK",
        [
            "Hong Kong SAR China",
            "R.A.S. chinoise de Hong Kong",
            "Sonderverwaltungsregion Hongkong",
            "RAE de Hong Kong (China)",
            "RAS di Hong Kong",
        ],
    ),
    (
        "HM",
        [
            "Heard & McDonald Islands",
            "Îles Heard-et-MacDonald",
            "Heard und McDonaldinseln",
            "Islas Heard y McDonald",
            "Isole Heard e McDonald",
        ],
    ),
    (
        "HN",
        ["Honduras", "Honduras", "Honduras", "Honduras", "Honduras"],
    ),
    (
        "HR",
        ["Croatia", "Croatie", "Kroatien", "Croacia", "Croazia"],
    ),
    ("HT", ["Haiti", "Haïti", "Haiti", "Haití", "Haiti"]),
    (
        "HU",
        ["Hungary", "Hongrie", "Ungarn", "Hungría", "Ungheria"],
    ),
    (
        "ID",
        [
            "Indonesia",
            "Indonésie",
            "Indonesien",
            "Indonesia",
            "Indonesia",
        ],
    ),
    ("IE", ["Ireland", "Irlande", "Irland", "Irlanda", "Irlanda"]),
    ("IL", ["Israel", "Israël", "Israel", "Israel", "Israele"]),
    (
        "IM",
        [
            "Isle of Man",
            "Île de Man",
            "Isle of Man",
            "Isla de Man",
            "Isola di Man",
        ],
    ),
    ("IN", ["India", "Inde", "Indien", "India", "India"]),
    (
        "IO",
        [
            "British Indian Ocean Territory",
            "Territoire britannique de l’océan Indien",
            "Britisches Territorium im Indischen Ozean",
            "Territorio Británico del Océano Índico",
            "Territorio Britannico dell’Oceano Indiano",
        ],
    ),
    ("IQ", ["Iraq", "Irak", "Irak", "Irak", "Iraq"]),
    ("IR", ["Iran", "Iran", "Iran", "Irán", "Iran"]),
    (
        "IS",
        ["Iceland", "Islande", "Island", "Islandia", "Islanda"],
    ),
    ("IT", ["Italy", "Italie", "Italien", "Italia", "Italia"]),
    ("JE", ["Jersey", "Jersey", "Jersey", "Jersey", "Jersey"]),
    (
        "JM",
        ["Jamaica", "Jamaïque", "Jamaika", "Jamaica", "Giamaica"],
    ),
    (
        "JO",
        ["Jordan", "Jordanie", "Jordanien", "Jordania", "Giordania"],
    ),
    ("JP", ["Japan", "Japon", "Japan", "Japón", "Giappone"]),
    ("KE", ["Kenya", "Kenya", "Kenia", "Kenia", "Kenya"]),
    (
        "KG",
        [
            "Kyrgyzstan",
            "Kirghizstan",
            "Kirgisistan",
            "Kirguistán",
            "Kirghizistan",
        ],
    ),
    (
        "KH",
        ["Cambodia", "Cambodge", "Kambodscha", "Camboya", "Cambogia"],
    ),
    (
        "KI",
        ["Kiribati", "Kiribati", "Kiribati", "Kiribati", "Kiribati"],
    ),
    ("KM", ["Comoros", "Comores", "Komoren", "Comoras", "Comore"]),
    (
        "KN",
        [
            "St. Kitts & Nevis",
            "Saint-Christophe-et-Niévès",
            "St. Kitts und Nevis",
            "San Cristóbal y Nieves",
            "Saint Kitts e Nevis",
        ],
    ),
    (
        "KP",
        [
            "North Korea",
            "Corée du Nord",
            "Nordkorea",
            "Corea del Norte",
            "Corea del Nord",
        ],
    ),
    (
        "KR",
        [
            "South Korea",
            "Corée du Sud",
            "Südkorea",
            "Corea del Sur",
            "Corea del Sud",
        ],
    ),
    ("KW", ["Kuwait", "Koweït", "Kuwait", "Kuwait", "Kuwait"]),
    (
        "KY",
        [
            "Cayman Islands",
            "Îles Caïmans",
            "Kaimaninseln",
            "Islas Caimán",
            "Isole Cayman",
        ],
    ),
    (
        "KZ",
        [
            "Kazakhstan",
            "Kazakhstan",
            "Kasachstan",
            "Kazajistán",
            "Kazakistan",
        ],
    ),
    ("LA", ["Laos", "Laos", "Laos", "Laos", "Laos"]),
    ("LB", ["Lebanon", "Liban", "Libanon", "Líbano", "Libano"]),
    (
        "LC",
        [
            "St. Lucia",
            "Sainte-Lucie",
            "St. Lucia",
            "Santa Lucía",
            "Saint Lucia",
        ],
    ),
    (
        "LI",
        [
            "Liechtenstein",
            "Liechtenstein",
            "Liechtenstein",
            "Liechtenstein",
            "Liechtenstein",
        ],
    ),
    (
        "LK",
        [
            "Sri Lanka",
            "Sri Lanka",
            "Sri Lanka",
            "Sri Lanka",
            "Sri Lanka",
        ],
    ),
    (
        "LR",
        ["Liberia", "Liberia", "Liberia", "Liberia", "Liberia"],
    ),
    ("LS", ["Lesotho", "Lesotho", "Lesotho", "Lesoto", "Lesotho"]),
    (
        "LT",
        ["Lithuania", "Lituanie", "Litauen", "Lituania", "Lituania"],
    ),
    (
        "LU",
        [
            "Luxembourg",
            "Luxembourg",
            "Luxemburg",
            "Luxemburgo",
            "Lussemburgo",
        ],
    ),
    (
        "LV",
        ["Latvia", "Lettonie", "Lettland", "Letonia", "Lettonia"],
    ),
    ("LY", ["Libya", "Libye", "Libyen", "Libia", "Libia"]),
    (
        "MA",
        ["Morocco", "Maroc", "Marokko", "Marruecos", "Marocco"],
    ),
    ("MC", ["Monaco", "Monaco", "Monaco", "Mónaco", "Monaco"]),
    (
        "MD",
        [
            "Moldova",
            "Moldavie",
            "Republik Moldau",
            "Moldavia",
            "Moldavia",
        ],
    ),
    (
        "ME",
        [
            "Montenegro",
            "Monténégro",
            "Montenegro",
            "Montenegro",
            "Montenegro",
        ],
    ),
    (
        "MF",
        [
            "St. Martin",
            "Saint-Martin",
            "St. Martin",
            "San Martín",
            "Saint Martin",
        ],
    ),
    (
        "MG",
        [
            "Madagascar",
            "Madagascar",
            "Madagaskar",
            "Madagascar",
            "Madagascar",
        ],
    ),
    (
        "MH",
        [
            "Marshall Islands",
            "Îles Marshall",
            "Marshallinseln",
            "Islas Marshall",
            "Isole Marshall",
        ],
    ),
    (
        "MK",
        [
            "North Macedonia",
            "Macédoine du Nord",
            "Nordmazedonien",
            "Macedonia del Norte",
            "Macedonia del Nord",
        ],
    ),
    ("ML", ["Mali", "Mali", "Mali", "Mali", "Mali"]),
    (
        "MM",
        [
            "Myanmar (Burma)",
            "Myanmar (Birmanie)",
            "Myanmar",
            "Myanmar (Birmania)",
            "Myanmar (Birmania)",
        ],
    ),
    (
        "MN",
        ["Mongolia", "Mongolie", "Mongolei", "Mongolia", "Mongolia"],
    ),
    (
        "MO",
        [
            "Macao SAR China",
            "R.A.S. chinoise de Macao",
            "Sonderverwaltungsregion Macau",
            "RAE de Macao (China)",
            "RAS di Macao",
        ],
    ),
    (
        "MP",
        [
            "Northern Mariana Islands",
            "Îles Mariannes du Nord",
            "Nördliche Marianen",
            "Islas Marianas del Norte",
            "Isole Marianne Settentrionali",
        ],
    ),
    (
        "MQ",
        [
            "Martinique",
            "Martinique",
            "Martinique",
            "Martinica",
            "Martinica",
        ],
    ),
    (
        "MR",
        [
            "Mauritania",
            "Mauritanie",
            "Mauretanien",
            "Mauritania",
            "Mauritania",
        ],
    ),
    (
        "MS",
        [
            "Montserrat",
            "Montserrat",
            "Montserrat",
            "Montserrat",
            "Montserrat",
        ],
    ),
    ("MT", ["Malta", "Malte", "Malta", "Malta", "Malta"]),
    (
        "MU",
        ["Mauritius", "Maurice", "Mauritius", "Mauricio", "Mauritius"],
    ),
    (
        "MV",
        ["Maldives", "Maldives", "Malediven", "Maldivas", "Maldive"],
    ),
    ("MW", ["Malawi", "Malawi", "Malawi", "Malaui", "Malawi"]),
    ("MX", ["Mexico", "Mexique", "Mexiko", "México", "Messico"]),
    (
        "MY",
        ["Malaysia", "Malaisie", "Malaysia", "Malasia", "Malaysia"],
    ),
    (
        "MZ",
        [
            "Mozambique",
            "Mozambique",
            "Mosambik",
            "Mozambique",
            "Mozambico",
        ],
    ),
    (
        "NA",
        ["Namibia", "Namibie", "Namibia", "Namibia", "Namibia"],
    ),
    (
        "NC",
        [
            "New Caledonia",
            "Nouvelle-Calédonie",
            "Neukaledonien",
            "Nueva Caledonia",
            "Nuova Caledonia",
        ],
    ),
    ("NE", ["Niger", "Niger", "Niger", "Níger", "Niger"]),
    (
        "NF",
        [
            "Norfolk Island",
            "Île Norfolk",
            "Norfolkinsel",
            "Isla Norfolk",
            "Isola Norfolk",
        ],
    ),
    (
        "NG",
        ["Nigeria", "Nigeria", "Nigeria", "Nigeria", "Nigeria"],
    ),
    (
        "NI",
        [
            "Nicaragua",
            "Nicaragua",
            "Nicaragua",
            "Nicaragua",
            "Nicaragua",
        ],
    ),
    (
        "NL",
        [
            "Netherlands",
            "Pays-Bas",
            "Niederlande",
            "Países Bajos",
            "Paesi Bassi",
        ],
    ),
    (
        "NO",
        ["Norway", "Norvège", "Norwegen", "Noruega", "Norvegia"],
    ),
    ("NP", ["Nepal", "Népal", "Nepal", "Nepal", "Nepal"]),
    ("NR", ["Nauru", "Nauru", "Nauru", "Nauru", "Nauru"]),
    ("NU", ["Niue", "Niue", "Niue", "Niue", "Niue"]),
    (
        "NZ",
        [
            "New Zealand",
            "Nouvelle-Zélande",
            "Neuseeland",
            "Nueva Zelanda",
            "Nuova Zelanda",
        ],
    ),
    ("OM", ["Oman", "Oman", "Oman", "Omán", "Oman"]),
    ("PA", ["Panama", "Panama", "Panama", "Panamá", "Panama"]),
    ("PE", ["Peru", "Pérou", "Peru", "Perú", "Perù"]),
    (
        "PF",
        [
            "French Polynesia",
            "Polynésie française",
            "Französisch-Polynesien",
            "Polinesia Francesa",
            "Polinesia Francese",
        ],
    ),
    (
        "PG",
        [
            "Papua New Guinea",
            "Papouasie-Nouvelle-Guinée",
            "Papua-Neuguinea",
            "Papúa Nueva Guinea",
            "Papua Nuova Guinea",
        ],
    ),
    (
        "PH",
        [
            "Philippines",
            "Philippines",
            "Philippinen",
            "Filipinas",
            "Filippine",
        ],
    ),
    (
        "PK",
        ["Pakistan", "Pakistan", "Pakistan", "Pakistán", "Pakistan"],
    ),
    ("PL", ["Poland", "Pologne", "Polen", "Polonia", "Polonia"]),
    (
        "PM",
        [
            "St. Pierre & Miquelon",
            "Saint-Pierre-et-Miquelon",
            "St. Pierre und Miquelon",
            "San Pedro y Miquelón",
            "Saint-Pierre e Miquelon",
        ],
    ),
    (
        "PN",
        [
            "Pitcairn Islands",
            "Îles Pitcairn",
            "Pitcairninseln",
            "Islas Pitcairn",
            "Isole Pitcairn",
        ],
    ),
    (
        "PR",
        [
            "Puerto Rico",
            "Porto Rico",
            "Puerto Rico",
            "Puerto Rico",
            "Portorico",
        ],
    ),
    (
        "PS",
        [
            "Palestinian Territories",
            "Territoires palestiniens",
            "Palästinensische Autonomiegebiete",
            "Territorios Palestinos",
            "Territori Palestinesi",
        ],
    ),
    (
        "PT",
        ["Portugal", "Portugal", "Portugal", "Portugal", "Portogallo"],
    ),
    ("PW", ["Palau", "Palaos", "Palau", "Palaos", "Palau"]),
    (
        "PY",
        ["Paraguay", "Paraguay", "Paraguay", "Paraguay", "Paraguay"],
    ),
    ("QA", ["Qatar", "Qatar", "Katar", "Catar", "Qatar"]),
    (
        "RE",
        ["Réunion", "La Réunion", "Réunion", "Reunión", "Riunione"],
    ),
    (
        "RO",
        ["Romania", "Roumanie", "Rumänien", "Rumanía", "Romania"],
    ),
    ("RS", ["Serbia", "Serbie", "Serbien", "Serbia", "Serbia"]),
    ("RU", ["Russia", "Russie", "Russland", "Rusia", "Russia"]),
    ("RW", ["Rwanda", "Rwanda", "Ruanda", "Ruanda", "Ruanda"]),
    (
        "SA",
        [
            "Saudi Arabia",
            "Arabie saoudite",
            "Saudi-Arabien",
            "Arabia Saudí",
            "Arabia Saudita",
        ],
    ),
    (
        "SB",
        [
            "Solomon Islands",
            "Îles Salomon",
            "Salomonen",
            "Islas Salomón",
            "Isole Salomone",
        ],
    ),
    (
        "SC",
        [
            "Seychelles",
            "Seychelles",
            "Seychellen",
            "Seychelles",
            "Seychelles",
        ],
    ),
    ("SD", ["Sudan", "Soudan", "Sudan", "Sudán", "Sudan"]),
    ("SE", ["Sweden", "Suède", "Schweden", "Suecia", "Svezia"]),
    (
        "SG",
        [
            "Singapore",
            "Singapour",
            "Singapur",
            "Singapur",
            "Singapore",
        ],
    ),
    (
        "SH",
        [
            "St. Helena",
            "Sainte-Hélène",
            "St. Helena",
            "Santa Elena",
            "Sant’Elena",
        ],
    ),
    (
        "SI",
        ["Slovenia", "Slovénie", "Slowenien", "Eslovenia", "Slovenia"],
    ),
    (
        "SJ",
        [
            "Svalbard & Jan Mayen",
            "Svalbard et Jan Mayen",
            "Spitzbergen und Jan Mayen",
            "Svalbard y Jan Mayen",
            "Svalbard e Jan Mayen",
        ],
    ),
    (
        "SK",
        [
            "Slovakia",
            "Slovaquie",
            "Slowakei",
            "Eslovaquia",
            "Slovacchia",
        ],
    ),
    (
        "SL",
        [
            "Sierra Leone",
            "Sierra Leone",
            "Sierra Leone",
            "Sierra Leona",
            "Sierra Leone",
        ],
    ),
    (
        "SM",
        [
            "San Marino",
            "Saint-Marin",
            "San Marino",
            "San Marino",
            "San Marino",
        ],
    ),
    (
        "SN",
        ["Senegal", "Sénégal", "Senegal", "Senegal", "Senegal"],
    ),
    (
        "SO",
        ["Somalia", "Somalie", "Somalia", "Somalia", "Somalia"],
    ),
    (
        "SR",
        ["Suriname", "Suriname", "Suriname", "Surinam", "Suriname"],
    ),
    (
        "SS",
        [
            "South Sudan",
            "Soudan du Sud",
            "Südsudan",
            "Sudán del Sur",
            "Sud Sudan",
        ],
    ),
    (
        "ST",
        [
            "São Tomé & Príncipe",
            "Sao Tomé-et-Principe",
            "São Tomé und Príncipe",
            "Santo Tomé y Príncipe",
            "São Tomé e Príncipe",
        ],
    ),
    (
        "SV",
        [
            "El Salvador",
            "Salvador",
            "El Salvador",
            "El Salvador",
            "El Salvador",
        ],
    ),
    (
        "SX",
        [
            "Sint Maarten",
            "Saint-Martin (partie néerlandaise)",
            "Sint Maarten",
            "Sint Maarten",
            "Sint Maarten",
        ],
    ),
    ("SY", ["Syria", "Syrie", "Syrien", "Siria", "Siria"]),
    (
        "SZ",
        ["Eswatini", "Eswatini", "Eswatini", "Esuatini", "Eswatini"],
    ),
    (
        "TC",
        [
            "Turks & Caicos Islands",
            "Îles Turques-et-Caïques",
            "Turks- und Caicosinseln",
            "Islas Turcas y Caicos",
            "Isole Turks e Caicos",
        ],
    ),
    ("TD", ["Chad", "Tchad", "Tschad", "Chad", "Ciad"]),
    (
        "TF",
        [
            "French Southern Territories",
            "Terres australes françaises",
            "Französische Süd- und Antarktisgebiete",
            "Territorios Australes Franceses",
            "Terre Australi Francesi",
        ],
    ),
    ("TG", ["Togo", "Togo", "Togo", "Togo", "Togo"]),
    (
        "TH",
        [
            "Thailand",
            "Thaïlande",
            "Thailand",
            "Tailandia",
            "Thailandia",
        ],
    ),
    (
        "TJ",
        [
            "Tajikistan",
            "Tadjikistan",
            "Tadschikistan",
            "Tayikistán",
            "Tagikistan",
        ],
    ),
    (
        "TK",
        ["Tokelau", "Tokelau", "Tokelau", "Tokelau", "Tokelau"],
    ),
    (
        "TL",
        [
            "Timor-Leste",
            "Timor oriental",
            "Timor-Leste",
            "Timor-Leste",
            "Timor Est",
        ],
    ),
    (
        "TM",
        [
            "Turkmenistan",
            "Turkménistan",
            "Turkmenistan",
            "Turkmenistán",
            "Turkmenistan",
        ],
    ),
    ("TN", ["Tunisia", "Tunisie", "Tunesien", "Túnez", "Tunisia"]),
    ("TO", ["Tonga", "Tonga", "Tonga", "Tonga", "Tonga"]),
    ("TR", ["Türkiye", "Turquie", "Türkei", "Turquía", "Turchia"]),
    (
        "TT",
        [
            "Trinidad & Tobago",
            "Trinité-et-Tobago",
            "Trinidad und Tobago",
            "Trinidad y Tobago",
            "Trinidad e Tobago",
        ],
    ),
    ("TV", ["Tuvalu", "Tuvalu", "Tuvalu", "Tuvalu", "Tuvalu"]),
    ("TW", ["Taiwan", "Taïwan", "Taiwan", "Taiwán", "Taiwan"]),
    (
        "TZ",
        ["Tanzania", "Tanzanie", "Tansania", "Tanzania", "Tanzania"],
    ),
    (
        "UA",
        ["Ukraine", "Ukraine", "Ukraine", "Ucrania", "Ucraina"],
    ),
    ("UG", ["Uganda", "Ouganda", "Uganda", "Uganda", "Uganda"]),
    (
        "UM",
        [
            "U.S. Outlying Islands",
            "Îles mineures éloignées des États-Unis",
            "Amerikanische Überseeinseln",
            "Islas menores alejadas de EE. UU.",
            "Isole Minori Esterne degli Stati Uniti",
        ],
    ),
    (
        "US",
        [
            "United States",
            "États-Unis",
            "Vereinigte Staaten",
            "Estados Unidos",
            "Stati Uniti",
        ],
    ),
    (
        "UY",
        ["Uruguay", "Uruguay", "Uruguay", "Uruguay", "Uruguay"],
    ),
    (
        "UZ",
        [
            "Uzbekistan",
            "Ouzbékistan",
            "Usbekistan",
            "Uzbekistán",
            "Uzbekistan",
        ],
    ),
    (
        "VA",
        [
            "Vatican City",
            "État de la Cité du Vatican",
            "Vatikanstadt",
            "Ciudad del Vaticano",
            "Città del Vaticano",
        ],
    ),
    (
        "VC",
        [
            "St. Vincent & Grenadines",
            "Saint-Vincent-et-les Grenadines",
            "St. Vincent und die Grenadinen",
            "San Vicente y las Granadinas",
            "Saint Vincent e Grenadine",
        ],
    ),
    (
        "VE",
        [
            "Venezuela",
            "Venezuela",
            "Venezuela",
            "Venezuela",
            "Venezuela",
        ],
    ),
    (
        "VG",
        [
            "British Virgin Islands",
            "Îles Vierges britanniques",
            "Britische Jungferninseln",
            "Islas Vírgenes Británicas",
            "Isole Vergini Britanniche",
        ],
    ),
    (
        "VI",
        [
            "U.S. Virgin Islands",
            "Îles Vierges des États-Unis",
            "Amerikanische Jungferninseln",
            "Islas Vírgenes de EE. UU.",
            "Isole Vergini Americane",
        ],
    ),
    (
        "VN",
        ["Vietnam", "Viêt Nam", "Vietnam", "Vietnam", "Vietnam"],
    ),
    (
        "VU",
        ["Vanuatu", "Vanuatu", "Vanuatu", "Vanuatu", "Vanuatu"],
    ),
    (
        "WF",
        [
            "Wallis & Futuna",
            "Wallis-et-Futuna",
            "Wallis und Futuna",
            "Wallis y Futuna",
            "Wallis e Futuna",
        ],
    ),
    ("WS", ["Samoa", "Samoa", "Samoa", "Samoa", "Samoa"]),
    ("YE", ["Yemen", "Yémen", "Jemen", "Yemen", "Yemen"]),
    (
        "YT",
        ["Mayotte", "Mayotte", "Mayotte", "Mayotte", "Mayotte"],
    ),
    (
        "ZA",
        [
            "South Africa",
            "Afrique du Sud",
            "Südafrika",
            "Sudáfrica",
            "Sudafrica",
        ],
    ),
    ("ZM", ["Zambia", "Zambie", "Sambia", "Zambia", "Zambia"]),
    (
        "ZW",
        ["Zimbabwe", "Zimbabwe", "Simbabwe", "Zimbabue", "Zimbabwe"],
    ),
];
