import json


def dummy_parser(response: str):
    return json.loads(response)
