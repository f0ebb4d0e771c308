/** Builds the error thrown for an invalid field; callers pick 400 Status errors or plain Errors. */
export type FailFn = (message: string) => Error;

/** A JSON object (not null, not an array). */
export type JsonObject = Record<string, unknown>;

/** Checks `value` is a JSON object. */
export function asObject(value: unknown, where: string, fail: FailFn): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail(`${where} must be a JSON object`);
  }
  return value as JsonObject;
}

/** A required non-empty string of at most `maxLength` characters. */
export function requiredString(obj: JsonObject, field: string, fail: FailFn, maxLength = 1000): string {
  const value = obj[field];
  if (value === undefined || value === null || value === "") throw fail(`${field} is required`);
  if (typeof value !== "string") throw fail(`${field} must be a string`);
  if (value.length > maxLength) throw fail(`${field} must be at most ${maxLength} characters`);
  return value;
}

/** An optional string (undefined when absent or null). */
export function optionalString(
  obj: JsonObject,
  field: string,
  fail: FailFn,
  maxLength = 1000,
): string | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  return requiredString(obj, field, fail, maxLength);
}

/** An optional finite number within [min, max]. */
export function optionalNumber(
  obj: JsonObject,
  field: string,
  fail: FailFn,
  min: number,
  max: number,
  integer = false,
): number | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw fail(`${field} must be ${integer ? "an integer" : "a number"}`);
  }
  if (value < min || value > max) throw fail(`${field} must be between ${min} and ${max}`);
  return value;
}

/** An optional boolean. */
export function optionalBoolean(obj: JsonObject, field: string, fail: FailFn): boolean | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw fail(`${field} must be true or false`);
  return value;
}

/** An optional value from a fixed list. */
export function optionalEnum<T extends string | number>(
  obj: JsonObject,
  field: string,
  allowed: readonly T[],
  fail: FailFn,
): T | undefined {
  const value = obj[field];
  if (value === undefined || value === null) return undefined;
  if (!allowed.includes(value as T)) throw fail(`${field} must be one of ${allowed.join(", ")}`);
  return value as T;
}

/** An optional array. */
export function optionalArray(obj: JsonObject, field: string, fail: FailFn): unknown[] {
  const value = obj[field];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw fail(`${field} must be an array`);
  return value;
}
