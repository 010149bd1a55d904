"""The gazetteer (content/places.yaml, core/knowledge/places.py): which places other than the host a question names."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from core.content import CONTENT_DIR
from core.knowledge.places import Gazetteer, Kind, Mention, Place
from core.knowledge.text import is_indonesian_word, words
from core.yamlfile import read_yaml

PLACES_YAML = CONTENT_DIR / "places.yaml"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def _mentions(gazetteer: Gazetteer, question: str, ignore: frozenset[str] = frozenset()) -> list[Mention]:
    return gazetteer.mentions(" ".join(words(question)), ignore=ignore)


def _fold(text: str) -> str:
    return " ".join(words(text))


def test_the_file_lists_every_province_and_the_other_regencies_and_cities(gazetteer: Gazetteer) -> None:
    raw = read_yaml(PLACES_YAML)
    provinces = raw["indonesia"]["provinces"]
    assert len(provinces) == 38
    assert len({p["code"] for p in provinces}) == 38
    assert {"Papua Selatan", "Papua Tengah", "Papua Pegunungan", "Papua Barat Daya"} <= {p["name"] for p in provinces}
    assert len(raw["indonesia"]["regencies"]) + len(raw["indonesia"]["cities"]) >= 500
    kinds = {kind: sum(p.kind == kind for p in gazetteer.places) for kind in ("regency", "city", "country")}
    assert kinds["regency"] + kinds["city"] >= 500
    assert kinds["country"] >= 40


def test_banyuwangi_is_never_another_place(gazetteer: Gazetteer) -> None:
    raw = read_yaml(PLACES_YAML)
    listed = raw["indonesia"]["regencies"] + raw["indonesia"]["cities"]
    assert not [item["name"] for item in listed if "banyuwangi" in _fold(item["name"])]
    assert not [p for p in gazetteer.places if "banyuwangi" in _fold(p.name)]
    assert Place("Jawa Timur", "province") not in gazetteer.places  # the province that contains the host
    for question in ("banyuwangi", "kabupaten banyuwangi", "pemkab banyuwangi", "kota banyuwangi", "jawa timur",
                     "provinsi jawa timur", "jatim", "east java", "jawatimur", "wisata di indonesia"):  # fmt: skip
        assert _mentions(gazetteer, question) == [], question


def test_only_the_host_itself_names_the_host(gazetteer: Gazetteer) -> None:
    assert gazetteer.names_host(_fold("MPP Banyuwangi dan MPP Surabaya bedanya apa?"))
    assert gazetteer.names_host(_fold("Kabupaten Banyuwangi"))
    assert not gazetteer.names_host(_fold("MPP di Surabaya, Jawa Timur"))
    assert not gazetteer.names_host("")


@pytest.mark.parametrize(
    ("question", "name", "kind", "phrase"),
    [
        ("Apa itu Mal Pelayanan Publik di kota Surabaya?", "Surabaya", "city", "kota surabaya"),
        ("tempat wisata di yogyakarta", "Yogyakarta", "city", "yogyakarta"),
        ("Enaknya ke Jogja naik apa?", "Yogyakarta", "city", "jogja"),
        ("cuaca di bandung besok", "Bandung", "city", "bandung"),
        ("siapa presiden amerika", "Amerika Serikat", "country", "amerika"),
        ("Who won the World Cup in Qatar?", "Qatar", "country", "qatar"),
        ("Berapa ongkos ke Bau-Bau?", "Bau Bau", "city", "baubau"),
        ("hotel di Tanjungpinang", "Tanjung Pinang", "city", "tanjungpinang"),
    ],
)
def test_a_question_about_another_place_names_it(
    gazetteer: Gazetteer, question: str, name: str, kind: Kind, phrase: str
) -> None:
    assert _mentions(gazetteer, question) == [Mention(Place(name, kind), phrase, origin=False)]


def test_a_qualifier_picks_the_regency_or_the_city_of_one_name(gazetteer: Gazetteer) -> None:
    assert _mentions(gazetteer, "kabupaten bandung")[0].place == Place("Bandung", "regency")
    assert _mentions(gazetteer, "Bandung regency")[0].place == Place("Bandung", "regency")
    assert _mentions(gazetteer, "kota bandung")[0].place == Place("Bandung", "city")
    assert _mentions(gazetteer, "bandung")[0].place == Place("Bandung", "city")
    assert Place("Malang", "regency") in gazetteer.places and Place("Malang", "city") in gazetteer.places


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("Kami dari Pemkab Cianjur, apa itu smart kampung?", "Cianjur"),
        ("We are from Bandung", "Bandung"),
        ("tamu asal Kutai Kartanegara", "Kutai Kartanegara"),
        ("kami dari Dinas Komunikasi dan Informatika Kabupaten Cianjur, ingin belajar", "Cianjur"),
        ("We are from the city of Bandung", "Bandung"),
    ],
)
def test_the_place_the_asker_comes_from_is_an_origin(gazetteer: Gazetteer, question: str, name: str) -> None:
    [mention] = _mentions(gazetteer, question)
    assert (mention.place.name, mention.origin) == (name, True)


def test_only_the_start_of_a_route_is_an_origin(gazetteer: Gazetteer) -> None:
    found = _mentions(gazetteer, "dari Jakarta ke Bandung berapa jam?")
    assert [(m.place.name, m.origin) for m in found] == [("DKI Jakarta", True), ("Bandung", False)]
    found = _mentions(gazetteer, "Kami dari Banyuwangi, mau tanya soal Surabaya")
    assert [(m.place.name, m.origin) for m in found] == [("Surabaya", False)]
    found = _mentions(gazetteer, "kami dari dinas pariwisata, ingin studi tiru ke Surabaya")
    assert [(m.place.name, m.origin) for m in found] == [("Surabaya", False)]


@pytest.mark.parametrize(
    "question",
    [
        "Apakah ada batu besar di kawah Ijen?",
        "jam berapa sampai di puncak ijen",
        "di padang savana baluran ada apa",
        "nasib malang",
        "apakah ada pemandu berbahasa Inggris?",
        "bangunan peninggalan Belanda",
        "tambang batu bara",
        "harga batubara",
        "apakah ada tebing tinggi di ijen",
        "harga tiket as",
    ],
)
def test_an_ordinary_word_alone_is_no_place(gazetteer: Gazetteer, question: str) -> None:
    assert _mentions(gazetteer, question) == []


@pytest.mark.parametrize(
    ("question", "name", "phrase"),
    [
        ("wisata di kota Batu", "Batu", "kota batu"),
        ("Batu city", "Batu", "batu city"),
        ("kabupaten Puncak", "Puncak", "kabupaten puncak"),
        ("wisata di Malang", "Malang", "malang"),
        ("kuliah di Inggris", "Inggris", "inggris"),
    ],
)
def test_an_ordinary_word_is_a_place_when_qualified(
    gazetteer: Gazetteer, question: str, name: str, phrase: str
) -> None:
    [mention] = _mentions(gazetteer, question)
    assert (mention.place.name, mention.phrase) == (name, phrase)


def test_the_longest_phrase_wins_and_mentions_do_not_overlap(gazetteer: Gazetteer) -> None:
    assert [(m.place, m.phrase) for m in _mentions(gazetteer, "wisata di Jawa Barat")] == [
        (Place("Jawa Barat", "province"), "jawa barat")
    ]
    assert [m.place for m in _mentions(gazetteer, "ke Papua Nugini")] == [Place("Papua Nugini", "country")]
    assert [m.place for m in _mentions(gazetteer, "Papua Barat Daya")] == [Place("Papua Barat Daya", "province")]
    assert [m.phrase for m in _mentions(gazetteer, "dari Surabaya ke New York City")] == ["surabaya", "new york city"]


def test_ignored_phrases_are_the_hosts_own_places(gazetteer: Gazetteer) -> None:
    assert [m.place for m in _mentions(gazetteer, "wisata di Wakatobi")] == [Place("Wakatobi", "regency")]
    assert _mentions(gazetteer, "wisata di Wakatobi", ignore=frozenset({"wakatobi"})) == []
    # the host's own port and station: ignored unless the regency elsewhere is written out
    assert _mentions(gazetteer, "kapal di Ketapang") == []
    assert [m.place for m in _mentions(gazetteer, "Kabupaten Ketapang")] == [Place("Ketapang", "regency")]
    assert _mentions(gazetteer, "kapal di Ketapang", ignore=frozenset({"ketapang"})) == []
    assert _mentions(gazetteer, "antre di pelabuhan Ketapang", ignore=frozenset({"ketapang"})) == []
    assert _mentions(gazetteer, "wisata di Danau Toba", ignore=frozenset({"danau toba"})) == []
    assert [m.place.name for m in _mentions(gazetteer, "wisata di Danau Toba")] == ["Danau Toba"]


def test_the_neighbours_across_the_strait_are_never_another_place(gazetteer: Gazetteer) -> None:
    """Bali is in the knowledge base (the ferry, the sunrise over it); its own sights are still elsewhere."""
    assert _mentions(gazetteer, "ferry port to Bali") == []
    assert _mentions(gazetteer, "arus di Selat Bali") == []
    assert [m.place.name for m in _mentions(gazetteer, "wisata di Ubud")] == ["Ubud"]
    explicit = _mentions(gazetteer, "inovasi Kabupaten Ketapang", ignore=frozenset({"ketapang"}))
    assert [m.phrase for m in explicit] == ["kabupaten ketapang"]
    assert gazetteer.mentions("kapal di ketapang", ignore=["ketapang"]) == []  # any iterable will do


def test_an_empty_question_names_nothing(gazetteer: Gazetteer) -> None:
    assert gazetteer.mentions("") == []
    assert _mentions(gazetteer, "?!") == []
    assert not gazetteer.names_host("")


def test_every_name_that_is_also_an_indonesian_word_is_reviewed(gazetteer: Gazetteer) -> None:
    """A one-word name in Sastrawi's dictionary must be listed as a name, a word or a landscape word (see the YAML)."""
    ambiguity = read_yaml(PLACES_YAML)["ambiguity"]
    reviewed = {_fold(text) for section in ("names", "words", "landscape") for text in ambiguity[section]}
    reviewed |= {phrase.replace(" ", "") for phrase in reviewed}
    unreviewed = [
        phrase
        for phrase, places in gazetteer.phrases.items()
        if places and " " not in phrase and phrase not in reviewed and is_indonesian_word(phrase)
    ]
    assert unreviewed == []


