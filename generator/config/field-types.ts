// Shapes of the loco.toml field table (fields.ts). One table drives parsing, validation,
// defaults, the JSON Schema and the reference page, so these types say what each needs.

export type ScalarKind =
  | 'string'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'enum'
  | 'cpu'
  | 'memory'
  | 'duration'
  | 'strings'
  | 'env-map'
  | 'secret-map'
  | 'string-map';

/** What a default may look at: the resolved config so far and the release context. */
export interface DefaultContext {
  spec: Record<string, any>;
  profile: string;
  workspace: string;
}

export interface ScalarField {
  kind: ScalarKind;
  /** PascalCase key as users write it. */
  key: string;
  /** camelCase property in TypeScript; the one place where the two are mapped. */
  prop: string;
  doc: string;
  /** Constant default, or a function of the rest of the config (computed after constants). */
  default?: string | number | boolean | string[] | Record<string, string> | ((ctx: DefaultContext) => unknown);
  /** How the reference page describes a computed default. */
  defaultDoc?: string;
  enumValues?: readonly string[];
  min?: number;
  max?: number;
  /** Extra check of a converted value: returns [what is wrong, how to fix] or undefined. */
  check?: (value: any) => [string, string] | undefined;
  example?: string;
  /** Pattern for the JSON Schema (editors), when one regex states the rule. */
  pattern?: string;
}

export interface TableField {
  kind: 'table';
  key: string;
  prop: string;
  doc: string;
  fields: Field[];
}

/** A short key accepted inside `[Profile.<name>]`, standing for a longer path. */
export interface AliasField {
  kind: 'alias';
  key: string;
  /** Canonical PascalCase path the alias stands for, e.g. ['Resources', 'CPU']. */
  target: readonly string[];
  doc: string;
}

export type Field = ScalarField | TableField;
export type ProfileField = Field | AliasField;
