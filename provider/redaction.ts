/**
 * Redaction: the safety net that removes secrets from foreign text (server messages, errors of the
 * HTTP stack or the file system) before it reaches a message, a log line or an exception.
 */

/** Placeholder that replaces a secret in redacted text. */
export const REDACTED = "[REDACTED]";

/*
 * Shapes that look like secrets even when we were not told about them: the safety net behind the
 * explicit list. PEM private keys, IAM tokens (t1.x.y, with or without `=` padding), OAuth tokens (y0_..), JWTs, bearer headers.
 */
const SECRET_PATTERNS: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\bt1\.[A-Za-z0-9_-]+={0,2}\.[A-Za-z0-9_-]+={0,2}/g,
  /\by[0-3]_[A-Za-z0-9_-]{16,}/g,
  /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g,
  /(Bearer\s+)[^\s"',;]+/gi,
];

/**
 * Removes secrets from text before it reaches a message, a log line or an exception: first every
 * given secret (exact occurrences, including JSON-escaped forms), then anything shaped like a
 * private key, IAM token, OAuth token, JWT or bearer header.
 *
 * @param text - foreign text (a server message, an error from the HTTP stack)
 * @param secrets - values known to be secret in this context; empty/undefined entries are ignored
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  const known = secrets
    .filter((s): s is string => typeof s === "string" && s.length >= 4)
    // Longest first, so a secret that contains another is removed whole.
    .sort((a, b) => b.length - a.length);
  for (const secret of known) {
    out = out.split(secret).join(REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) out = out.split(escaped).join(REDACTED);
  }
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, prefix?: unknown) =>
      typeof prefix === "string" && /^Bearer/i.test(prefix) ? `${prefix}${REDACTED}` : REDACTED,
    );
  }
  return out;
}

/**
 * A short, redacted description of a foreign error (its name, code and message), for wrapping
 * errors from the HTTP stack or the file system without carrying their payloads along.
 */
export function describeForeignError(error: unknown, secrets: readonly (string | undefined)[] = []): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const causeCode = (error as { cause?: { code?: unknown } }).cause?.code;
    const codeText = typeof code === "string" ? code : typeof causeCode === "string" ? causeCode : undefined;
    return oneLine(redact(`${error.name}${codeText ? ` ${codeText}` : ""}: ${error.message}`, secrets));
  }
  return oneLine(redact(String(error), secrets));
}

/** ANSI escape sequences (colours, cursor moves) that a terminal would interpret. */
const ANSI_ESCAPE = new RegExp(String.raw`\u001b\[[0-9;?]*[A-Za-z]`, "g");
/** Control characters, line and paragraph separators: anything that could start a new line. */
const CONTROL_CHARACTERS = new RegExp(String.raw`[\u0000-\u001f\u007f-\u009f\u2028\u2029]+`, "g");

/** The longest server message kept in an error or a log line, in characters. */
export const MAX_SERVER_MESSAGE_CHARS = 500;

/**
 * Makes foreign text safe for one line of a message or a log: control characters (newlines,
 * ANSI escape sequences) become spaces, so a server cannot inject lines or colours, and the text
 * is cut at {@link MAX_SERVER_MESSAGE_CHARS}.
 */
export function oneLine(text: string, maxChars = MAX_SERVER_MESSAGE_CHARS): string {
  const flat = text.replace(ANSI_ESCAPE, " ").replace(CONTROL_CHARACTERS, " ");
  return flat.length > maxChars ? `${flat.slice(0, maxChars)}… (cut at ${maxChars} characters)` : flat;
}

/**
 * A server's request id, when it has the shape of one (letters, digits, `.`, `_`, `:`, `-`; at
 * most 128 characters); anything else is dropped rather than carried into messages.
 */
export function acceptRequestId(value: unknown): string | undefined {
  return typeof value === "string" && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : undefined;
}