def _edited(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    """A copy of content/places.yaml with one change, for the loader's checks."""
    raw = yaml.safe_load(PLACES_YAML.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "places.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_the_loader_refuses_a_name_too_short_to_tell_from_a_word(tmp_path: Path) -> None:
    path = _edited(tmp_path, lambda raw: raw["foreign"]["countries"][0]["aliases"].append("AS"))
    with pytest.raises(ValueError, match="too short"):
        Gazetteer.load(path)


def test_the_loader_refuses_an_unquoted_yes_or_no(tmp_path: Path) -> None:
    path = _edited(tmp_path, lambda raw: raw["foreign"]["countries"][0]["aliases"].append(False))
    with pytest.raises(ValueError, match="not text"):
        Gazetteer.load(path)


def test_the_loader_refuses_an_ambiguity_of_no_place(tmp_path: Path) -> None:
    path = _edited(tmp_path, lambda raw: raw["ambiguity"]["words"].append("Atlantis"))
    with pytest.raises(ValueError, match="names no place"):
        Gazetteer.load(path)


def test_the_gazetteer_is_immutable(gazetteer: Gazetteer) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        gazetteer.longest = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        gazetteer.phrases["atlantis"] = ()  # type: ignore[index]


def test_phrases_ignored_for_one_question_count_as_the_ignored_set(gazetteer: Gazetteer) -> None:
    """`also` (the keywords of the entries a question names) is ignored just as if it were part of `ignore`: the big
    set is indexed once, the small one per question."""
    ignore = frozenset({"ketapang", "pulau merah", "selat bali", "pantai boom"})
    also = frozenset({"situbondo", "taman nasional baluran", "kota batu malang", "bandung"})
    questions = [
        "Dari Situbondo ke Baluran berapa jam?",
        "wisata di kota Batu Malang dan Bandung",
        "kapal dari Ketapang ke Gilimanuk, lalu ke kota Bandung",
        "kami dari Kabupaten Bandung, mau ke Pulau Merah lewat Situbondo",
        "taman nasional baluran di Situbondo atau di Kabupaten Situbondo?",
    ]
    for question in questions:
        folded = _fold(question)
        assert gazetteer.mentions(folded, ignore=ignore, also=also) == gazetteer.mentions(folded, ignore=ignore | also)
        assert gazetteer.mentions(folded, ignore=ignore, also=()) == gazetteer.mentions(folded, ignore=ignore)
