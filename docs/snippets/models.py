"""Read, inspect, build and write environments with the typed models."""

from pydantic import ValidationError

from envspec.models import Environment, Image, Kernel

data = {
    "env_ver": "1.0",
    "python": "3.12",
    "kernel": {"name": "python3", "language": "python"},
    "files": {"requirements.txt": "numpy==2.1.0\n"},
}
environment = Environment.model_validate(data)
print(environment.kernel.name if environment.kernel else None)
print(environment.files)
print(environment.image)  # absent fields are None in Python...
print(environment.to_data() == data)  # ...and omitted, never null, when written

built = Environment(
    env_ver="1.0",
    kernel=Kernel(name="ir", language="r"),
    image=Image(ref="rocker/binder:4.4.1", digest="sha256:" + "0" * 64),
)
print(built.to_data())

try:
    Environment.model_validate({"env_ver": "1.0", "python": 3.12})
except ValidationError as error:
    print(error.errors()[0]["loc"], error.errors()[0]["msg"])
