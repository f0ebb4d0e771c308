/**
 * The part of js-yaml 4 that the credential chain uses (the package ships no types and
 * @types/js-yaml is not installed).
 */
declare module "js-yaml" {
  /** Parses one YAML document (safe schema by default in js-yaml 4). */
  export function load(text: string, options?: { filename?: string; json?: boolean }): unknown;
}
