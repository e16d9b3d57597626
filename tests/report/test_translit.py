"""BGN/PCGN transliteration of Russian names for the report."""

from __future__ import annotations

import pytest

import tallyscope as ts
from tallyscope.report import transliterate


@pytest.mark.parametrize(
    ("russian", "latin"),
    [
        ("Республика Саха (Якутия)", "Respublika Sakha (Yakutiya)"),
        ("Ханты-Мансийский автономный округ - Югра", "Khanty-Mansiyskiy avtonomnyy okrug - Yugra"),
        ("Город Москва", "Gorod Moskva"),
        ("Город Санкт-Петербург", "Gorod Sankt-Peterburg"),
        ("Тюменская область", "Tyumenskaya oblast"),
        ("Еврейская автономная область", "Yevreyskaya avtonomnaya oblast"),
        ("Республика Северная Осетия - Алания", "Respublika Severnaya Osetiya - Alaniya"),
        ("Карачаево-Черкесская Республика", "Karachayevo-Cherkesskaya Respublika"),
        ("Забайкальский край", "Zabaykalskiy kray"),
        ("Чувашская Республика - Чувашия", "Chuvashskaya Respublika - Chuvashiya"),
        ("Щёлково", "Shchëlkovo"),
        ("Ёлкино", "Yëlkino"),
        ("Подъезд", "Podyezd"),  # е after ъ is ye
        ("Мариинск", "Mariinsk"),
        ("ЕДИНАЯ РОССИЯ", "YEDINAYA ROSSIYA"),  # capitals stay capitals
        ("ЖКХ", "ZHKKH"),
        ("Я", "Ya"),
        ("Территория за пределами РФ", "Territoriya za predelami RF"),
    ],
)
def test_bgn_pcgn(russian, latin):
    assert transliterate(russian) == latin


def test_soft_and_hard_signs_kept_on_request():
    assert transliterate("Тверь, область", signs=True) == "Tverʹ, oblastʹ"
    assert transliterate("Тверь, область") == "Tver, oblast"
    assert transliterate("Подъезд", signs=True) == "Podʺyezd"


def test_other_scripts_pass_through():
    for text in ("warmińsko-mazurskie", "44 ამბროლაური", "Łódź 12", ""):
        assert transliterate(text) == text


def test_every_russian_region_comes_out_in_latin_letters():
    regions = ts.load("ru-2024-president").stations["region"].drop_nulls().unique().to_list()
    assert len(regions) > 80
    for region in regions:
        latin = transliterate(region)
        assert latin.isascii() or set(latin) - set(map(chr, range(128))) <= {"ë"}, latin
        assert not any("а" <= c.lower() <= "я" for c in latin), latin
