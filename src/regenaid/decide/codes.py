"""Code lists the intake is checked against: ISO 3166-1 alpha-2 and ISO 4217.

Written out here (no extra dependency) from the published standards:

- ``COUNTRY_CODES``: the 249 officially assigned ISO 3166-1 alpha-2 codes (ISO 3166
  Maintenance Agency online browsing platform, 2024), plus ``"EU"``, which ISO 3166/MA
  "exceptionally reserves" for the European Union and which the knowledge base uses for
  EU-wide regulatory status.
- ``CURRENCY_CODES``: the active ISO 4217 currency codes of the maintenance agency's
  list one (SIX, 2025 amendments incl. ``XCG`` and ``ZWG``), without the codes that are not
  money one pays a clinic in: precious metals (XAU, XAG, XPT, XPD), bond-market units
  (XBA..XBD), the SDR (XDR), SUCRE (XSU), ADB unit (XUA), fund codes (BOV, CHE, CHW, CLF, COU,
  MXV, USN, UYI, UYW) and the testing/no-currency codes (XTS, XXX).
"""

from __future__ import annotations

_COUNTRIES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET
    FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
    HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT
    JE JM JO JP
    KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
    NA NC NE NF NG NI NL NO NP NR NU NZ
    OM
    PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA
    RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
    UA UG UM US UY UZ
    VA VC VE VG VI VN VU
    WF WS
    YE YT
    ZA ZM ZW
    EU
"""

_CURRENCIES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN
    BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK
    DJF DKK DOP DZD
    EGP ERN ETB EUR
    FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD
    HKD HNL HTG HUF
    IDR ILS INR IQD IRR ISK
    JMD JOD JPY
    KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD
    MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
    NAD NGN NIO NOK NPR NZD
    OMR
    PAB PEN PGK PHP PKR PLN PYG
    QAR
    RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL
    THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS
    VED VES VND VUV
    WST
    XAF XCD XCG XOF XPF
    YER
    ZAR ZMW ZWG
"""
COUNTRY_CODES: frozenset[str] = frozenset(_COUNTRIES.split())
CURRENCY_CODES: frozenset[str] = frozenset(_CURRENCIES.split())

COUNTRY_CODE_NOTE = "an ISO 3166-1 alpha-2 country code such as US, GB, PK, JP (or EU)"
CURRENCY_CODE_NOTE = "an ISO 4217 currency code such as USD, EUR, GBP, PKR"
