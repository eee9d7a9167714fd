from service.agencies import international_bodies
from service.schema import Role


def test_named_with_a_verb_of_taking_part() -> None:
    text = (
        "Europol has supported police forces for years. Europol supervised this operation, whereas the "
        "Slovenian National Police led it. Eurojust is based in The Hague."
    )
    found = {a.name: a.role for a in international_bodies(text)}
    assert found == {"Europol": Role.coordinator}  # strongest role; Eurojust only mentioned


def test_no_bodies_no_agencies() -> None:
    assert international_bodies("Police in Leeds arrested two men on Tuesday.") == []
