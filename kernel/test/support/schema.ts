// Test support: validation against the contracts in schema/, with the options the project uses.
import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { dagSchema, protocolSchema } from "@valence/schema";

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addKeyword("tsType");
ajv.addSchema(dagSchema);
ajv.addSchema(protocolSchema);
const validate = ajv.getSchema(dagSchema.$id!)!;

/** Fails the test with ajv's errors when `document` is not a valid DAG document. */
export function validateDag(document: unknown): void {
  assert.ok(validate(document), JSON.stringify(validate.errors, null, 2));
}

/** Fails the test with ajv's errors when `value` is not a valid `definition` of protocol.schema.json. */
export function validateProtocol(definition: string, value: unknown): void {
  const valid = ajv.getSchema(`${protocolSchema.$id}#/definitions/${definition}`);
  if (!valid) assert.fail(`protocol.schema.json has no definition "${definition}"`);
  assert.ok(valid(value), `not a valid ${definition}: ${JSON.stringify(valid.errors, null, 2)}`);
}
