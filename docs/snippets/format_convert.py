"""A format from the registry: read a PEP 723 script's bytes, write a juv notebook."""

from envspec.formats import Document, Options, Source, format_names, get_format

print("formats:", ", ".join(format_names()))

script = get_format("script")
block = b'# /// script\n# dependencies = ["numpy"]\n# ///\n'
source = Source("analysis.py", {"analysis.py": block})
converted = script.read(source, Options())
print("environment:", converted.environment)

juv = get_format("juv")
exported = juv.write(Document("analysis.envspec.yaml", converted.environment or {}), Options())
print("files:", list(exported.files), "warnings:", [d.code for d in exported.diagnostics])
