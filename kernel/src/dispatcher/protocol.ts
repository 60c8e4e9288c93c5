// Validation of every message that reaches the dispatcher, against schema/protocol.schema.json.
// One compiled validator per message kind; errors come back as readable lines, never as a crash.
import { Ajv, type ValidateFunction } from "ajv";
import { dagSchema, protocolSchema } from "@valence/schema";

type MessageKind =
  | "dispatchRequest"
  | "redispatchRequest"
  | "cancelRequest"
  | "deleteRequest"
  | "clientMessage"
  | "transportGraph"
  | "transportGraphV1";

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
// `tsType` only tells the type generator (scripts/generate-schema-types.mjs) which TypeScript type to write.
ajv.addKeyword("tsType");
ajv.addSchema(dagSchema);
ajv.addSchema(protocolSchema);

const validators = new Map<MessageKind, ValidateFunction>();

function validator(kind: MessageKind): ValidateFunction {
  let validate = validators.get(kind);
  if (!validate) {
    validate = ajv.getSchema(`${protocolSchema.$id}#/definitions/${kind}`)!;
    validators.set(kind, validate);
  }
  return validate;
}

/** Problems with `value` as a `kind` message; empty when it is valid. */
export function protocolErrors(kind: MessageKind, value: unknown): string[] {
  const validate = validator(kind);
  if (validate(value)) return [];
  return (validate.errors ?? [])
    .slice(0, 10)
    .map((e) => `${e.instancePath || "(message)"} ${e.message ?? "is invalid"}`);
}
