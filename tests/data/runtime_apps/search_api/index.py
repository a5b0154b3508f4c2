from probe import record

INDEX: dict[str, list[str]] = {}


def load_synonyms() -> None:
    record("load_synonyms")
    INDEX["synonyms"] = ["car:automobile"]
