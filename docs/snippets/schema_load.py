"""The JSON Schemas shipped with envspec, loaded without importing pydantic."""

from envspec.schema import load

schema = load("1.0")
print(schema["$id"])
print(sorted(schema["properties"]))
print(schema["properties"]["files"]["propertyNames"]["enum"][:4])
