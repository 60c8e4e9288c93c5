// Test support: validation against the contracts in schema/, with the options the project uses.
import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { dagSchema } from "@valence/schema";

const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(dagSchema);

/** Fails the test with ajv's errors when `document` is not a valid DAG document. */
export function validateDag(document: unknown): void {
  assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
}
