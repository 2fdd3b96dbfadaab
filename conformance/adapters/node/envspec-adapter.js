#!/usr/bin/env node
// An envspec conformance adapter in Node.js, with the standard library only.
//
//   envspec conformance run --adapter "node envspec-adapter.js" -V
//
// The runner writes one JSON request per line on standard input; the adapter
// writes one JSON answer per line on standard output, echoing the request's
// `seq`.  The first half of this file is the protocol (the same for any
// implementation); the second half is a small implementation of two roles:
//
// - packer, features `unpack` and `unpack-safety`: an environment's embedded
//   files written into a folder, exact text, never outside it;
// - validator, feature `notebook`: where the environment sits in a notebook's
//   metadata, and its `env_ver`.  (The `versions` cases are mostly standalone
//   YAML files, and Node.js has no YAML reader, so `versions` is not declared.)
//
// To test your own library, replace the second half with calls into it, and
// declare in ROLES exactly what it implements: the runner sends only those cases.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const readline = require("node:readline");

// ------------------------------------------------------------------ the protocol

const IMPLEMENTATION = {
  name: "envspec-node-example",
  version: "0.1.0",
  language: "javascript",
  homepage: "https://envspec.dev/conformance/#node-example",
};

// Roles, versions and features implemented.  Declare nothing you do not do.
const ROLES = {
  validator: { versions: ["1.0"], features: ["notebook"] },
  packer: { versions: ["1.0"], features: ["unpack", "unpack-safety"] },
};

// One function per operation: it returns the `result`, or throws.
const OPERATIONS = {
  hello: (request) => {
    // A runner speaking another protocol version gets `unsupported`, never a result; it
    // then closes our input, and we exit.
    if (request.protocol !== 1) throw new Unsupported(`protocol 1 only, not ${request.protocol}`);
    return { protocol: 1, implementation: IMPLEMENTATION, roles: ROLES };
  },
  validate: (request) => validateNotebook(request.file, request.require === true),
  unpack: (request) => unpack(request.environment, request.folder, request.force === true),
  bye: () => ({}),
};

// Thrown when a request asks for something this implementation does not do.
class Unsupported extends Error {}

function answer(request) {
  const seq = request.seq;
  if (!Object.hasOwn(OPERATIONS, request.op)) {
    return { seq, unsupported: { reason: `${JSON.stringify(request.op)} is not implemented` } };
  }
  try {
    return { seq, result: OPERATIONS[request.op](request) };
  } catch (error) {
    if (error instanceof Unsupported) return { seq, unsupported: { reason: error.message } };
    // Any other exception is a failure of the implementation: report it, keep serving.
    const message = (error && error.message) || String(error);
    return { seq, errored: { message, traceback: (error && error.stack) || null } };
  }
}

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (line.trim() === "") return;
  let request;
  try {
    request = JSON.parse(line);
  } catch (error) {
    request = undefined;
  }
  if (!isObject(request)) {
    // Not a request (a runner never sends this): there is no seq to echo, so no answer.
    // Say so on standard error, never on standard output, and read the next line.
    process.stderr.write(`envspec adapter: ignored a line that is not a JSON object: ${line}\n`);
    return;
  }
  // JSON.stringify never writes a newline inside its output: one answer, one line.
  process.stdout.write(JSON.stringify(answer(request)) + "\n");
  if (request.op === "bye") {
    // Stop reading; Node.js exits by itself once the answer is written.
    lines.close();
    process.stdin.destroy();
  }
});

// ------------------------------------------------------------ the implementation

// The closed set of embedded file names: name -> whether unpacking makes it executable.
const FILES_1_0 = new Map([
  ["requirements.txt", false], ["environment.yml", false], ["environment.yaml", false],
  ["apt.txt", false], ["runtime.txt", false], ["postBuild", true], ["start", true],
  ["Dockerfile", false], ["pylock.toml", false], ["manifest.scm", false],
  ["channels.scm", false], ["Pipfile", false], ["Pipfile.lock", false],
  ["Project.toml", false], ["Manifest.toml", false], ["install.R", false],
  ["default.nix", false],
]);
// Legacy 0.1 keeps its files as top-level text members.
const FILES_0_1 = new Map([
  ["requirements.txt", false], ["environment.yaml", false], ["environment.yml", false],
  ["setup.sh", true],
]);

function diagnostic(code, pointer, severity, message) {
  return { code, pointer, severity, message };
}

// A JSON Pointer token (RFC 6901): "~" is written "~0" and "/" is written "~1".
function escapeToken(name) {
  return name.replace(/~/g, "~0").replace(/\//g, "~1");
}

function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// How a reader treats an env_ver: "legacy" (0.1), "known" (1.0), "newer-minor"
// (1.x: read it, warn), "unsupported" (an unknown major, or another 0.x), or
// "invalid" (not a "MAJOR.MINOR" string).
function classifyEnvVer(value) {
  const match = typeof value === "string" ? /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/.exec(value) : null;
  if (match === null) return "invalid";
  if (value === "0.1") return "legacy";
  if (value === "1.0") return "known";
  return match[1] === "1" ? "newer-minor" : "unsupported";
}

// --- validator: the notebook feature (and the env_ver rules it needs)

function validateNotebook(file, require) {
  if (!file.name.toLowerCase().endsWith(".ipynb")) {
    throw new Unsupported("only notebooks are read (Node.js has no YAML reader)");
  }
  const found = [];
  const metadata = readNotebookMetadata(file, found);
  if (metadata !== null) {
    if (Object.hasOwn(metadata, "environment")) {
      checkEnvVer(metadata.environment, "/metadata/environment", found);
    } else if (isObject(metadata.env)) {
      found.push(diagnostic("legacy-env-key", "/metadata/env", "warning",
        "the environment is stored under the legacy key metadata.env"));
    } else if (require) {
      found.push(diagnostic("environment-missing", "/metadata", "error",
        "the notebook has no metadata.environment"));
    }
  }
  return { valid: !found.some((d) => d.severity === "error"), diagnostics: found };
}

// The notebook's metadata object, or null after reporting why it cannot be read.
function readNotebookMetadata(file, found) {
  let bytes =
    file.base64 != null ? Buffer.from(file.base64, "base64") : Buffer.from(file.text, "utf8");
  if (/^[ \t\n\r\v\f]*$/.test(bytes.toString("latin1"))) {
    found.push(diagnostic("empty-file", "", "error", "the file is empty"));
    return null;
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    found.push(diagnostic("bom", "", "error", "the file starts with a UTF-8 byte order mark"));
    bytes = bytes.subarray(3);
  }
  let notebook;
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    try {
      notebook = JSON.parse(text);
    } catch (error) {
      found.push(diagnostic("invalid-json", "", "error", error.message));
      return null;
    }
  } catch (error) {
    found.push(diagnostic("not-utf8", "", "error", "the file is not UTF-8"));
    return null;
  }
  if (!isObject(notebook)) {
    found.push(diagnostic("not-a-notebook", "", "error", "the top level is not a JSON object"));
    return null;
  }
  if (!isObject(notebook.metadata)) {
    found.push(diagnostic("not-a-notebook", "/metadata", "error", "no metadata object"));
    return null;
  }
  return notebook.metadata;
}

function checkEnvVer(environment, at, found) {
  if (!isObject(environment)) {
    found.push(diagnostic("environment-not-object", at, "error", "not an object"));
    return;
  }
  if (!Object.hasOwn(environment, "env_ver")) {
    found.push(diagnostic("env-version-missing", at, "error", "env_ver is missing"));
    return;
  }
  const where = `${at}/env_ver`;
  const shown = JSON.stringify(environment.env_ver);
  switch (classifyEnvVer(environment.env_ver)) {
    case "invalid":
      found.push(diagnostic("env-version-invalid", where, "error", `${shown}: not "MAJOR.MINOR"`));
      break;
    case "unsupported":
      found.push(diagnostic("env-version-unsupported", where, "error", `${shown}: unknown`));
      break;
    case "legacy":
      found.push(diagnostic("env-version-legacy", where, "warning", "0.1 is the legacy format"));
      break;
    case "newer-minor":
      found.push(diagnostic("env-version-newer", where, "warning", `${shown} is newer than 1.0`));
      break;
  }
}

// --- packer: unpack and unpack-safety

// Everything is checked before anything is written: one problem, and the
// folder is left as it was (all or nothing).
function unpack(environment, folder, force) {
  const legacy = environment.env_ver === "0.1";
  const newer = classifyEnvVer(environment.env_ver) === "newer-minor";
  const known = legacy ? FILES_0_1 : FILES_1_0;
  if (!legacy && environment.files != null && !isObject(environment.files)) {
    throw new TypeError("'files' is not an object");
  }
  const entries = legacy
    ? Object.entries(environment).filter(([name]) => FILES_0_1.has(name))
    : Object.entries(environment.files || {});
  const pointer = (name) => (legacy ? "/" : "/files/") + escapeToken(name);

  // 1. Names and contents: only names of the closed set, plain text.
  const plan = [];
  const found = [];
  for (const [name, text] of entries) {
    const plain = !["", ".", ".."].includes(name) && !name.includes("/") && !name.includes("\0");
    const shown = JSON.stringify(name);
    if (!known.has(name) && plain && newer) {
      // A later minor may add names: this reader does not know how to treat them.
      found.push(diagnostic("env-version-newer", pointer(name), "warning", `${shown} skipped`));
    } else if (!known.has(name)) {
      // The closed set is also what keeps "../.bashrc" and "/etc/profile" out.
      found.push(diagnostic("unsafe-path", pointer(name), "error", `${shown} is not allowed`));
    } else if (typeof text !== "string") {
      found.push(diagnostic("wrong-type", pointer(name), "error", `${shown} is not text`));
    } else {
      plan.push({ name, text, mode: known.get(name) ? 0o755 : 0o644 });
    }
  }
  if (found.some((d) => d.severity === "error")) return { diagnostics: found };

  // 2. Existing entries: a folder is never replaced, a file or link only with force.
  fs.mkdirSync(folder, { recursive: true });
  const conflicts = [];
  for (const { name } of plan) {
    let entry;
    try {
      entry = fs.lstatSync(path.join(folder, name));
    } catch (error) {
      if (error.code === "ENOENT") continue;
      throw error;
    }
    if (entry.isDirectory() || !force) {
      const what = entry.isDirectory() ? "folder" : entry.isSymbolicLink() ? "link" : "file";
      conflicts.push(diagnostic("file-exists", pointer(name), "error", `${name}: ${what} exists`));
    }
  }
  if (conflicts.length > 0) return { diagnostics: conflicts };

  // 3. Write.  The old entry is removed first, and "wx" (O_CREAT | O_EXCL) never
  // opens an existing path, so a planted symbolic link is replaced, not followed.
  for (const { name, text, mode } of plan) {
    const target = path.join(folder, name);
    try {
      fs.unlinkSync(target); // a link is removed itself, its target is untouched
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
    const data = Buffer.from(text, "utf8"); // the exact text: no BOM, no newline conversion
    const fd = fs.openSync(target, "wx", mode);
    try {
      for (let done = 0; done < data.length; ) done += fs.writeSync(fd, data, done);
      fs.fchmodSync(fd, mode); // the mode given to openSync is reduced by the umask
    } finally {
      fs.closeSync(fd);
    }
  }
  return { diagnostics: found };
}
